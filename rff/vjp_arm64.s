//go:build !purego

#include "textflag.h"
#include "sincos_arm64.h"

// NEON VJP kernels: the algorithm of vjpF32Go / vjpF64Go (vjp_generic.go)
// with the twin's fused operations (phases, sincos as in kernel_arm64.s,
// tmp = a·c then tmp += b·s then V += tmp, h = b·c then h −= a·s,
// G_k += h·ω_k). Frequencies in lanes, one row at a time, x_k by element.
//
// For small d the row's sums V and G_k are one register each (lanes mix
// frequencies, so they are added in another order than the twin's 16
// lanes; the results differ by rounding only). Larger d keep V in 16 lanes
// of registers and G_k in the scratch gs, exactly as the twin does, and
// give its bits.
//
// General-purpose registers, both kernels:
//	R0 x (row)   R1 rows left  R2 d      R3 om     R4 xi     R5 a
//	R6 b         R7 nb         R8 gs     R9 v      R10 gr (row)
//	R11 ω block  R12 ξ         R13 a     R14 b     R15 blocks left
//	R16 ω (dims) R17 k left    R19 x_k   R20 gs_k  R21 128 (float64 ω stride)
//	R22 bytes per ω block (d·16 elements)

// ROWPTRS starts a row at the first block.
#define ROWPTRS \
	MOVD	R3, R11; \
	MOVD	R4, R12; \
	MOVD	R5, R13; \
	MOVD	R6, R14; \
	MOVD	R7, R15

// ---- float32: a block of 16 frequencies is four vectors ----

// VH32: with sin in vt and cos in V28, load a and b, add a·c + b·s into
// V<nacc> and leave h = b·c − a·s in vh (number nh).
#define VH32(vt, vh, nh, nacc) \
	VLD1.P	16(R13), [V24.S4];         \
	VLD1.P	16(R14), [V25.S4];         \
	FMUL_S(26, 24, 28);                /* fmul v26.4s, v24.4s, v28.4s: a·c */ \
	VFMLA	V25.S4, vt.S4, V26.S4;     /* + b·s */ \
	FADD_S(nacc, nacc, 26);            /* fadd v<nacc>.4s, v<nacc>.4s, v26.4s: V += … */ \
	FMUL_S(nh, 25, 28);                /* fmul vh.4s, v25.4s, v28.4s: b·c */ \
	VFMLS	V24.S4, vt.S4, vh.S4       /* h = b·c − a·s */

// SCVH32: sincos, value and h of the block's phases V16–V19 (h to
// V20–V23), the values added into V<n0>…V<n3>.
#define SCVH32(n0, n1, n2, n3) \
	SINCOS32CORE(V16, 16); VH32(V16, V20, 20, n0); \
	SINCOS32CORE(V17, 17); VH32(V17, V21, 21, n1); \
	SINCOS32CORE(V18, 18); VH32(V18, V22, 22, n2); \
	SINCOS32CORE(V19, 19); VH32(V19, V23, 23, n3)

// PH32: phases V16–V19 += x_k·ω_k, x_k lane ln of V<xn>, ω_k at R16.
#define PH32(xn, ln) \
	VLD1.P	64(R16), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	FMLA_S(16, 24, xn, ln);            /* fmla v16.4s, v24.4s, v<xn>.s[ln] */ \
	FMLA_S(17, 25, xn, ln);            /* fmla v17.4s, v25.4s, v<xn>.s[ln] */ \
	FMLA_S(18, 26, xn, ln);            /* fmla v18.4s, v26.4s, v<xn>.s[ln] */ \
	FMLA_S(19, 27, xn, ln)             /* fmla v19.4s, v27.4s, v<xn>.s[ln] */

// GR32: G_k (register vg) += h·ω_k, ω_k at R11.
#define GR32(vg) \
	VLD1.P	64(R11), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	VFMLA	V24.S4, V20.S4, vg.S4;     \
	VFMLA	V25.S4, V21.S4, vg.S4;     \
	VFMLA	V26.S4, V22.S4, vg.S4;     \
	VFMLA	V27.S4, V23.S4, vg.S4

// HADD32: (p) += the four lanes of V<nv> in float64, pairwise; p += 8.
#define HADD32(nv, p) \
	FCVTL(24, nv);                     /* fcvtl v24.2d, v<nv>.2s */ \
	FCVTL2(25, nv);                    /* fcvtl2 v25.2d, v<nv>.4s */ \
	FADD_D(24, 24, 25);                /* fadd v24.2d, v24.2d, v25.2d */ \
	FADDP_D(24, 24);                   /* faddp d24, v24.2d */ \
	FMOVD	(p), F25;                  \
	FADDD	F24, F25;                  \
	FMOVD.P	F25, 8(p)

// HADD32x16: (p) += the 16 lanes of V<n0>…V<n3> in float64, as sumLanes32
// (halves, quarters, …); p += 8. Clobbers V20–V27.
#define HADD32x16(n0, n1, n2, n3, p) \
	FCVTL(20, n0);                     /* fcvtl v20.2d, v<n0>.2s: lanes 0, 1 */ \
	FCVTL2(21, n0);                    /* fcvtl2 v21.2d, v<n0>.4s */ \
	FCVTL(22, n1);                     /* fcvtl v22.2d, v<n1>.2s */ \
	FCVTL2(23, n1);                    /* fcvtl2 v23.2d, v<n1>.4s */ \
	FCVTL(24, n2);                     /* fcvtl v24.2d, v<n2>.2s: lanes 8, 9 */ \
	FCVTL2(25, n2);                    /* fcvtl2 v25.2d, v<n2>.4s */ \
	FCVTL(26, n3);                     /* fcvtl v26.2d, v<n3>.2s */ \
	FCVTL2(27, n3);                    /* fcvtl2 v27.2d, v<n3>.4s */ \
	HSUM64x8(20, 21, 22, 23, 24, 25, 26, 27); \
	FMOVD	(p), F21;                  \
	FADDD	F20, F21;                  \
	FMOVD.P	F21, 8(p)

// HSUM64x8: 16 float64 lanes in V<p0>…V<p7> summed pairwise into d<p0>.
#define HSUM64x8(p0, p1, p2, p3, p4, p5, p6, p7) \
	FADD_D(p0, p0, p4);                /* fadd: lane l += lane l+8 */ \
	FADD_D(p1, p1, p5);                \
	FADD_D(p2, p2, p6);                \
	FADD_D(p3, p3, p7);                \
	FADD_D(p0, p0, p2);                /* fadd: lane l += lane l+4 */ \
	FADD_D(p1, p1, p3);                \
	FADD_D(p0, p0, p1);                /* fadd: lane l += lane l+2 */ \
	FADDP_D(p0, p0)                    /* faddp: lane 0 + lane 1 */

// Per-d pieces of the register variants: x_k to lane k%4 of V4+k/4, G_k in
// V6+k.
#define LDX32_1 VLD1.P 4(R0), V4.S[0]
#define LDX32_2 LDX32_1; VLD1.P 4(R0), V4.S[1]
#define LDX32_3 LDX32_2; VLD1.P 4(R0), V4.S[2]
#define LDX32_4 LDX32_3; VLD1.P 4(R0), V4.S[3]
#define LDX32_5 LDX32_4; VLD1.P 4(R0), V5.S[0]
#define LDX32_6 LDX32_5; VLD1.P 4(R0), V5.S[1]
#define LDX32_7 LDX32_6; VLD1.P 4(R0), V5.S[2]
#define LDX32_8 LDX32_7; VLD1.P 4(R0), V5.S[3]

#define PH32_1 PH32(4, 0)
#define PH32_2 PH32_1; PH32(4, 1)
#define PH32_3 PH32_2; PH32(4, 2)
#define PH32_4 PH32_3; PH32(4, 3)
#define PH32_5 PH32_4; PH32(5, 0)
#define PH32_6 PH32_5; PH32(5, 1)
#define PH32_7 PH32_6; PH32(5, 2)
#define PH32_8 PH32_7; PH32(5, 3)

#define GR32_1 GR32(V6)
#define GR32_2 GR32_1; GR32(V7)
#define GR32_3 GR32_2; GR32(V8)
#define GR32_4 GR32_3; GR32(V9)
#define GR32_5 GR32_4; GR32(V10)
#define GR32_6 GR32_5; GR32(V11)
#define GR32_7 GR32_6; GR32(V12)
#define GR32_8 GR32_7; GR32(V13)

#define ZG32_1 VEOR V6.B16, V6.B16, V6.B16
#define ZG32_2 ZG32_1; VEOR V7.B16, V7.B16, V7.B16
#define ZG32_3 ZG32_2; VEOR V8.B16, V8.B16, V8.B16
#define ZG32_4 ZG32_3; VEOR V9.B16, V9.B16, V9.B16
#define ZG32_5 ZG32_4; VEOR V10.B16, V10.B16, V10.B16
#define ZG32_6 ZG32_5; VEOR V11.B16, V11.B16, V11.B16
#define ZG32_7 ZG32_6; VEOR V12.B16, V12.B16, V12.B16
#define ZG32_8 ZG32_7; VEOR V13.B16, V13.B16, V13.B16

#define FLG32_1 HADD32(6, R10)
#define FLG32_2 FLG32_1; HADD32(7, R10)
#define FLG32_3 FLG32_2; HADD32(8, R10)
#define FLG32_4 FLG32_3; HADD32(9, R10)
#define FLG32_5 FLG32_4; HADD32(10, R10)
#define FLG32_6 FLG32_5; HADD32(11, R10)
#define FLG32_7 FLG32_6; HADD32(12, R10)
#define FLG32_8 FLG32_7; HADD32(13, R10)

// ROW32R is the register variant for one d; LDX, PH, GR, ZG, FLG its
// pieces, top and blk its labels.
#define ROW32R(LDX, ZG, PH, GR, FLG, top, blk) \
top:                                   \
	LDX;                               \
	VEOR	V14.B16, V14.B16, V14.B16; \
	ZG;                                \
	ROWPTRS;                           \
blk:                                   \
	VLD1.P	64(R12), [V16.S4, V17.S4, V18.S4, V19.S4]; \
	MOVD	R11, R16;                  \
	PH;                                \
	SCVH32(14, 14, 14, 14);            \
	GR;                                \
	SUBS	$1, R15, R15;              \
	BNE	blk;                           \
	HADD32(14, R9);                    \
	FLG;                               \
	SUBS	$1, R1, R1;                \
	BNE	top;                           \
	RET

// func vjpF32NEON(x *float32, n, d int, om, xi, a, b *float32, nb int, gs *float32, v, gr *float64)
//
// Vector registers:
//	V0–V3   sincos constants    V16–V19 phases, then sin
//	V20–V23 h                   V24–V28 ω, a, b, sincos temporaries
// d ≤ 8 (sums in registers): V4, V5 x (lanes), V6–V13 G_k, V14 V.
// d > 8: V4–V7 V (16 lanes), V29 x_k, G_k in gs (16 lanes each).
//
// Inner loop, per row and block of 16 frequencies: sincos 4×31, value and
// h 4×7, ξ and loop 4, then per dimension 10 for d ≤ 8 (PH32, GR32): 156 +
// 10·d instructions (d = 2: 176). For d > 8, 160 + 17·d (x_k, the gs load
// and store and the loop counters cost the extra 7).
TEXT ·vjpF32NEON(SB), NOSPLIT, $0-88
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R1
	MOVD	d+16(FP), R2
	MOVD	om+24(FP), R3
	MOVD	xi+32(FP), R4
	MOVD	a+40(FP), R5
	MOVD	b+48(FP), R6
	MOVD	nb+56(FP), R7
	MOVD	gs+64(FP), R8
	MOVD	v+72(FP), R9
	MOVD	gr+80(FP), R10
	MOVD	$·neonConst32(SB), R11
	VLD1	(R11), [V0.S4, V1.S4, V2.S4, V3.S4]
	LSL	$6, R2, R22
	CMP	$1, R2
	BEQ	f32r1
	CMP	$2, R2
	BEQ	f32r2
	CMP	$3, R2
	BEQ	f32r3
	CMP	$4, R2
	BEQ	f32r4
	CMP	$5, R2
	BEQ	f32r5
	CMP	$6, R2
	BEQ	f32r6
	CMP	$7, R2
	BEQ	f32r7
	CMP	$8, R2
	BEQ	f32r8

f32g:
	// The twin's clear(gs), and V = 0.
	VEOR	V4.B16, V4.B16, V4.B16
	VEOR	V5.B16, V5.B16, V5.B16
	VEOR	V6.B16, V6.B16, V6.B16
	VEOR	V7.B16, V7.B16, V7.B16
	MOVD	R8, R20
	MOVD	R2, R17

f32gclr:
	VST1.P	[V4.S4, V5.S4, V6.S4, V7.S4], 64(R20)
	SUBS	$1, R17, R17
	BNE	f32gclr
	ROWPTRS

f32gblk:
	VLD1.P	64(R12), [V16.S4, V17.S4, V18.S4, V19.S4]
	MOVD	R0, R19
	MOVD	R2, R17

f32gph:
	VLD1.P	4(R19), V29.S[0]
	VLD1.P	64(R11), [V24.S4, V25.S4, V26.S4, V27.S4]
	FMLA_S(16, 24, 29, 0) // fmla v16.4s, v24.4s, v29.s[0]
	FMLA_S(17, 25, 29, 0) // fmla v17.4s, v25.4s, v29.s[0]
	FMLA_S(18, 26, 29, 0) // fmla v18.4s, v26.4s, v29.s[0]
	FMLA_S(19, 27, 29, 0) // fmla v19.4s, v27.4s, v29.s[0]
	SUBS	$1, R17, R17
	BNE	f32gph

	SCVH32(4, 5, 6, 7)
	SUB	R22, R11, R16 // back to this block's ω
	MOVD	R8, R20
	MOVD	R2, R17

f32ggr:
	VLD1.P	64(R16), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1	(R20), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA	V24.S4, V20.S4, V16.S4
	VFMLA	V25.S4, V21.S4, V17.S4
	VFMLA	V26.S4, V22.S4, V18.S4
	VFMLA	V27.S4, V23.S4, V19.S4
	VST1.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R20)
	SUBS	$1, R17, R17
	BNE	f32ggr

	SUBS	$1, R15, R15
	BNE	f32gblk

	HADD32x16(4, 5, 6, 7, R9)
	MOVD	R8, R20
	MOVD	R2, R17

f32gfl:
	VLD1.P	64(R20), [V16.S4, V17.S4, V18.S4, V19.S4]
	HADD32x16(16, 17, 18, 19, R10)
	SUBS	$1, R17, R17
	BNE	f32gfl

	ADD	R2<<2, R0, R0 // next row
	SUBS	$1, R1, R1
	BNE	f32g
	RET

	ROW32R(LDX32_1, ZG32_1, PH32_1, GR32_1, FLG32_1, f32r1, f32r1b)
	ROW32R(LDX32_2, ZG32_2, PH32_2, GR32_2, FLG32_2, f32r2, f32r2b)
	ROW32R(LDX32_3, ZG32_3, PH32_3, GR32_3, FLG32_3, f32r3, f32r3b)
	ROW32R(LDX32_4, ZG32_4, PH32_4, GR32_4, FLG32_4, f32r4, f32r4b)
	ROW32R(LDX32_5, ZG32_5, PH32_5, GR32_5, FLG32_5, f32r5, f32r5b)
	ROW32R(LDX32_6, ZG32_6, PH32_6, GR32_6, FLG32_6, f32r6, f32r6b)
	ROW32R(LDX32_7, ZG32_7, PH32_7, GR32_7, FLG32_7, f32r7, f32r7b)
	ROW32R(LDX32_8, ZG32_8, PH32_8, GR32_8, FLG32_8, f32r8, f32r8b)

// ---- float64: a block is eight vectors, done in two halves of four ----

// VH64 is VH32 on float64.
#define VH64(vt, vh, nh, nacc) \
	VLD1.P	16(R13), [V24.D2];         \
	VLD1.P	16(R14), [V25.D2];         \
	FMUL_D(26, 24, 28);                /* fmul v26.2d, v24.2d, v28.2d: a·c */ \
	VFMLA	V25.D2, vt.D2, V26.D2;     /* + b·s */ \
	FADD_D(nacc, nacc, 26);            /* fadd v<nacc>.2d, v<nacc>.2d, v26.2d: V += … */ \
	FMUL_D(nh, 25, 28);                /* fmul vh.2d, v25.2d, v28.2d: b·c */ \
	VFMLS	V24.D2, vt.D2, vh.D2       /* h = b·c − a·s */

// SCVH64: sincos, value and h of the half block's phases V16–V19.
#define SCVH64(n0, n1, n2, n3) \
	SINCOS64CORE(V16, 16); VH64(V16, V20, 20, n0); \
	SINCOS64CORE(V17, 17); VH64(V17, V21, 21, n1); \
	SINCOS64CORE(V18, 18); VH64(V18, V22, 22, n2); \
	SINCOS64CORE(V19, 19); VH64(V19, V23, 23, n3)

// PH64: phases V16–V19 += x_k·ω_k, x_k lane ln of V<xn>, ω_k at R16
// (next dimension 128 bytes on).
#define PH64(xn, ln) \
	VLD1.P	(R16)(R21), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	FMLA_D(16, 24, xn, ln);            /* fmla v16.2d, v24.2d, v<xn>.d[ln] */ \
	FMLA_D(17, 25, xn, ln);            /* fmla v17.2d, v25.2d, v<xn>.d[ln] */ \
	FMLA_D(18, 26, xn, ln);            /* fmla v18.2d, v26.2d, v<xn>.d[ln] */ \
	FMLA_D(19, 27, xn, ln)             /* fmla v19.2d, v27.2d, v<xn>.d[ln] */

// GR64: G_k (register vg) += h·ω_k, ω_k at R16.
#define GR64(vg) \
	VLD1.P	(R16)(R21), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	VFMLA	V24.D2, V20.D2, vg.D2;     \
	VFMLA	V25.D2, V21.D2, vg.D2;     \
	VFMLA	V26.D2, V22.D2, vg.D2;     \
	VFMLA	V27.D2, V23.D2, vg.D2

// HADD64: (p) += the two lanes of V<nv>; p += 8.
#define HADD64(nv, p) \
	FADDP_D(24, nv);                   /* faddp d24, v<nv>.2d */ \
	FMOVD	(p), F25;                  \
	FADDD	F24, F25;                  \
	FMOVD.P	F25, 8(p)

// Per-d pieces: x_k to lane k%2 of V10+k/2, G_k in V12+k.
#define LDX64_1 VLD1.P 8(R0), V10.D[0]
#define LDX64_2 LDX64_1; VLD1.P 8(R0), V10.D[1]
#define LDX64_3 LDX64_2; VLD1.P 8(R0), V11.D[0]
#define LDX64_4 LDX64_3; VLD1.P 8(R0), V11.D[1]

#define PH64_1 PH64(10, 0)
#define PH64_2 PH64_1; PH64(10, 1)
#define PH64_3 PH64_2; PH64(11, 0)
#define PH64_4 PH64_3; PH64(11, 1)

#define GR64_1 GR64(V12)
#define GR64_2 GR64_1; GR64(V13)
#define GR64_3 GR64_2; GR64(V14)
#define GR64_4 GR64_3; GR64(V15)

#define ZG64_1 VEOR V12.B16, V12.B16, V12.B16
#define ZG64_2 ZG64_1; VEOR V13.B16, V13.B16, V13.B16
#define ZG64_3 ZG64_2; VEOR V14.B16, V14.B16, V14.B16
#define ZG64_4 ZG64_3; VEOR V15.B16, V15.B16, V15.B16

#define FLG64_1 HADD64(12, R10)
#define FLG64_2 FLG64_1; HADD64(13, R10)
#define FLG64_3 FLG64_2; HADD64(14, R10)
#define FLG64_4 FLG64_3; HADD64(15, R10)

// HALF64R is half h of a block (ω 64·h bytes into it) for the register
// variants.
#define HALF64R(PH, GR, off) \
	VLD1.P	64(R12), [V16.D2, V17.D2, V18.D2, V19.D2]; \
	ADD	$(off), R11, R16;              \
	PH;                                \
	SCVH64(29, 29, 29, 29);            \
	ADD	$(off), R11, R16;              \
	GR

#define ROW64R(LDX, ZG, PH, GR, FLG, top, blk) \
top:                                   \
	LDX;                               \
	VEOR	V29.B16, V29.B16, V29.B16; \
	ZG;                                \
	ROWPTRS;                           \
blk:                                   \
	HALF64R(PH, GR, 0);                \
	HALF64R(PH, GR, 64);               \
	ADD	R22, R11, R11;                 \
	SUBS	$1, R15, R15;              \
	BNE	blk;                           \
	HADD64(29, R9);                    \
	FLG;                               \
	SUBS	$1, R1, R1;                \
	BNE	top;                           \
	RET

// HALF64G is half h of a block for d > 4: V<n0>…V<n3> are the value lanes
// 8h…8h+7, G_k lanes 8h…8h+7 at gs + 128k + 64h.
#define HALF64G(off, n0, n1, n2, n3, ph, gr) \
	VLD1.P	64(R12), [V16.D2, V17.D2, V18.D2, V19.D2]; \
	MOVD	R0, R19;                   \
	ADD	$(off), R11, R16;              \
	MOVD	R2, R17;                   \
ph:                                    \
	VLD1.P	8(R19), V31.D[0];          \
	PH64(31, 0);                       \
	SUBS	$1, R17, R17;              \
	BNE	ph;                            \
	SCVH64(n0, n1, n2, n3);            \
	ADD	$(off), R11, R16;              \
	ADD	$(off), R8, R20;               \
	MOVD	R2, R17;                   \
gr:                                    \
	VLD1.P	(R16)(R21), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	VLD1	(R20), [V16.D2, V17.D2, V18.D2, V19.D2]; \
	VFMLA	V24.D2, V20.D2, V16.D2;    \
	VFMLA	V25.D2, V21.D2, V17.D2;    \
	VFMLA	V26.D2, V22.D2, V18.D2;    \
	VFMLA	V27.D2, V23.D2, V19.D2;    \
	VST1.P	[V16.D2, V17.D2, V18.D2, V19.D2], (R20)(R21); \
	SUBS	$1, R17, R17;              \
	BNE	gr

// func vjpF64NEON(x *float64, n, d int, om, xi, a, b *float64, nb int, gs *float64, v, gr *float64)
//
// Vector registers:
//	V0–V9   sincos constants    V16–V19 phases, then sin (half block)
//	V20–V23 h                   V24–V28 ω, a, b, sincos temporaries
// d ≤ 4 (sums in registers): V10, V11 x (lanes), V12–V15 G_k, V29 V.
// d > 4: V10–V15, V29, V30 V (16 lanes), V31 x_k, G_k in gs (16 lanes).
//
// Inner loop, per row and block of 16 frequencies: sincos 8×43, value and
// h 8×7, ξ, pointers and loop 9, then per dimension 20 for d ≤ 4 (PH64,
// GR64 in both halves): 409 + 20·d instructions (d = 2: 449). For d > 4,
// 417 + 34·d.
TEXT ·vjpF64NEON(SB), NOSPLIT, $0-88
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R1
	MOVD	d+16(FP), R2
	MOVD	om+24(FP), R3
	MOVD	xi+32(FP), R4
	MOVD	a+40(FP), R5
	MOVD	b+48(FP), R6
	MOVD	nb+56(FP), R7
	MOVD	gs+64(FP), R8
	MOVD	v+72(FP), R9
	MOVD	gr+80(FP), R10
	MOVD	$·neonConst64(SB), R11
	VLD1.P	64(R11), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P	64(R11), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1	(R11), [V8.D2, V9.D2]
	LSL	$7, R2, R22
	MOVD	$128, R21
	CMP	$1, R2
	BEQ	f64r1
	CMP	$2, R2
	BEQ	f64r2
	CMP	$3, R2
	BEQ	f64r3
	CMP	$4, R2
	BEQ	f64r4

f64g:
	// The twin's clear(gs), and V = 0.
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	MOVD	R8, R20
	MOVD	R2, R17

f64gclr:
	VST1.P	[V10.D2, V11.D2, V12.D2, V13.D2], 64(R20)
	VST1.P	[V10.D2, V11.D2, V12.D2, V13.D2], 64(R20)
	SUBS	$1, R17, R17
	BNE	f64gclr
	ROWPTRS

f64gblk:
	HALF64G(0, 10, 11, 12, 13, f64gph0, f64ggr0)
	HALF64G(64, 14, 15, 29, 30, f64gph1, f64ggr1)
	ADD	R22, R11, R11
	SUBS	$1, R15, R15
	BNE	f64gblk

	HSUM64x8(10, 11, 12, 13, 14, 15, 29, 30)
	FMOVD	(R9), F24
	FADDD	F10, F24
	FMOVD.P	F24, 8(R9)
	MOVD	R8, R20
	MOVD	R2, R17

f64gfl:
	VLD1.P	64(R20), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1.P	64(R20), [V20.D2, V21.D2, V22.D2, V23.D2]
	HSUM64x8(16, 17, 18, 19, 20, 21, 22, 23)
	FMOVD	(R10), F24
	FADDD	F16, F24
	FMOVD.P	F24, 8(R10)
	SUBS	$1, R17, R17
	BNE	f64gfl

	ADD	R2<<3, R0, R0 // next row
	SUBS	$1, R1, R1
	BNE	f64g
	RET

	ROW64R(LDX64_1, ZG64_1, PH64_1, GR64_1, FLG64_1, f64r1, f64r1b)
	ROW64R(LDX64_2, ZG64_2, PH64_2, GR64_2, FLG64_2, f64r2, f64r2b)
	ROW64R(LDX64_3, ZG64_3, PH64_3, GR64_3, FLG64_3, f64r3, f64r3b)
	ROW64R(LDX64_4, ZG64_4, PH64_4, GR64_4, FLG64_4, f64r4, f64r4b)
