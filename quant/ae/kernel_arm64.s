//go:build !purego

#include "textflag.h"

// NEON bit kernels: the algorithm of packSignGo, packNonzeroGo, unpackGo
// and unpackTernaryGo (kernel_generic.go), bit for bit.
//
// Pack, per 16 values (four vectors): a compare with zero into lane masks
// (FCMLT for the sign: a set mask means y < 0, so NaN and −0 leave it
// clear; FCMEQ for the support), the weights 2^(4f+l) of the lanes where
// the mask is clear (BIC), the four vectors ORed and their lanes added
// (ADDV of disjoint bits): 16 code bits, four of which make a word. The
// last, partial word of a row is done one value at a time with FCMPS and
// CSET (PL: not less than, or unordered; NE: not equal, or unordered).
// packSign also sums y·0 by FMLA (NaN once a value is not finite) and
// returns whether the sums stayed numbers.
//
// Unpack, per 16 values: the 16 bits in every lane (DUP), tested against
// the weights (CMTST: all ones where set), then −1 EOR (mask AND the sign
// bit) is +1 where the bit is set. The ternary form ANDs the lanes with
// the masks of nz. The last n mod 16 values are done one at a time.
//
// The Go assembler has no mnemonics for some of these, so they are
// encoded from register numbers (vd destination, vn and vm sources).
//
// Registers: R0 y or code, R1 rows, R2 n, R3 code or out, R4 nz,
// R5 full words or groups, R6 values in the last word or group, R7 code
// row stride (bytes), R8–R14 scratch; V16–V19 the weights, V20 −1,
// V21 the sign bit, V0–V7 and V22 scratch; packSign's y·0 sums in V24–V27
// (F28 for the scalar tail), with 0 in V30.

// FCMLT Vd.4S, Vn.4S, #0.0 / FCMEQ Vd.4S, Vn.4S, #0.0 are FCMZ_S with
// op FCMLTZ / FCMEQZ
#define FCMLTZ 0x4ea0e800
#define FCMEQZ 0x4ea0d800
#define FCMZ_S(op, vd, vn) WORD $((op) | ((vn)<<5) | (vd))
// BIC Vd.16B, Vn.16B, Vm.16B (Vd = Vn AND NOT Vm)
#define BIC_B(vd, vn, vm) WORD $(0x4e601c00 | ((vm)<<16) | ((vn)<<5) | (vd))
// ADDV Sd, Vn.4S (sum of the lanes)
#define ADDV_S(vd, vn) WORD $(0x4eb1b800 | ((vn)<<5) | (vd))
// FADD Vd.4S, Vn.4S, Vm.4S; FCMEQ Vd.4S, Vn.4S, Vm.4S (register)
#define FADD_S(vd, vn, vm) WORD $(0x4e20d400 | ((vm)<<16) | ((vn)<<5) | (vd))
#define FCMEQ_S(vd, vn, vm) WORD $(0x4e20e400 | ((vm)<<16) | ((vn)<<5) | (vd))
// CMTST Vd.4S, Vn.4S, Vm.4S (all ones where Vn AND Vm is not zero)
#define CMTST_S(vd, vn, vm) WORD $(0x4ea08c00 | ((vm)<<16) | ((vn)<<5) | (vd))

// Lane l of weight vector f is 1<<(4f+l).
DATA ·aeNEON+0(SB)/4, $0x1
DATA ·aeNEON+4(SB)/4, $0x2
DATA ·aeNEON+8(SB)/4, $0x4
DATA ·aeNEON+12(SB)/4, $0x8
DATA ·aeNEON+16(SB)/4, $0x10
DATA ·aeNEON+20(SB)/4, $0x20
DATA ·aeNEON+24(SB)/4, $0x40
DATA ·aeNEON+28(SB)/4, $0x80
DATA ·aeNEON+32(SB)/4, $0x100
DATA ·aeNEON+36(SB)/4, $0x200
DATA ·aeNEON+40(SB)/4, $0x400
DATA ·aeNEON+44(SB)/4, $0x800
DATA ·aeNEON+48(SB)/4, $0x1000
DATA ·aeNEON+52(SB)/4, $0x2000
DATA ·aeNEON+56(SB)/4, $0x4000
DATA ·aeNEON+60(SB)/4, $0x8000
GLOBL ·aeNEON(SB), RODATA|NOPTR, $64

#define LOADWEIGHTS \
	MOVD	$·aeNEON(SB), R8; \
	VLD1	(R8), [V16.S4, V17.S4, V18.S4, V19.S4]

// ACC16: V24–V27 += the values in V0–V3 times 0 (V30): NaN lanes once a
// value is not finite.
#define ACC16 \
	VFMLA	V30.S4, V0.S4, V24.S4; \
	VFMLA	V30.S4, V1.S4, V25.S4; \
	VFMLA	V30.S4, V2.S4, V26.S4; \
	VFMLA	V30.S4, V3.S4, V27.S4

#define NOACC16

// PACK16(op, sh, ACC): 16 values from (R0), post-incremented, as 16 bits
// ORed into R9 at bit sh. op is FCMLTZ or FCMEQZ: its mask clears a bit.
// ACC is ACC16 or NOACC16 (nothing).
#define PACK16(op, sh, ACC) \
	VLD1.P	64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	ACC; \
	FCMZ_S(op, 0, 0);         /* fcm.. v0.4s, v0.4s, #0: mask where the bit is 0 */ \
	FCMZ_S(op, 1, 1);         \
	FCMZ_S(op, 2, 2);         \
	FCMZ_S(op, 3, 3);         \
	BIC_B(0, 16, 0);          /* bic v0.16b, v16.16b, v0.16b: weights of the 1 bits */ \
	BIC_B(1, 17, 1);          \
	BIC_B(2, 18, 2);          \
	BIC_B(3, 19, 3);          \
	VORR	V1.B16, V0.B16, V0.B16; \
	VORR	V3.B16, V2.B16, V2.B16; \
	VORR	V2.B16, V0.B16, V0.B16; \
	ADDV_S(0, 0);             /* addv s0, v0.4s: the 16 bits */ \
	FMOVS	F0, R10;          \
	ORR	R10<<sh, R9, R9

// The scalar tail of a row's last word compares with FCMPS $0 and sets
// the bit with CSET: PL (not less than, or unordered) for the sign, NE
// (not equal, or unordered) for the support.

TEXT ·packSignNEON(SB), NOSPLIT, $0-33
	MOVD	y+0(FP), R0
	MOVD	rows+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	code+24(FP), R3
	LSR	$6, R2, R5
	AND	$63, R2, R6
	LOADWEIGHTS
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
row:
	MOVD	R5, R8
	CBZ	R8, tail
word:
	MOVD	ZR, R9
	PACK16(FCMLTZ, 0, ACC16)
	PACK16(FCMLTZ, 16, ACC16)
	PACK16(FCMLTZ, 32, ACC16)
	PACK16(FCMLTZ, 48, ACC16)
	MOVD.P	R9, 8(R3)
	SUB	$1, R8
	CBNZ	R8, word
tail:
	CBZ	R6, next
	MOVD	ZR, R9
	MOVD	ZR, R11
one:
	FMOVS.P	4(R0), F0
	FMULS	F30, F0, F1
	FADDS	F1, F28
	FCMPS	$(0.0), F0
	CSET	PL, R10
	LSL	R11, R10, R10
	ORR	R10, R9, R9
	ADD	$1, R11
	CMP	R6, R11
	BNE	one
	MOVD.P	R9, 8(R3)
next:
	SUB	$1, R1
	CBNZ	R1, row
	// NaN in any lane of the sums: some value was not finite
	FADD_S(24, 24, 25)
	FADD_S(26, 26, 27)
	FADD_S(24, 24, 26)
	FCMEQ_S(24, 24, 24)
	VMOV	V24.D[0], R10
	VMOV	V24.D[1], R11
	AND	R11, R10, R10
	MVN	R10, R10
	CBNZ	R10, bad
	FCMPS	F28, F28
	BVS	bad
	MOVD	$1, R10
	MOVB	R10, ret+32(FP)
	RET
bad:
	MOVB	ZR, ret+32(FP)
	RET

TEXT ·packNonzeroNEON(SB), NOSPLIT, $0-32
	MOVD	y+0(FP), R0
	MOVD	rows+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	code+24(FP), R3
	LSR	$6, R2, R5
	AND	$63, R2, R6
	LOADWEIGHTS
row:
	MOVD	R5, R8
	CBZ	R8, tail
word:
	MOVD	ZR, R9
	PACK16(FCMEQZ, 0, NOACC16)
	PACK16(FCMEQZ, 16, NOACC16)
	PACK16(FCMEQZ, 32, NOACC16)
	PACK16(FCMEQZ, 48, NOACC16)
	MOVD.P	R9, 8(R3)
	SUB	$1, R8
	CBNZ	R8, word
tail:
	CBZ	R6, next
	MOVD	ZR, R9
	MOVD	ZR, R11
one:
	FMOVS.P	4(R0), F0
	FCMPS	$(0.0), F0
	CSET	NE, R10
	LSL	R11, R10, R10
	ORR	R10, R9, R9
	ADD	$1, R11
	CMP	R6, R11
	BNE	one
	MOVD.P	R9, 8(R3)
next:
	SUB	$1, R1
	CBNZ	R1, row
	RET

// UNPACKSETUP: R5 groups of 16 a row, R6 values left, R7 the code row
// stride in bytes, the weights, −1 in V20 and the sign bit in V21.
#define UNPACKSETUP \
	LSR	$4, R2, R5;       \
	AND	$15, R2, R6;      \
	ADD	$63, R2, R7;      \
	LSR	$6, R7, R7;       \
	LSL	$3, R7, R7;       \
	LOADWEIGHTS;              \
	MOVW	$0xbf800000, R8;  \
	VDUP	R8, V20.S4;       \
	MOVW	$0x80000000, R8;  \
	VDUP	R8, V21.S4

// SIGNS16: the 16 bits at (R8), post-incremented, as ±1 in V1–V4.
#define SIGNS16 \
	MOVHU.P	2(R8), R10;       \
	VDUP	R10, V0.S4;       \
	CMTST_S(1, 0, 16);        \
	CMTST_S(2, 0, 17);        \
	CMTST_S(3, 0, 18);        \
	CMTST_S(4, 0, 19);        \
	VAND	V21.B16, V1.B16, V1.B16; \
	VAND	V21.B16, V2.B16, V2.B16; \
	VAND	V21.B16, V3.B16, V3.B16; \
	VAND	V21.B16, V4.B16, V4.B16; \
	VEOR	V20.B16, V1.B16, V1.B16; \
	VEOR	V20.B16, V2.B16, V2.B16; \
	VEOR	V20.B16, V3.B16, V3.B16; \
	VEOR	V20.B16, V4.B16, V4.B16

// SIGN1: the low bit of R10 as ±1 in R12; R10 shifted down.
#define SIGN1 \
	AND	$1, R10, R11;     \
	MOVW	$0xbf800000, R12; \
	EOR	R11<<31, R12, R12; \
	LSR	$1, R10, R10

TEXT ·unpackNEON(SB), NOSPLIT, $0-32
	MOVD	code+0(FP), R0
	MOVD	rows+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	out+24(FP), R3
	UNPACKSETUP
urow:
	MOVD	R0, R8
	MOVD	R5, R9
	CBZ	R9, utail
ugroup:
	SIGNS16
	VST1.P	[V1.S4, V2.S4, V3.S4, V4.S4], 64(R3)
	SUB	$1, R9
	CBNZ	R9, ugroup
utail:
	CBZ	R6, unext
	MOVHU	(R8), R10
	MOVD	R6, R9
uone:
	SIGN1
	MOVW.P	R12, 4(R3)
	SUB	$1, R9
	CBNZ	R9, uone
unext:
	ADD	R7, R0, R0
	SUB	$1, R1
	CBNZ	R1, urow
	RET

TEXT ·unpackTernaryNEON(SB), NOSPLIT, $0-40
	MOVD	code+0(FP), R0
	MOVD	nz+8(FP), R4
	MOVD	rows+16(FP), R1
	MOVD	n+24(FP), R2
	MOVD	out+32(FP), R3
	UNPACKSETUP
trow:
	MOVD	R0, R8
	MOVD	R4, R13
	MOVD	R5, R9
	CBZ	R9, ttail
tgroup:
	SIGNS16
	MOVHU.P	2(R13), R10
	VDUP	R10, V0.S4
	CMTST_S(5, 0, 16)
	CMTST_S(6, 0, 17)
	CMTST_S(7, 0, 18)
	CMTST_S(22, 0, 19)
	VAND	V5.B16, V1.B16, V1.B16
	VAND	V6.B16, V2.B16, V2.B16
	VAND	V7.B16, V3.B16, V3.B16
	VAND	V22.B16, V4.B16, V4.B16
	VST1.P	[V1.S4, V2.S4, V3.S4, V4.S4], 64(R3)
	SUB	$1, R9
	CBNZ	R9, tgroup
ttail:
	CBZ	R6, tnext
	MOVHU	(R8), R10
	MOVHU	(R13), R14
	MOVD	R6, R9
tone:
	SIGN1
	AND	$1, R14, R11
	CMP	$0, R11
	CSEL	EQ, ZR, R12, R12
	LSR	$1, R14, R14
	MOVW.P	R12, 4(R3)
	SUB	$1, R9
	CBNZ	R9, tone
tnext:
	ADD	R7, R0, R0
	ADD	R7, R4, R4
	SUB	$1, R1
	CBNZ	R1, trow
	RET
