//go:build !purego

#include "textflag.h"

// NEON 1-bit kernels: the algorithm of countF32Go, countF64Go, codesF32Go
// and codesF64Go (kernel_generic.go), bit for bit.
//
// Per tile of 2 rows × 16 frequencies (float32: a block, float64: half a
// block) the phases start at ξ' (kept in registers) and take one
// by-element FMLA per dimension, fused and in ascending k as the contract
// requires. Then, per vector of phases u:
//
//	FRINTN  r = rint(u)          (round to nearest, ties to even)
//	FSUB    v = u − r            (exact)
//	FACGT   c = |1/4| > |v|      (all ones: cos bit 1; |v| = 1/4 gives 0)
//	FCMGT   s = v > 0            (all ones: sin bit 1; ±0 gives 0)
//
// Counts subtract the masks (−1 per set lane) from integer counters kept
// in registers over all the rows of the block, then add them into cc, cs.
// Codes keep, of each mask lane, the bit of its frequency (AND with the
// weights 2^l), gather them across the lanes (ORR, then ADDV/ADDP of
// disjoint bits) and store them: float32 16 cos bits and 16 sin bits as
// one 32-bit half word per row and block, float64 a byte of each per half
// block.
//
// The Go assembler has no mnemonics for most of these vector instructions,
// so they are encoded here from register numbers (vd destination, vn and
// vm sources, ix lane index); every use names the instruction.

// FMLA Vd.4S, Vn.4S, Vm.S[ix]
#define FMLA_S(vd, vn, vm, ix) WORD $(0x4f801000 | (((ix)&1)<<21) | (((ix)>>1)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))
// FMLA Vd.2D, Vn.2D, Vm.D[ix]
#define FMLA_D(vd, vn, vm, ix) WORD $(0x4fc01000 | ((ix)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))
// FRINTN Vd.4S, Vn.4S / Vd.2D, Vn.2D
#define FRINTN_S(vd, vn) WORD $(0x4e218800 | ((vn)<<5) | (vd))
#define FRINTN_D(vd, vn) WORD $(0x4e618800 | ((vn)<<5) | (vd))
// FSUB Vd, Vn, Vm (Vd = Vn − Vm), 4S / 2D
#define FSUB_S(vd, vn, vm) WORD $(0x4ea0d400 | ((vm)<<16) | ((vn)<<5) | (vd))
#define FSUB_D(vd, vn, vm) WORD $(0x4ee0d400 | ((vm)<<16) | ((vn)<<5) | (vd))
// FACGT Vd, Vn, Vm (Vd = |Vn| > |Vm|), 4S / 2D
#define FACGT_S(vd, vn, vm) WORD $(0x6ea0ec00 | ((vm)<<16) | ((vn)<<5) | (vd))
#define FACGT_D(vd, vn, vm) WORD $(0x6ee0ec00 | ((vm)<<16) | ((vn)<<5) | (vd))
// FCMGT Vd, Vn, #0.0 (Vd = Vn > 0), 4S / 2D
#define FCMGTZ_S(vd, vn) WORD $(0x4ea0c800 | ((vn)<<5) | (vd))
#define FCMGTZ_D(vd, vn) WORD $(0x4ee0c800 | ((vn)<<5) | (vd))
// SUB Vd, Vn, Vm (integer, Vd = Vn − Vm), 4S / 2D
#define SUB_S(vd, vn, vm) WORD $(0x6ea08400 | ((vm)<<16) | ((vn)<<5) | (vd))
#define SUB_D(vd, vn, vm) WORD $(0x6ee08400 | ((vm)<<16) | ((vn)<<5) | (vd))
// ADD Vd.4S, Vn.4S, Vm.4S (integer)
#define ADD_S(vd, vn, vm) WORD $(0x4ea08400 | ((vm)<<16) | ((vn)<<5) | (vd))
// ADDV Sd, Vn.4S (sum of the lanes)
#define ADDV_S(vd, vn) WORD $(0x4eb1b800 | ((vn)<<5) | (vd))
// ADDP Dd, Vn.2D (sum of the two lanes)
#define ADDP_D(vd, vn) WORD $(0x5ef1b800 | ((vn)<<5) | (vd))
// XTN Vd.2S, Vn.2D / XTN2 Vd.4S, Vn.2D (low halves of the lanes)
#define XTN_S(vd, vn) WORD $(0x0ea12800 | ((vn)<<5) | (vd))
#define XTN2_S(vd, vn) WORD $(0x4ea12800 | ((vn)<<5) | (vd))

// Constants: 1/4 in every lane, then the weights of codes: float32 lane l
// of vector f (frequency 4f+l) has 1<<(4f+l); float64 lane l of vector f of
// a half block (frequency 2f+l) has 1<<(2f+l).
DATA ·quantNEON32+0(SB)/4, $0x3e800000
DATA ·quantNEON32+4(SB)/4, $0x3e800000
DATA ·quantNEON32+8(SB)/4, $0x3e800000
DATA ·quantNEON32+12(SB)/4, $0x3e800000
DATA ·quantNEON32+16(SB)/4, $0x1
DATA ·quantNEON32+20(SB)/4, $0x2
DATA ·quantNEON32+24(SB)/4, $0x4
DATA ·quantNEON32+28(SB)/4, $0x8
DATA ·quantNEON32+32(SB)/4, $0x10
DATA ·quantNEON32+36(SB)/4, $0x20
DATA ·quantNEON32+40(SB)/4, $0x40
DATA ·quantNEON32+44(SB)/4, $0x80
DATA ·quantNEON32+48(SB)/4, $0x100
DATA ·quantNEON32+52(SB)/4, $0x200
DATA ·quantNEON32+56(SB)/4, $0x400
DATA ·quantNEON32+60(SB)/4, $0x800
DATA ·quantNEON32+64(SB)/4, $0x1000
DATA ·quantNEON32+68(SB)/4, $0x2000
DATA ·quantNEON32+72(SB)/4, $0x4000
DATA ·quantNEON32+76(SB)/4, $0x8000
GLOBL ·quantNEON32(SB), RODATA|NOPTR, $80

DATA ·quantNEON64+0(SB)/8, $0x3fd0000000000000
DATA ·quantNEON64+8(SB)/8, $0x3fd0000000000000
DATA ·quantNEON64+16(SB)/8, $0x1
DATA ·quantNEON64+24(SB)/8, $0x2
DATA ·quantNEON64+32(SB)/8, $0x4
DATA ·quantNEON64+40(SB)/8, $0x8
DATA ·quantNEON64+48(SB)/8, $0x10
DATA ·quantNEON64+56(SB)/8, $0x20
DATA ·quantNEON64+64(SB)/8, $0x40
DATA ·quantNEON64+72(SB)/8, $0x80
GLOBL ·quantNEON64(SB), RODATA|NOPTR, $80

// COUNT32 / COUNT64: the bits of the phases in V<nt> (clobbered), added to
// the counters V<nac> (cos) and V<nas> (sin). 1/4 in V0; clobbers V30, V31.
#define COUNT32(nt, nac, nas) \
	FRINTN_S(30, nt);      /* frintn v30.4s, vt.4s: r = rint(u) */ \
	FSUB_S(nt, nt, 30);    /* fsub vt.4s, vt.4s, v30.4s: v = u − r */ \
	FACGT_S(30, 0, nt);    /* facgt v30.4s, v0.4s, vt.4s: |v| < 1/4 */ \
	FCMGTZ_S(31, nt);      /* fcmgt v31.4s, vt.4s, #0: v > 0 */ \
	SUB_S(nac, nac, 30);   /* sub v<nac>.4s, v<nac>.4s, v30.4s: += cos bit */ \
	SUB_S(nas, nas, 31)    /* sub v<nas>.4s, v<nas>.4s, v31.4s: += sin bit */

#define COUNT64(nt, nac, nas) \
	FRINTN_D(30, nt);      /* frintn v30.2d, vt.2d: r = rint(u) */ \
	FSUB_D(nt, nt, 30);    /* fsub vt.2d, vt.2d, v30.2d: v = u − r */ \
	FACGT_D(30, 0, nt);    /* facgt v30.2d, v0.2d, vt.2d: |v| < 1/4 */ \
	FCMGTZ_D(31, nt);      /* fcmgt v31.2d, vt.2d, #0: v > 0 */ \
	SUB_D(nac, nac, 30);   /* sub v<nac>.2d, v<nac>.2d, v30.2d: += cos bit */ \
	SUB_D(nas, nas, 31)    /* sub v<nas>.2d, v<nas>.2d, v31.2d: += sin bit */

// MASKS32 / MASKS64: the cos mask of the phases in V<nt> (clobbered) to
// V9, the sin mask to V10. 1/4 in V0.
#define MASKS32(nt) \
	FRINTN_S(9, nt);       /* frintn v9.4s, vt.4s: r = rint(u) */ \
	FSUB_S(nt, nt, 9);     /* fsub vt.4s, vt.4s, v9.4s: v = u − r */ \
	FACGT_S(9, 0, nt);     /* facgt v9.4s, v0.4s, vt.4s: |v| < 1/4 */ \
	FCMGTZ_S(10, nt)       /* fcmgt v10.4s, vt.4s, #0: v > 0 */

#define MASKS64(nt) \
	FRINTN_D(9, nt);       /* frintn v9.2d, vt.2d: r = rint(u) */ \
	FSUB_D(nt, nt, 9);     /* fsub vt.2d, vt.2d, v9.2d: v = u − r */ \
	FACGT_D(9, 0, nt);     /* facgt v9.2d, v0.2d, vt.2d: |v| < 1/4 */ \
	FCMGTZ_D(10, nt)       /* fcmgt v10.2d, vt.2d, #0: v > 0 */

// CODES32: the bits of one row's four phase vectors V<n0>…V<n3> (a block)
// as one 32-bit half word in S11 (cos bits 0–15, sin bits 16–31). Weights
// in V1–V4; clobbers V9–V12 and the phases.
#define CODES32(n0, n1, n2, n3) \
	MASKS32(n0);                      \
	VAND	V1.B16, V9.B16, V11.B16;  \
	VAND	V1.B16, V10.B16, V12.B16; \
	MASKS32(n1);                      \
	VAND	V2.B16, V9.B16, V9.B16;   \
	VAND	V2.B16, V10.B16, V10.B16; \
	VORR	V9.B16, V11.B16, V11.B16; \
	VORR	V10.B16, V12.B16, V12.B16; \
	MASKS32(n2);                      \
	VAND	V3.B16, V9.B16, V9.B16;   \
	VAND	V3.B16, V10.B16, V10.B16; \
	VORR	V9.B16, V11.B16, V11.B16; \
	VORR	V10.B16, V12.B16, V12.B16; \
	MASKS32(n3);                      \
	VAND	V4.B16, V9.B16, V9.B16;   \
	VAND	V4.B16, V10.B16, V10.B16; \
	VORR	V9.B16, V11.B16, V11.B16; \
	VORR	V10.B16, V12.B16, V12.B16; \
	VSHL	$16, V12.S4, V12.S4;      \
	VORR	V12.B16, V11.B16, V11.B16; \
	ADDV_S(11, 11)                    /* addv s11, v11.4s: the 32 bits (disjoint) */

// CODES64: the bits of one row's four phase vectors V<n0>…V<n3> (half a
// block): the cos byte in D11, the sin byte in D12. Weights in V1–V4;
// clobbers V9–V12 and the phases.
#define CODES64(n0, n1, n2, n3) \
	MASKS64(n0);                      \
	VAND	V1.B16, V9.B16, V11.B16;  \
	VAND	V1.B16, V10.B16, V12.B16; \
	MASKS64(n1);                      \
	VAND	V2.B16, V9.B16, V9.B16;   \
	VAND	V2.B16, V10.B16, V10.B16; \
	VORR	V9.B16, V11.B16, V11.B16; \
	VORR	V10.B16, V12.B16, V12.B16; \
	MASKS64(n2);                      \
	VAND	V3.B16, V9.B16, V9.B16;   \
	VAND	V3.B16, V10.B16, V10.B16; \
	VORR	V9.B16, V11.B16, V11.B16; \
	VORR	V10.B16, V12.B16, V12.B16; \
	MASKS64(n3);                      \
	VAND	V4.B16, V9.B16, V9.B16;   \
	VAND	V4.B16, V10.B16, V10.B16; \
	VORR	V9.B16, V11.B16, V11.B16; \
	VORR	V10.B16, V12.B16, V12.B16; \
	ADDP_D(11, 11);                   /* addp d11, v11.2d: the cos byte */ \
	ADDP_D(12, 12)                    /* addp d12, v12.2d: the sin byte */

// PHASES32_2 / PHASES32_1 (codes kernels): the phases of two rows (R12,
// R12 + R10) or one row (R12) for the block whose ω' is at R4, ξ' in
// V5–V8, into V16–V23 / V16–V19; d in R3. Advances R12 past the rows;
// clobbers R15–R17, V24–V29.
#define PHASES32_2(lbl) \
	VMOV	V5.B16, V16.B16; \
	VMOV	V6.B16, V17.B16; \
	VMOV	V7.B16, V18.B16; \
	VMOV	V8.B16, V19.B16; \
	VMOV	V5.B16, V20.B16; \
	VMOV	V6.B16, V21.B16; \
	VMOV	V7.B16, V22.B16; \
	VMOV	V8.B16, V23.B16; \
	MOVD	R4, R15;         \
	ADD	R10, R12, R16;   \
	MOVD	R3, R17;         \
lbl:;                            \
	FMOVS.P	4(R12), F28;     \
	FMOVS.P	4(R16), F29;     \
	VLD1.P	64(R15), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	FMLA_S(16, 24, 28, 0);   /* fmla v16.4s, v24.4s, v28.s[0] */ \
	FMLA_S(17, 25, 28, 0);   \
	FMLA_S(18, 26, 28, 0);   \
	FMLA_S(19, 27, 28, 0);   \
	FMLA_S(20, 24, 29, 0);   /* fmla v20.4s, v24.4s, v29.s[0] */ \
	FMLA_S(21, 25, 29, 0);   \
	FMLA_S(22, 26, 29, 0);   \
	FMLA_S(23, 27, 29, 0);   \
	SUBS	$1, R17, R17;    \
	BNE	lbl;             \
	MOVD	R16, R12

#define PHASES32_1(lbl) \
	VMOV	V5.B16, V16.B16; \
	VMOV	V6.B16, V17.B16; \
	VMOV	V7.B16, V18.B16; \
	VMOV	V8.B16, V19.B16; \
	MOVD	R4, R15;         \
	MOVD	R3, R17;         \
lbl:;                            \
	FMOVS.P	4(R12), F28;     \
	VLD1.P	64(R15), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	FMLA_S(16, 24, 28, 0);   /* fmla v16.4s, v24.4s, v28.s[0] */ \
	FMLA_S(17, 25, 28, 0);   \
	FMLA_S(18, 26, 28, 0);   \
	FMLA_S(19, 27, 28, 0);   \
	SUBS	$1, R17, R17;    \
	BNE	lbl

// PHASES64_2 / PHASES64_1: as PHASES32_*, float64, for the half block whose
// ω' is at R22 (16 float64 per dimension, of which these 8).
#define PHASES64_2(lbl) \
	VMOV	V5.B16, V16.B16; \
	VMOV	V6.B16, V17.B16; \
	VMOV	V7.B16, V18.B16; \
	VMOV	V8.B16, V19.B16; \
	VMOV	V5.B16, V20.B16; \
	VMOV	V6.B16, V21.B16; \
	VMOV	V7.B16, V22.B16; \
	VMOV	V8.B16, V23.B16; \
	MOVD	R22, R15;        \
	ADD	R10, R12, R16;   \
	MOVD	R3, R17;         \
lbl:;                            \
	FMOVD.P	8(R12), F28;     \
	FMOVD.P	8(R16), F29;     \
	VLD1	(R15), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	ADD	$128, R15;       \
	FMLA_D(16, 24, 28, 0);   /* fmla v16.2d, v24.2d, v28.d[0] */ \
	FMLA_D(17, 25, 28, 0);   \
	FMLA_D(18, 26, 28, 0);   \
	FMLA_D(19, 27, 28, 0);   \
	FMLA_D(20, 24, 29, 0);   /* fmla v20.2d, v24.2d, v29.d[0] */ \
	FMLA_D(21, 25, 29, 0);   \
	FMLA_D(22, 26, 29, 0);   \
	FMLA_D(23, 27, 29, 0);   \
	SUBS	$1, R17, R17;    \
	BNE	lbl;             \
	MOVD	R16, R12

#define PHASES64_1(lbl) \
	VMOV	V5.B16, V16.B16; \
	VMOV	V6.B16, V17.B16; \
	VMOV	V7.B16, V18.B16; \
	VMOV	V8.B16, V19.B16; \
	MOVD	R22, R15;        \
	MOVD	R3, R17;         \
lbl:;                            \
	FMOVD.P	8(R12), F28;     \
	VLD1	(R15), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	ADD	$128, R15;       \
	FMLA_D(16, 24, 28, 0);   /* fmla v16.2d, v24.2d, v28.d[0] */ \
	FMLA_D(17, 25, 28, 0);   \
	FMLA_D(18, 26, 28, 0);   \
	FMLA_D(19, 27, 28, 0);   \
	SUBS	$1, R17, R17;    \
	BNE	lbl

#define ZERO8(a, b, c, d, e, f, g, h) \
	VEOR	a.B16, a.B16, a.B16; \
	VEOR	b.B16, b.B16, b.B16; \
	VEOR	c.B16, c.B16, c.B16; \
	VEOR	d.B16, d.B16, d.B16; \
	VEOR	e.B16, e.B16, e.B16; \
	VEOR	f.B16, f.B16, f.B16; \
	VEOR	g.B16, g.B16, g.B16; \
	VEOR	h.B16, h.B16, h.B16

// func countF32NEON(x *float32, n, d int, om, xi *float32, nb int, cc, cs *uint32)
//
// Per block, tiles of 2 rows × 16 frequencies. Registers:
//	V0      1/4                V1–V4   ξ' of the block
//	V8–V11  cos counters       V12–V15 sin counters
//	V16–V23 phases of rows i, i+1
//	V24–V27 ω' of dimension k  V28, V29 x[i][k], x[i+1][k]
//	V30, V31 temporaries
// R0 x, R2 n, R3 d, R4 ω' block, R5 ξ', R6 blocks left, R7 cc, R8 cs,
// R10 row stride, R12/R16 rows i/i+1, R14 rows left, R15 ω', R17 k.
TEXT ·countF32NEON(SB), NOSPLIT, $0-64
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R2
	MOVD	d+16(FP), R3
	MOVD	om+24(FP), R4
	MOVD	xi+32(FP), R5
	MOVD	nb+40(FP), R6
	MOVD	cc+48(FP), R7
	MOVD	cs+56(FP), R8
	MOVD	$·quantNEON32(SB), R9
	VLD1	(R9), [V0.S4]
	LSL	$2, R3, R10

c32block:
	VLD1.P	64(R5), [V1.S4, V2.S4, V3.S4, V4.S4]
	ZERO8(V8, V9, V10, V11, V12, V13, V14, V15)
	MOVD	R0, R12
	MOVD	R2, R14
	CMP	$2, R14
	BLT	c32tail

c32pair:
	VMOV	V1.B16, V16.B16
	VMOV	V2.B16, V17.B16
	VMOV	V3.B16, V18.B16
	VMOV	V4.B16, V19.B16
	VMOV	V1.B16, V20.B16
	VMOV	V2.B16, V21.B16
	VMOV	V3.B16, V22.B16
	VMOV	V4.B16, V23.B16
	MOVD	R4, R15
	ADD	R10, R12, R16
	MOVD	R3, R17

c32pairk:
	FMOVS.P	4(R12), F28
	FMOVS.P	4(R16), F29
	VLD1.P	64(R15), [V24.S4, V25.S4, V26.S4, V27.S4]
	FMLA_S(16, 24, 28, 0) // fmla v16.4s, v24.4s, v28.s[0]
	FMLA_S(17, 25, 28, 0) // fmla v17.4s, v25.4s, v28.s[0]
	FMLA_S(18, 26, 28, 0) // fmla v18.4s, v26.4s, v28.s[0]
	FMLA_S(19, 27, 28, 0) // fmla v19.4s, v27.4s, v28.s[0]
	FMLA_S(20, 24, 29, 0) // fmla v20.4s, v24.4s, v29.s[0]
	FMLA_S(21, 25, 29, 0) // fmla v21.4s, v25.4s, v29.s[0]
	FMLA_S(22, 26, 29, 0) // fmla v22.4s, v26.4s, v29.s[0]
	FMLA_S(23, 27, 29, 0) // fmla v23.4s, v27.4s, v29.s[0]
	SUBS	$1, R17, R17
	BNE	c32pairk

	MOVD	R16, R12 // row i+2
	COUNT32(16, 8, 12)
	COUNT32(17, 9, 13)
	COUNT32(18, 10, 14)
	COUNT32(19, 11, 15)
	COUNT32(20, 8, 12)
	COUNT32(21, 9, 13)
	COUNT32(22, 10, 14)
	COUNT32(23, 11, 15)
	SUB	$2, R14, R14
	CMP	$2, R14
	BGE	c32pair

c32tail:
	CBZ	R14, c32flush
	VMOV	V1.B16, V16.B16
	VMOV	V2.B16, V17.B16
	VMOV	V3.B16, V18.B16
	VMOV	V4.B16, V19.B16
	MOVD	R4, R15
	MOVD	R3, R17

c32onek:
	FMOVS.P	4(R12), F28
	VLD1.P	64(R15), [V24.S4, V25.S4, V26.S4, V27.S4]
	FMLA_S(16, 24, 28, 0) // fmla v16.4s, v24.4s, v28.s[0]
	FMLA_S(17, 25, 28, 0) // fmla v17.4s, v25.4s, v28.s[0]
	FMLA_S(18, 26, 28, 0) // fmla v18.4s, v26.4s, v28.s[0]
	FMLA_S(19, 27, 28, 0) // fmla v19.4s, v27.4s, v28.s[0]
	SUBS	$1, R17, R17
	BNE	c32onek

	COUNT32(16, 8, 12)
	COUNT32(17, 9, 13)
	COUNT32(18, 10, 14)
	COUNT32(19, 11, 15)

c32flush:
	// cc[j] += cos counts, cs[j] += sin counts (uint32, wrapping)
	VLD1	(R7), [V24.S4, V25.S4, V26.S4, V27.S4]
	ADD_S(24, 24, 8)  // add v24.4s, v24.4s, v8.4s
	ADD_S(25, 25, 9)  // add v25.4s, v25.4s, v9.4s
	ADD_S(26, 26, 10) // add v26.4s, v26.4s, v10.4s
	ADD_S(27, 27, 11) // add v27.4s, v27.4s, v11.4s
	VST1.P	[V24.S4, V25.S4, V26.S4, V27.S4], 64(R7)
	VLD1	(R8), [V24.S4, V25.S4, V26.S4, V27.S4]
	ADD_S(24, 24, 12) // add v24.4s, v24.4s, v12.4s
	ADD_S(25, 25, 13) // add v25.4s, v25.4s, v13.4s
	ADD_S(26, 26, 14) // add v26.4s, v26.4s, v14.4s
	ADD_S(27, 27, 15) // add v27.4s, v27.4s, v15.4s
	VST1.P	[V24.S4, V25.S4, V26.S4, V27.S4], 64(R8)

	ADD	R3<<6, R4, R4 // next ω' block: d·16 float32
	SUBS	$1, R6, R6
	BNE	c32block
	RET

// func countF64NEON(x *float64, n, d int, om, xi *float64, nb int, cc, cs *uint32)
//
// Per half block (8 frequencies), tiles of 2 rows × 8 frequencies, with
// 64-bit counters (narrowed to 32 bits when added into cc, cs). Registers
// as countF32NEON, with ξ' in V1–V4 and the 2D counters in V8–V15;
// R21 halves left in the block, R22 ω' of the half.
TEXT ·countF64NEON(SB), NOSPLIT, $0-64
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R2
	MOVD	d+16(FP), R3
	MOVD	om+24(FP), R4
	MOVD	xi+32(FP), R5
	MOVD	nb+40(FP), R6
	MOVD	cc+48(FP), R7
	MOVD	cs+56(FP), R8
	MOVD	$·quantNEON64(SB), R9
	VLD1	(R9), [V0.D2]
	LSL	$3, R3, R10

c64block:
	MOVD	$2, R21
	MOVD	R4, R22

c64half:
	VLD1.P	64(R5), [V1.D2, V2.D2, V3.D2, V4.D2]
	ZERO8(V8, V9, V10, V11, V12, V13, V14, V15)
	MOVD	R0, R12
	MOVD	R2, R14
	CMP	$2, R14
	BLT	c64tail

c64pair:
	VMOV	V1.B16, V16.B16
	VMOV	V2.B16, V17.B16
	VMOV	V3.B16, V18.B16
	VMOV	V4.B16, V19.B16
	VMOV	V1.B16, V20.B16
	VMOV	V2.B16, V21.B16
	VMOV	V3.B16, V22.B16
	VMOV	V4.B16, V23.B16
	MOVD	R22, R15
	ADD	R10, R12, R16
	MOVD	R3, R17

c64pairk:
	FMOVD.P	8(R12), F28
	FMOVD.P	8(R16), F29
	VLD1	(R15), [V24.D2, V25.D2, V26.D2, V27.D2]
	ADD	$128, R15
	FMLA_D(16, 24, 28, 0) // fmla v16.2d, v24.2d, v28.d[0]
	FMLA_D(17, 25, 28, 0) // fmla v17.2d, v25.2d, v28.d[0]
	FMLA_D(18, 26, 28, 0) // fmla v18.2d, v26.2d, v28.d[0]
	FMLA_D(19, 27, 28, 0) // fmla v19.2d, v27.2d, v28.d[0]
	FMLA_D(20, 24, 29, 0) // fmla v20.2d, v24.2d, v29.d[0]
	FMLA_D(21, 25, 29, 0) // fmla v21.2d, v25.2d, v29.d[0]
	FMLA_D(22, 26, 29, 0) // fmla v22.2d, v26.2d, v29.d[0]
	FMLA_D(23, 27, 29, 0) // fmla v23.2d, v27.2d, v29.d[0]
	SUBS	$1, R17, R17
	BNE	c64pairk

	MOVD	R16, R12 // row i+2
	COUNT64(16, 8, 12)
	COUNT64(17, 9, 13)
	COUNT64(18, 10, 14)
	COUNT64(19, 11, 15)
	COUNT64(20, 8, 12)
	COUNT64(21, 9, 13)
	COUNT64(22, 10, 14)
	COUNT64(23, 11, 15)
	SUB	$2, R14, R14
	CMP	$2, R14
	BGE	c64pair

c64tail:
	CBZ	R14, c64flush
	VMOV	V1.B16, V16.B16
	VMOV	V2.B16, V17.B16
	VMOV	V3.B16, V18.B16
	VMOV	V4.B16, V19.B16
	MOVD	R22, R15
	MOVD	R3, R17

c64onek:
	FMOVD.P	8(R12), F28
	VLD1	(R15), [V24.D2, V25.D2, V26.D2, V27.D2]
	ADD	$128, R15
	FMLA_D(16, 24, 28, 0) // fmla v16.2d, v24.2d, v28.d[0]
	FMLA_D(17, 25, 28, 0) // fmla v17.2d, v25.2d, v28.d[0]
	FMLA_D(18, 26, 28, 0) // fmla v18.2d, v26.2d, v28.d[0]
	FMLA_D(19, 27, 28, 0) // fmla v19.2d, v27.2d, v28.d[0]
	SUBS	$1, R17, R17
	BNE	c64onek

	COUNT64(16, 8, 12)
	COUNT64(17, 9, 13)
	COUNT64(18, 10, 14)
	COUNT64(19, 11, 15)

c64flush:
	// 64-bit counters to 32 bits (wrapping), added into cc, cs
	XTN_S(24, 8)   // xtn v24.2s, v8.2d
	XTN2_S(24, 9)  // xtn2 v24.4s, v9.2d
	XTN_S(25, 10)  // xtn v25.2s, v10.2d
	XTN2_S(25, 11) // xtn2 v25.4s, v11.2d
	VLD1	(R7), [V26.S4, V27.S4]
	ADD_S(26, 26, 24) // add v26.4s, v26.4s, v24.4s
	ADD_S(27, 27, 25) // add v27.4s, v27.4s, v25.4s
	VST1.P	[V26.S4, V27.S4], 32(R7)
	XTN_S(24, 12)  // xtn v24.2s, v12.2d
	XTN2_S(24, 13) // xtn2 v24.4s, v13.2d
	XTN_S(25, 14)  // xtn v25.2s, v14.2d
	XTN2_S(25, 15) // xtn2 v25.4s, v15.2d
	VLD1	(R8), [V26.S4, V27.S4]
	ADD_S(26, 26, 24) // add v26.4s, v26.4s, v24.4s
	ADD_S(27, 27, 25) // add v27.4s, v27.4s, v25.4s
	VST1.P	[V26.S4, V27.S4], 32(R8)

	ADD	$64, R22 // ω' of the second half
	SUBS	$1, R21, R21
	BNE	c64half
	ADD	R3<<7, R4, R4 // next ω' block: d·16 float64
	SUBS	$1, R6, R6
	BNE	c64block
	RET

// func codesF32NEON(x *float32, n, d int, om, xi *float32, nb int, code *uint64)
//
// Per block, tiles of 2 rows × 16 frequencies; each row's 32 bits go to
// the 32-bit half word 4·b bytes into the row's code. Registers:
//	V0      1/4                V1–V4   weights   V5–V8 ξ' of the block
//	V9–V12  masks and bits     V16–V23 phases of rows i, i+1
//	V24–V27 ω' of dimension k  V28, V29 x[i][k], x[i+1][k]
// R0 x, R2 n, R3 d, R4 ω' block, R5 ξ', R6 blocks left, R7 code,
// R10 row stride, R11 row bytes of code, R12/R16 rows i/i+1, R14 rows
// left, R15 ω', R17 k, R19 code of the block, R20 code of row i.
TEXT ·codesF32NEON(SB), NOSPLIT, $0-56
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R2
	MOVD	d+16(FP), R3
	MOVD	om+24(FP), R4
	MOVD	xi+32(FP), R5
	MOVD	nb+40(FP), R6
	MOVD	code+48(FP), R7
	MOVD	$·quantNEON32(SB), R9
	VLD1.P	16(R9), [V0.S4]
	VLD1	(R9), [V1.S4, V2.S4, V3.S4, V4.S4]
	LSL	$2, R3, R10
	ADD	$1, R6, R11
	LSR	$1, R11, R11
	LSL	$3, R11, R11 // (nb+1)/2 words

	// odd nb: clear the high half of each row's last word
	TBZ	$0, R6, k32start
	ADD	R6<<2, R7, R13
	MOVD	R2, R14

k32pad:
	MOVW	ZR, (R13)
	ADD	R11, R13, R13
	SUBS	$1, R14, R14
	BNE	k32pad

k32start:
	MOVD	R7, R19

k32block:
	VLD1.P	64(R5), [V5.S4, V6.S4, V7.S4, V8.S4]
	MOVD	R0, R12
	MOVD	R2, R14
	MOVD	R19, R20
	CMP	$2, R14
	BLT	k32tail

k32pair:
	PHASES32_2(k32pairk)
	CODES32(16, 17, 18, 19)
	FMOVS	F11, (R20)
	ADD	R11, R20, R20
	CODES32(20, 21, 22, 23)
	FMOVS	F11, (R20)
	ADD	R11, R20, R20
	SUB	$2, R14, R14
	CMP	$2, R14
	BGE	k32pair

k32tail:
	CBZ	R14, k32next
	PHASES32_1(k32onek)
	CODES32(16, 17, 18, 19)
	FMOVS	F11, (R20)

k32next:
	ADD	$4, R19, R19
	ADD	R3<<6, R4, R4 // next ω' block: d·16 float32
	SUBS	$1, R6, R6
	BNE	k32block
	RET

// func codesF64NEON(x *float64, n, d int, om, xi *float64, nb int, code *uint64)
//
// Per half block h of block b, tiles of 2 rows × 8 frequencies; each row's
// cos byte goes 4·b + h bytes into its code, the sin byte two further.
// Registers as codesF32NEON (float64 lanes); R21 halves left in the block,
// R22 ω' of the half, R23 a byte of bits.
TEXT ·codesF64NEON(SB), NOSPLIT, $0-56
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R2
	MOVD	d+16(FP), R3
	MOVD	om+24(FP), R4
	MOVD	xi+32(FP), R5
	MOVD	nb+40(FP), R6
	MOVD	code+48(FP), R7
	MOVD	$·quantNEON64(SB), R9
	VLD1.P	16(R9), [V0.D2]
	VLD1	(R9), [V1.D2, V2.D2, V3.D2, V4.D2]
	LSL	$3, R3, R10
	ADD	$1, R6, R11
	LSR	$1, R11, R11
	LSL	$3, R11, R11 // (nb+1)/2 words

	// odd nb: clear the high half of each row's last word
	TBZ	$0, R6, k64start
	ADD	R6<<2, R7, R13
	MOVD	R2, R14

k64pad:
	MOVW	ZR, (R13)
	ADD	R11, R13, R13
	SUBS	$1, R14, R14
	BNE	k64pad

k64start:
	MOVD	R7, R19

k64block:
	MOVD	$2, R21
	MOVD	R4, R22

k64half:
	VLD1.P	64(R5), [V5.D2, V6.D2, V7.D2, V8.D2]
	MOVD	R0, R12
	MOVD	R2, R14
	MOVD	R19, R20
	CMP	$2, R14
	BLT	k64tail

k64pair:
	PHASES64_2(k64pairk)
	CODES64(16, 17, 18, 19)
	FMOVD	F11, R23
	MOVB	R23, (R20)
	FMOVD	F12, R23
	MOVB	R23, 2(R20)
	ADD	R11, R20, R20
	CODES64(20, 21, 22, 23)
	FMOVD	F11, R23
	MOVB	R23, (R20)
	FMOVD	F12, R23
	MOVB	R23, 2(R20)
	ADD	R11, R20, R20
	SUB	$2, R14, R14
	CMP	$2, R14
	BGE	k64pair

k64tail:
	CBZ	R14, k64next
	PHASES64_1(k64onek)
	CODES64(16, 17, 18, 19)
	FMOVD	F11, R23
	MOVB	R23, (R20)
	FMOVD	F12, R23
	MOVB	R23, 2(R20)

k64next:
	ADD	$64, R22 // ω' of the second half
	ADD	$1, R19, R19 // its bytes
	SUBS	$1, R21, R21
	BNE	k64half
	ADD	$2, R19, R19 // next block: 4 bytes on
	ADD	R3<<7, R4, R4 // next ω' block: d·16 float64
	SUBS	$1, R6, R6
	BNE	k64block
	RET
