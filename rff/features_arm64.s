//go:build !purego

#include "textflag.h"
#include "sincos_arm64.h"

// NEON feature kernels: featF32Go / featF64Go (features_generic.go) step for
// step, one row at a time, frequencies in lanes. The phases start at ξ and
// take one by-element FMLA per dimension in the twin's order (so the bits
// are the twin's up to its compiler's fusing); sincos is the shared core
// (sincos_arm64.h); cos goes to out row + j, sin to out row + mp + j.
//
// Blocks are contiguous in om (block b at b·d·16), so the ω pointer just
// runs on through a row's blocks.
//
// General-purpose registers, both kernels:
//	R0 x (row)   R1 rows left  R2 d          R3 om        R4 xi
//	R5 nb        R6 out (row)  R7 ld bytes   R8 mp bytes  R9 cos out
//	R10 sin out  R11 ω         R12 ξ         R13 blocks left
//	R14 x_k      R15 k left    R16 d/4       R17 d mod 4

// ROWPTRS starts a row at the first block.
#define ROWPTRS \
	MOVD	R3, R11;   \
	MOVD	R4, R12;   \
	MOVD	R5, R13;   \
	MOVD	R6, R9;    \
	ADD	R8, R6, R10

// ---- float32: a block of 16 frequencies is four vectors ----

// PH32: phases V16–V19 += x_k·ω_k, x_k lane ln of V<xn>, ω_k at R11.
#define PH32(xn, ln) \
	VLD1.P	64(R11), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	FMLA_S(16, 24, xn, ln);            /* fmla v16.4s, v24.4s, v<xn>.s[ln] */ \
	FMLA_S(17, 25, xn, ln);            /* fmla v17.4s, v25.4s, v<xn>.s[ln] */ \
	FMLA_S(18, 26, xn, ln);            /* fmla v18.4s, v26.4s, v<xn>.s[ln] */ \
	FMLA_S(19, 27, xn, ln)             /* fmla v19.4s, v27.4s, v<xn>.s[ln] */

// SC32: sincos of V16–V19; each cos stored as it comes out of V28 (the
// next core overwrites it), the four sines at once.
#define SC32 \
	SINCOS32CORE(V16, 16); VST1.P [V28.S4], 16(R9); \
	SINCOS32CORE(V17, 17); VST1.P [V28.S4], 16(R9); \
	SINCOS32CORE(V18, 18); VST1.P [V28.S4], 16(R9); \
	SINCOS32CORE(V19, 19); VST1.P [V28.S4], 16(R9); \
	VST1.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R10)

// Per-d pieces of the register variants: x_k to lane k%4 of V4+k/4.
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

// ROW32R is the register variant for one d; LDX and PH its pieces, top and
// blk its labels. LDX moves R0 to the next row.
#define ROW32R(LDX, PH, top, blk) \
top:                                   \
	LDX;                               \
	ROWPTRS;                           \
blk:                                   \
	VLD1.P	64(R12), [V16.S4, V17.S4, V18.S4, V19.S4]; \
	PH;                                \
	SC32;                              \
	SUBS	$1, R13, R13;              \
	BNE	blk;                           \
	ADD	R7, R6, R6;                    \
	SUBS	$1, R1, R1;                \
	BNE	top;                           \
	RET

// func featF32NEON(x *float32, n, d int, om, xi *float32, nb int, out *float32, ld int)
//
// Vector registers: V0–V3 sincos constants, V16–V19 phases then sin,
// V24–V28 ω and sincos temporaries (cos in V28); d ≤ 8: x in the lanes of
// V4, V5; d > 8: four x_k at a time in V29.
//
// Per row and block of 16 frequencies: ξ 1, sincos 4×31, stores 5, loop 2,
// and 5 per dimension for d ≤ 8: 132 + 5·d instructions (d = 2: 142). For
// d > 8, 135 + 23·⌊d/4⌋ + 8·(d mod 4), plus 1 when d mod 4 ≠ 0 (d = 64:
// 503).
TEXT ·featF32NEON(SB), NOSPLIT, $0-64
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R1
	MOVD	d+16(FP), R2
	MOVD	om+24(FP), R3
	MOVD	xi+32(FP), R4
	MOVD	nb+40(FP), R5
	MOVD	out+48(FP), R6
	MOVD	ld+56(FP), R7
	MOVD	$·neonConst32(SB), R11
	VLD1	(R11), [V0.S4, V1.S4, V2.S4, V3.S4]
	LSL	$2, R7, R7
	LSL	$6, R5, R8
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
	LSR	$2, R2, R16 // ≥ 2 here
	AND	$3, R2, R17

f32g:
	ROWPTRS

f32gblk:
	VLD1.P	64(R12), [V16.S4, V17.S4, V18.S4, V19.S4]
	MOVD	R0, R14
	MOVD	R16, R15

f32gk4:
	VLD1.P	16(R14), [V29.S4]
	PH32(29, 0)
	PH32(29, 1)
	PH32(29, 2)
	PH32(29, 3)
	SUBS	$1, R15, R15
	BNE	f32gk4
	CBZ	R17, f32gsc
	MOVD	R17, R15

f32gk1:
	VLD1.P	4(R14), V29.S[0]
	PH32(29, 0)
	SUBS	$1, R15, R15
	BNE	f32gk1

f32gsc:
	SC32
	SUBS	$1, R13, R13
	BNE	f32gblk

	ADD	R2<<2, R0, R0 // next row
	ADD	R7, R6, R6
	SUBS	$1, R1, R1
	BNE	f32g
	RET

	ROW32R(LDX32_1, PH32_1, f32r1, f32r1b)
	ROW32R(LDX32_2, PH32_2, f32r2, f32r2b)
	ROW32R(LDX32_3, PH32_3, f32r3, f32r3b)
	ROW32R(LDX32_4, PH32_4, f32r4, f32r4b)
	ROW32R(LDX32_5, PH32_5, f32r5, f32r5b)
	ROW32R(LDX32_6, PH32_6, f32r6, f32r6b)
	ROW32R(LDX32_7, PH32_7, f32r7, f32r7b)
	ROW32R(LDX32_8, PH32_8, f32r8, f32r8b)

// ---- float64: a block is eight vectors, all in registers at once ----

// PH64: phases V16–V23 += x_k·ω_k, x_k lane ln of V<xn>, ω_k at R11.
#define PH64(xn, ln) \
	VLD1.P	64(R11), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	FMLA_D(16, 24, xn, ln);            /* fmla v16.2d, v24.2d, v<xn>.d[ln] */ \
	FMLA_D(17, 25, xn, ln);            /* fmla v17.2d, v25.2d, v<xn>.d[ln] */ \
	FMLA_D(18, 26, xn, ln);            /* fmla v18.2d, v26.2d, v<xn>.d[ln] */ \
	FMLA_D(19, 27, xn, ln);            /* fmla v19.2d, v27.2d, v<xn>.d[ln] */ \
	VLD1.P	64(R11), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	FMLA_D(20, 24, xn, ln);            /* fmla v20.2d, v24.2d, v<xn>.d[ln] */ \
	FMLA_D(21, 25, xn, ln);            /* fmla v21.2d, v25.2d, v<xn>.d[ln] */ \
	FMLA_D(22, 26, xn, ln);            /* fmla v22.2d, v26.2d, v<xn>.d[ln] */ \
	FMLA_D(23, 27, xn, ln)             /* fmla v23.2d, v27.2d, v<xn>.d[ln] */

// SC64: sincos of V16–V23, as SC32.
#define SC64 \
	SINCOS64CORE(V16, 16); VST1.P [V28.D2], 16(R9); \
	SINCOS64CORE(V17, 17); VST1.P [V28.D2], 16(R9); \
	SINCOS64CORE(V18, 18); VST1.P [V28.D2], 16(R9); \
	SINCOS64CORE(V19, 19); VST1.P [V28.D2], 16(R9); \
	SINCOS64CORE(V20, 20); VST1.P [V28.D2], 16(R9); \
	SINCOS64CORE(V21, 21); VST1.P [V28.D2], 16(R9); \
	SINCOS64CORE(V22, 22); VST1.P [V28.D2], 16(R9); \
	SINCOS64CORE(V23, 23); VST1.P [V28.D2], 16(R9); \
	VST1.P	[V16.D2, V17.D2, V18.D2, V19.D2], 64(R10); \
	VST1.P	[V20.D2, V21.D2, V22.D2, V23.D2], 64(R10)

// Per-d pieces: x_k to lane k%2 of V10+k/2.
#define LDX64_1 VLD1.P 8(R0), V10.D[0]
#define LDX64_2 LDX64_1; VLD1.P 8(R0), V10.D[1]
#define LDX64_3 LDX64_2; VLD1.P 8(R0), V11.D[0]
#define LDX64_4 LDX64_3; VLD1.P 8(R0), V11.D[1]
#define LDX64_5 LDX64_4; VLD1.P 8(R0), V12.D[0]
#define LDX64_6 LDX64_5; VLD1.P 8(R0), V12.D[1]
#define LDX64_7 LDX64_6; VLD1.P 8(R0), V13.D[0]
#define LDX64_8 LDX64_7; VLD1.P 8(R0), V13.D[1]

#define PH64_1 PH64(10, 0)
#define PH64_2 PH64_1; PH64(10, 1)
#define PH64_3 PH64_2; PH64(11, 0)
#define PH64_4 PH64_3; PH64(11, 1)
#define PH64_5 PH64_4; PH64(12, 0)
#define PH64_6 PH64_5; PH64(12, 1)
#define PH64_7 PH64_6; PH64(13, 0)
#define PH64_8 PH64_7; PH64(13, 1)

#define ROW64R(LDX, PH, top, blk) \
top:                                   \
	LDX;                               \
	ROWPTRS;                           \
blk:                                   \
	VLD1.P	64(R12), [V16.D2, V17.D2, V18.D2, V19.D2]; \
	VLD1.P	64(R12), [V20.D2, V21.D2, V22.D2, V23.D2]; \
	PH;                                \
	SC64;                              \
	SUBS	$1, R13, R13;              \
	BNE	blk;                           \
	ADD	R7, R6, R6;                    \
	SUBS	$1, R1, R1;                \
	BNE	top;                           \
	RET

// func featF64NEON(x *float64, n, d int, om, xi *float64, nb int, out *float64, ld int)
//
// Vector registers: V0–V9 sincos constants, V16–V23 phases then sin,
// V24–V28 ω and sincos temporaries (cos in V28); d ≤ 8: x in the lanes of
// V10–V13; d > 8: four x_k at a time in V29, V30.
//
// Per row and block of 16 frequencies: ξ 2, sincos 8×43, stores 10, loop
// 2, and 10 per dimension for d ≤ 8: 358 + 10·d instructions (d = 2: 378).
// For d > 8, 361 + 43·⌊d/4⌋ + 13·(d mod 4), plus 1 when d mod 4 ≠ 0
// (d = 64: 1049).
TEXT ·featF64NEON(SB), NOSPLIT, $0-64
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R1
	MOVD	d+16(FP), R2
	MOVD	om+24(FP), R3
	MOVD	xi+32(FP), R4
	MOVD	nb+40(FP), R5
	MOVD	out+48(FP), R6
	MOVD	ld+56(FP), R7
	MOVD	$·neonConst64(SB), R11
	VLD1.P	64(R11), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P	64(R11), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1	(R11), [V8.D2, V9.D2]
	LSL	$3, R7, R7
	LSL	$7, R5, R8
	CMP	$1, R2
	BEQ	f64r1
	CMP	$2, R2
	BEQ	f64r2
	CMP	$3, R2
	BEQ	f64r3
	CMP	$4, R2
	BEQ	f64r4
	CMP	$5, R2
	BEQ	f64r5
	CMP	$6, R2
	BEQ	f64r6
	CMP	$7, R2
	BEQ	f64r7
	CMP	$8, R2
	BEQ	f64r8
	LSR	$2, R2, R16 // ≥ 2 here
	AND	$3, R2, R17

f64g:
	ROWPTRS

f64gblk:
	VLD1.P	64(R12), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1.P	64(R12), [V20.D2, V21.D2, V22.D2, V23.D2]
	MOVD	R0, R14
	MOVD	R16, R15

f64gk4:
	VLD1.P	32(R14), [V29.D2, V30.D2]
	PH64(29, 0)
	PH64(29, 1)
	PH64(30, 0)
	PH64(30, 1)
	SUBS	$1, R15, R15
	BNE	f64gk4
	CBZ	R17, f64gsc
	MOVD	R17, R15

f64gk1:
	VLD1.P	8(R14), V29.D[0]
	PH64(29, 0)
	SUBS	$1, R15, R15
	BNE	f64gk1

f64gsc:
	SC64
	SUBS	$1, R13, R13
	BNE	f64gblk

	ADD	R2<<3, R0, R0 // next row
	ADD	R7, R6, R6
	SUBS	$1, R1, R1
	BNE	f64g
	RET

	ROW64R(LDX64_1, PH64_1, f64r1, f64r1b)
	ROW64R(LDX64_2, PH64_2, f64r2, f64r2b)
	ROW64R(LDX64_3, PH64_3, f64r3, f64r3b)
	ROW64R(LDX64_4, PH64_4, f64r4, f64r4b)
	ROW64R(LDX64_5, PH64_5, f64r5, f64r5b)
	ROW64R(LDX64_6, PH64_6, f64r6, f64r6b)
	ROW64R(LDX64_7, PH64_7, f64r7, f64r7b)
	ROW64R(LDX64_8, PH64_8, f64r8, f64r8b)
