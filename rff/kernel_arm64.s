//go:build !purego

#include "textflag.h"
#include "sincos_arm64.h"

// NEON sketch kernels: the algorithm of sketchF32Go / sketchF64Go
// (kernel_generic.go), step for step, with every a·b+c fused as the Go
// compiler fuses it on arm64.
//
// Per tile of rows × frequencies the phases start at ξ (kept in registers)
// and take one by-element FMLA per dimension; sincos runs in registers
// (magic-number rounding, three-piece Cody–Waite reduction, the twin's
// polynomials, quadrant fix-up on the bits of the magic sum); w·cos and w·sin
// go into accumulators that stay in registers. In the loop over dimensions
// only x and ω are loaded.
//
// Instruction encodings (FMLA_S, …) and the sincos cores: sincos_arm64.h.

// Constants of sincos32, as the twin rounds them to float32:
// V0 = {2/π, pio2a, pio2b, pio2c}, V1 = {sin1, sin2, sin3, 0.5},
// V2 = {cos1, cos2, cos3, 1}, V3 = magic 1.5·2²³ in every lane.
DATA ·neonConst32+0(SB)/4, $0x3f22f983  // 2/π
DATA ·neonConst32+4(SB)/4, $0x3fc90000  // pio2a
DATA ·neonConst32+8(SB)/4, $0x39fda000  // pio2b
DATA ·neonConst32+12(SB)/4, $0x33a22169 // pio2c
DATA ·neonConst32+16(SB)/4, $0xbe2aaaa3 // sin1
DATA ·neonConst32+20(SB)/4, $0x3c08839e // sin2
DATA ·neonConst32+24(SB)/4, $0xb94ca1f9 // sin3
DATA ·neonConst32+28(SB)/4, $0x3f000000 // 0.5
DATA ·neonConst32+32(SB)/4, $0x3d2aaaa5 // cos1
DATA ·neonConst32+36(SB)/4, $0xbab6061a // cos2
DATA ·neonConst32+40(SB)/4, $0x37ccf5ce // cos3
DATA ·neonConst32+44(SB)/4, $0x3f800000 // 1
DATA ·neonConst32+48(SB)/4, $0x4b400000 // magic
DATA ·neonConst32+52(SB)/4, $0x4b400000
DATA ·neonConst32+56(SB)/4, $0x4b400000
DATA ·neonConst32+60(SB)/4, $0x4b400000
GLOBL ·neonConst32(SB), RODATA|NOPTR, $64

// Constants of sincos64: V0 = {2/π, pio2a}, V1 = {pio2b, pio2c},
// V2–V4 = {sin1, sin2}, {sin3, sin4}, {sin5, sin6},
// V5–V7 = {cos1, cos2}, {cos3, cos4}, {cos5, cos6}, V8 = {0.5, 1},
// V9 = magic 1.5·2⁵² in both lanes.
DATA ·neonConst64+0(SB)/8, $0x3fe45f306dc9c883   // 2/π
DATA ·neonConst64+8(SB)/8, $0x3ff921fb54400000   // pio2a
DATA ·neonConst64+16(SB)/8, $0x3dd0b4611a600000  // pio2b
DATA ·neonConst64+24(SB)/8, $0x3ba3198a2e000000  // pio2c
DATA ·neonConst64+32(SB)/8, $0xbfc5555555555549  // sin1
DATA ·neonConst64+40(SB)/8, $0x3f8111111110f8a6  // sin2
DATA ·neonConst64+48(SB)/8, $0xbf2a01a019c161d5  // sin3
DATA ·neonConst64+56(SB)/8, $0x3ec71de357b1fe7d  // sin4
DATA ·neonConst64+64(SB)/8, $0xbe5ae5e68a2b9ceb  // sin5
DATA ·neonConst64+72(SB)/8, $0x3de5d93a5acfd57c  // sin6
DATA ·neonConst64+80(SB)/8, $0x3fa555555555554c  // cos1
DATA ·neonConst64+88(SB)/8, $0xbf56c16c16c15177  // cos2
DATA ·neonConst64+96(SB)/8, $0x3efa01a019cb1590  // cos3
DATA ·neonConst64+104(SB)/8, $0xbe927e4f809c52ad // cos4
DATA ·neonConst64+112(SB)/8, $0x3e21ee9ebdb4b1c4 // cos5
DATA ·neonConst64+120(SB)/8, $0xbda8fae9be8838d4 // cos6
DATA ·neonConst64+128(SB)/8, $0x3fe0000000000000 // 0.5
DATA ·neonConst64+136(SB)/8, $0x3ff0000000000000 // 1
DATA ·neonConst64+144(SB)/8, $0x4338000000000000 // magic
DATA ·neonConst64+152(SB)/8, $0x4338000000000000
GLOBL ·neonConst64(SB), RODATA|NOPTR, $160

// SINCOS32 is sincos32 on the four phases in register vt (number nt): it
// adds w·cos to accumulator V<nac> and w·sin to V<nas>, w being lane ln of
// V30. Constants in V0–V3 (above); clobbers vt and V24–V28.
#define SINCOS32(vt, nt, nac, nas, ln) \
	SINCOS32CORE(vt, nt);                     \
	FMLA_S(nac, 28, 30, ln);                  /* fmla v<nac>.4s, v28.4s, v30.s[ln]: += w·cos */ \
	FMLA_S(nas, nt, 30, ln)                   /* fmla v<nas>.4s, vt.4s, v30.s[ln]: += w·sin */

// SINCOS64 is sincos64 on the two phases in register vt (number nt): it
// adds w·cos to V<nac> and w·sin to V<nas>, w being lane ln of V<nw>.
// Constants in V0–V9 (above); clobbers vt and V24–V28.
#define SINCOS64(vt, nt, nac, nas, nw, ln) \
	SINCOS64CORE(vt, nt);                     \
	FMLA_D(nac, 28, nw, ln);                  /* fmla v<nac>.2d, v28.2d, v<nw>.d[ln]: += w·cos */ \
	FMLA_D(nas, nt, nw, ln)                   /* fmla v<nas>.2d, vt.2d, v<nw>.d[ln]: += w·sin */

// func sketchF32NEON(x, w *float32, n, d int, om, xi *float32, nb int, c, s *float64)
//
// Tile: 2 rows × 16 frequencies. Registers:
//	V0–V3   constants          V4–V7   ξ of the block
//	V8–V11  Σ w·cos (float32)  V12–V15 Σ w·sin (float32)
//	V16–V19 phases of row i    V20–V23 phases of row i+1
//	V24–V27 ω of dimension k   V28, V29 x[i][k], x[i+1][k]
//	V30     w[i], w[i+1]       (V24–V28 are sincos temporaries)
// R0 x, R1 w, R2 n, R3 d, R4 ω block, R5 ξ, R6 blocks left, R7 c, R8 s,
// R10 row stride, R12/R16 rows i/i+1, R13 w[i], R14 rows left, R15 ω, R17 k.
TEXT ·sketchF32NEON(SB), NOSPLIT, $0-72
	MOVD	x+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	d+24(FP), R3
	MOVD	om+32(FP), R4
	MOVD	xi+40(FP), R5
	MOVD	nb+48(FP), R6
	MOVD	c+56(FP), R7
	MOVD	s+64(FP), R8
	MOVD	$·neonConst32(SB), R9
	VLD1	(R9), [V0.S4, V1.S4, V2.S4, V3.S4]
	LSL	$2, R3, R10

f32block:
	VLD1.P	64(R5), [V4.S4, V5.S4, V6.S4, V7.S4]
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	MOVD	R0, R12
	MOVD	R1, R13
	MOVD	R2, R14
	CMP	$2, R14
	BLT	f32tail

f32pair:
	VMOV	V4.B16, V16.B16
	VMOV	V5.B16, V17.B16
	VMOV	V6.B16, V18.B16
	VMOV	V7.B16, V19.B16
	VMOV	V4.B16, V20.B16
	VMOV	V5.B16, V21.B16
	VMOV	V6.B16, V22.B16
	VMOV	V7.B16, V23.B16
	MOVD	R4, R15
	ADD	R10, R12, R16
	MOVD	R3, R17

f32pairk:
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
	BNE	f32pairk

	MOVD	R16, R12 // row i+2
	FMOVD.P	8(R13), F30
	SINCOS32(V16, 16, 8, 12, 0)
	SINCOS32(V17, 17, 9, 13, 0)
	SINCOS32(V18, 18, 10, 14, 0)
	SINCOS32(V19, 19, 11, 15, 0)
	SINCOS32(V20, 20, 8, 12, 1)
	SINCOS32(V21, 21, 9, 13, 1)
	SINCOS32(V22, 22, 10, 14, 1)
	SINCOS32(V23, 23, 11, 15, 1)
	SUB	$2, R14, R14
	CMP	$2, R14
	BGE	f32pair

f32tail:
	CBZ	R14, f32flush
	VMOV	V4.B16, V16.B16
	VMOV	V5.B16, V17.B16
	VMOV	V6.B16, V18.B16
	VMOV	V7.B16, V19.B16
	MOVD	R4, R15
	MOVD	R3, R17

f32onek:
	FMOVS.P	4(R12), F28
	VLD1.P	64(R15), [V24.S4, V25.S4, V26.S4, V27.S4]
	FMLA_S(16, 24, 28, 0) // fmla v16.4s, v24.4s, v28.s[0]
	FMLA_S(17, 25, 28, 0) // fmla v17.4s, v25.4s, v28.s[0]
	FMLA_S(18, 26, 28, 0) // fmla v18.4s, v26.4s, v28.s[0]
	FMLA_S(19, 27, 28, 0) // fmla v19.4s, v27.4s, v28.s[0]
	SUBS	$1, R17, R17
	BNE	f32onek

	FMOVS	(R13), F30
	SINCOS32(V16, 16, 8, 12, 0)
	SINCOS32(V17, 17, 9, 13, 0)
	SINCOS32(V18, 18, 10, 14, 0)
	SINCOS32(V19, 19, 11, 15, 0)

f32flush:
	// c[j] += float64(Σ w·cos), s[j] += float64(Σ w·sin), 16 each.
	FCVTL(24, 8)   // fcvtl v24.2d, v8.2s
	FCVTL2(25, 8)  // fcvtl2 v25.2d, v8.4s
	FCVTL(26, 9)   // fcvtl v26.2d, v9.2s
	FCVTL2(27, 9)  // fcvtl2 v27.2d, v9.4s
	FCVTL(28, 10)  // fcvtl v28.2d, v10.2s
	FCVTL2(29, 10) // fcvtl2 v29.2d, v10.4s
	FCVTL(30, 11)  // fcvtl v30.2d, v11.2s
	FCVTL2(31, 11) // fcvtl2 v31.2d, v11.4s
	VLD1	(R7), [V16.D2, V17.D2, V18.D2, V19.D2]
	ADD	$64, R7, R9
	VLD1	(R9), [V20.D2, V21.D2, V22.D2, V23.D2]
	FADD_D(16, 16, 24) // fadd v16.2d, v16.2d, v24.2d
	FADD_D(17, 17, 25) // fadd v17.2d, v17.2d, v25.2d
	FADD_D(18, 18, 26) // fadd v18.2d, v18.2d, v26.2d
	FADD_D(19, 19, 27) // fadd v19.2d, v19.2d, v27.2d
	FADD_D(20, 20, 28) // fadd v20.2d, v20.2d, v28.2d
	FADD_D(21, 21, 29) // fadd v21.2d, v21.2d, v29.2d
	FADD_D(22, 22, 30) // fadd v22.2d, v22.2d, v30.2d
	FADD_D(23, 23, 31) // fadd v23.2d, v23.2d, v31.2d
	VST1.P	[V16.D2, V17.D2, V18.D2, V19.D2], 64(R7)
	VST1.P	[V20.D2, V21.D2, V22.D2, V23.D2], 64(R7)

	FCVTL(24, 12)  // fcvtl v24.2d, v12.2s
	FCVTL2(25, 12) // fcvtl2 v25.2d, v12.4s
	FCVTL(26, 13)  // fcvtl v26.2d, v13.2s
	FCVTL2(27, 13) // fcvtl2 v27.2d, v13.4s
	FCVTL(28, 14)  // fcvtl v28.2d, v14.2s
	FCVTL2(29, 14) // fcvtl2 v29.2d, v14.4s
	FCVTL(30, 15)  // fcvtl v30.2d, v15.2s
	FCVTL2(31, 15) // fcvtl2 v31.2d, v15.4s
	VLD1	(R8), [V16.D2, V17.D2, V18.D2, V19.D2]
	ADD	$64, R8, R9
	VLD1	(R9), [V20.D2, V21.D2, V22.D2, V23.D2]
	FADD_D(16, 16, 24) // fadd v16.2d, v16.2d, v24.2d
	FADD_D(17, 17, 25) // fadd v17.2d, v17.2d, v25.2d
	FADD_D(18, 18, 26) // fadd v18.2d, v18.2d, v26.2d
	FADD_D(19, 19, 27) // fadd v19.2d, v19.2d, v27.2d
	FADD_D(20, 20, 28) // fadd v20.2d, v20.2d, v28.2d
	FADD_D(21, 21, 29) // fadd v21.2d, v21.2d, v29.2d
	FADD_D(22, 22, 30) // fadd v22.2d, v22.2d, v30.2d
	FADD_D(23, 23, 31) // fadd v23.2d, v23.2d, v31.2d
	VST1.P	[V16.D2, V17.D2, V18.D2, V19.D2], 64(R8)
	VST1.P	[V20.D2, V21.D2, V22.D2, V23.D2], 64(R8)

	ADD	R3<<6, R4, R4 // next ω block: d·16 float32
	SUBS	$1, R6, R6
	BNE	f32block
	RET

// func sketchF64NEON(x, w *float64, n, d int, om, xi *float64, nb int, c, s *float64)
//
// Tile: 4 rows × 4 frequencies (a quarter block; four passes over the rows
// per block, since 16 float64 accumulators would not leave room for the
// phases). The sums live in registers over the rows, starting from c and s,
// so they round exactly as the twin's. Registers:
//	V0–V9   constants          V10, V11 ξ of the quarter
//	V12–V13 c (Σ w·cos)        V14–V15  s (Σ w·sin)
//	V16–V23 phases, row i+r in V16+2r, V17+2r
//	V24–V25 ω of dimension k   V26–V29  x[i..i+3][k]
//	V30–V31 w[i..i+3]          (V24–V28 are sincos temporaries)
// R0 x, R1 w, R2 n, R3 d, R4 ω block, R5 ξ, R6 blocks left, R7 c, R8 s,
// R10 row stride, R12/R16/R19/R20 rows i..i+3, R13 w[i], R14 rows left,
// R15 ω, R17 k, R21 quarters left, R22 ω of the quarter.
TEXT ·sketchF64NEON(SB), NOSPLIT, $0-72
	MOVD	x+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	d+24(FP), R3
	MOVD	om+32(FP), R4
	MOVD	xi+40(FP), R5
	MOVD	nb+48(FP), R6
	MOVD	c+56(FP), R7
	MOVD	s+64(FP), R8
	MOVD	$·neonConst64(SB), R9
	VLD1.P	64(R9), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P	64(R9), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1	(R9), [V8.D2, V9.D2]
	LSL	$3, R3, R10

f64block:
	MOVD	$4, R21
	MOVD	R4, R22

f64quarter:
	VLD1.P	32(R5), [V10.D2, V11.D2]
	VLD1	(R7), [V12.D2, V13.D2]
	VLD1	(R8), [V14.D2, V15.D2]
	MOVD	R0, R12
	MOVD	R1, R13
	MOVD	R2, R14
	CMP	$4, R14
	BLT	f64tail

f64quad:
	VMOV	V10.B16, V16.B16
	VMOV	V11.B16, V17.B16
	VMOV	V10.B16, V18.B16
	VMOV	V11.B16, V19.B16
	VMOV	V10.B16, V20.B16
	VMOV	V11.B16, V21.B16
	VMOV	V10.B16, V22.B16
	VMOV	V11.B16, V23.B16
	MOVD	R22, R15
	ADD	R10, R12, R16
	ADD	R10, R16, R19
	ADD	R10, R19, R20
	MOVD	R3, R17

f64quadk:
	FMOVD.P	8(R12), F26
	FMOVD.P	8(R16), F27
	FMOVD.P	8(R19), F28
	FMOVD.P	8(R20), F29
	VLD1	(R15), [V24.D2, V25.D2]
	ADD	$128, R15
	FMLA_D(16, 24, 26, 0) // fmla v16.2d, v24.2d, v26.d[0]
	FMLA_D(17, 25, 26, 0) // fmla v17.2d, v25.2d, v26.d[0]
	FMLA_D(18, 24, 27, 0) // fmla v18.2d, v24.2d, v27.d[0]
	FMLA_D(19, 25, 27, 0) // fmla v19.2d, v25.2d, v27.d[0]
	FMLA_D(20, 24, 28, 0) // fmla v20.2d, v24.2d, v28.d[0]
	FMLA_D(21, 25, 28, 0) // fmla v21.2d, v25.2d, v28.d[0]
	FMLA_D(22, 24, 29, 0) // fmla v22.2d, v24.2d, v29.d[0]
	FMLA_D(23, 25, 29, 0) // fmla v23.2d, v25.2d, v29.d[0]
	SUBS	$1, R17, R17
	BNE	f64quadk

	MOVD	R20, R12 // row i+4
	VLD1.P	32(R13), [V30.D2, V31.D2]
	SINCOS64(V16, 16, 12, 14, 30, 0)
	SINCOS64(V17, 17, 13, 15, 30, 0)
	SINCOS64(V18, 18, 12, 14, 30, 1)
	SINCOS64(V19, 19, 13, 15, 30, 1)
	SINCOS64(V20, 20, 12, 14, 31, 0)
	SINCOS64(V21, 21, 13, 15, 31, 0)
	SINCOS64(V22, 22, 12, 14, 31, 1)
	SINCOS64(V23, 23, 13, 15, 31, 1)
	SUB	$4, R14, R14
	CMP	$4, R14
	BGE	f64quad

f64tail:
	CBZ	R14, f64store

f64one:
	VMOV	V10.B16, V16.B16
	VMOV	V11.B16, V17.B16
	MOVD	R22, R15
	MOVD	R3, R17

f64onek:
	FMOVD.P	8(R12), F26
	VLD1	(R15), [V24.D2, V25.D2]
	ADD	$128, R15
	FMLA_D(16, 24, 26, 0) // fmla v16.2d, v24.2d, v26.d[0]
	FMLA_D(17, 25, 26, 0) // fmla v17.2d, v25.2d, v26.d[0]
	SUBS	$1, R17, R17
	BNE	f64onek

	FMOVD.P	8(R13), F30
	SINCOS64(V16, 16, 12, 14, 30, 0)
	SINCOS64(V17, 17, 13, 15, 30, 0)
	SUBS	$1, R14, R14
	BNE	f64one

f64store:
	VST1.P	[V12.D2, V13.D2], 32(R7)
	VST1.P	[V14.D2, V15.D2], 32(R8)
	ADD	$32, R22
	SUBS	$1, R21, R21
	BNE	f64quarter

	ADD	R3<<7, R4, R4 // next ω block: d·16 float64
	SUBS	$1, R6, R6
	BNE	f64block
	RET
