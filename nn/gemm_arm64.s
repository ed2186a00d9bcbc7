//go:build !purego

#include "textflag.h"

// The NEON microkernel of the packed SGEMM (gemm_sgemm.go): the contract
// of gemm_kernel.go with MR = 8, NR = 12, step for step as the assembly
// kernels of amd64 and the fused evaluation of the tests compute it.
//
// Registers:
//	V0–V23   acc, row i in V3i, V3i+1, V3i+2 (columns 0–3, 4–7, 8–11)
//	V24–V26  the 12 values of B of step p
//	V27–V28  the 8 values of A of step p, used by element (FMLA by lane)
//	         then alpha (V27.S[0]) and beta (V28.S[0]) for the stores
//	V29–V31  C of one row (beta ≠ 0)
// R0 a, R1 b, R2 c, R3 steps left, R4 ldc, R7 lda, R8 ldb (bytes), R5 m,
// R6 n, R13 beta's bits.
// 24 independent FMLA chains per step: enough for 4 pipes of 4-cycle
// latency (Neoverse V1/V2, Apple M). Full tiles store rows of three
// vectors; tiles narrower than 12 columns go through the 384-byte frame
// and a scalar loop (the edges only).
//
// The Go assembler has no mnemonics for these by-element forms; they are
// encoded from register numbers (vd destination, vn vector source, vm the
// register whose lane ix is the scalar), with the instruction in a comment
// at every use (as in rff/sincos_arm64.h).

// FMLA Vd.4S, Vn.4S, Vm.S[ix]
#define FMLA_S(vd, vn, vm, ix) WORD $(0x4f801000 | (((ix)&1)<<21) | (((ix)>>1)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))
// FMUL Vd.4S, Vn.4S, Vm.S[ix]
#define FMUL_E(vd, vn, vm, ix) WORD $(0x4f809000 | (((ix)&1)<<21) | (((ix)>>1)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))

// func sgemmKernNEON(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc, m, n int, alpha, beta float32)
TEXT ·sgemmKernNEON(SB), $384-80
	MOVD	k+0(FP), R3
	MOVD	a+8(FP), R0
	MOVD	lda+16(FP), R7
	LSL	$2, R7
	MOVD	b+24(FP), R1
	MOVD	ldb+32(FP), R8
	LSL	$2, R8
	MOVD	c+40(FP), R2
	MOVD	ldc+48(FP), R4
	LSL	$2, R4
	MOVD	m+56(FP), R5
	MOVD	n+64(FP), R6
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	VEOR	V4.B16, V4.B16, V4.B16
	VEOR	V5.B16, V5.B16, V5.B16
	VEOR	V6.B16, V6.B16, V6.B16
	VEOR	V7.B16, V7.B16, V7.B16
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16

loop:
	VLD1.P	(R1)(R8), [V24.S4, V25.S4, V26.S4]
	VLD1.P	(R0)(R7), [V27.S4, V28.S4]
	FMLA_S(0, 24, 27, 0)	// fmla v0.4s, v24.4s, v27.s[0]
	FMLA_S(1, 25, 27, 0)	// fmla v1.4s, v25.4s, v27.s[0]
	FMLA_S(2, 26, 27, 0)	// fmla v2.4s, v26.4s, v27.s[0]
	FMLA_S(3, 24, 27, 1)	// fmla v3.4s, v24.4s, v27.s[1]
	FMLA_S(4, 25, 27, 1)	// fmla v4.4s, v25.4s, v27.s[1]
	FMLA_S(5, 26, 27, 1)	// fmla v5.4s, v26.4s, v27.s[1]
	FMLA_S(6, 24, 27, 2)	// fmla v6.4s, v24.4s, v27.s[2]
	FMLA_S(7, 25, 27, 2)	// fmla v7.4s, v25.4s, v27.s[2]
	FMLA_S(8, 26, 27, 2)	// fmla v8.4s, v26.4s, v27.s[2]
	FMLA_S(9, 24, 27, 3)	// fmla v9.4s, v24.4s, v27.s[3]
	FMLA_S(10, 25, 27, 3)	// fmla v10.4s, v25.4s, v27.s[3]
	FMLA_S(11, 26, 27, 3)	// fmla v11.4s, v26.4s, v27.s[3]
	FMLA_S(12, 24, 28, 0)	// fmla v12.4s, v24.4s, v28.s[0]
	FMLA_S(13, 25, 28, 0)	// fmla v13.4s, v25.4s, v28.s[0]
	FMLA_S(14, 26, 28, 0)	// fmla v14.4s, v26.4s, v28.s[0]
	FMLA_S(15, 24, 28, 1)	// fmla v15.4s, v24.4s, v28.s[1]
	FMLA_S(16, 25, 28, 1)	// fmla v16.4s, v25.4s, v28.s[1]
	FMLA_S(17, 26, 28, 1)	// fmla v17.4s, v26.4s, v28.s[1]
	FMLA_S(18, 24, 28, 2)	// fmla v18.4s, v24.4s, v28.s[2]
	FMLA_S(19, 25, 28, 2)	// fmla v19.4s, v25.4s, v28.s[2]
	FMLA_S(20, 26, 28, 2)	// fmla v20.4s, v26.4s, v28.s[2]
	FMLA_S(21, 24, 28, 3)	// fmla v21.4s, v24.4s, v28.s[3]
	FMLA_S(22, 25, 28, 3)	// fmla v22.4s, v25.4s, v28.s[3]
	FMLA_S(23, 26, 28, 3)	// fmla v23.4s, v26.4s, v28.s[3]
	SUBS	$1, R3
	BNE	loop

	FMOVS	alpha+72(FP), F27
	FMOVS	beta+76(FP), F28
	FMUL_E(0, 0, 27, 0)	// fmul v0.4s, v0.4s, v27.s[0]: alpha·acc
	FMUL_E(1, 1, 27, 0)	// fmul v1.4s, v1.4s, v27.s[0]: alpha·acc
	FMUL_E(2, 2, 27, 0)	// fmul v2.4s, v2.4s, v27.s[0]: alpha·acc
	FMUL_E(3, 3, 27, 0)	// fmul v3.4s, v3.4s, v27.s[0]: alpha·acc
	FMUL_E(4, 4, 27, 0)	// fmul v4.4s, v4.4s, v27.s[0]: alpha·acc
	FMUL_E(5, 5, 27, 0)	// fmul v5.4s, v5.4s, v27.s[0]: alpha·acc
	FMUL_E(6, 6, 27, 0)	// fmul v6.4s, v6.4s, v27.s[0]: alpha·acc
	FMUL_E(7, 7, 27, 0)	// fmul v7.4s, v7.4s, v27.s[0]: alpha·acc
	FMUL_E(8, 8, 27, 0)	// fmul v8.4s, v8.4s, v27.s[0]: alpha·acc
	FMUL_E(9, 9, 27, 0)	// fmul v9.4s, v9.4s, v27.s[0]: alpha·acc
	FMUL_E(10, 10, 27, 0)	// fmul v10.4s, v10.4s, v27.s[0]: alpha·acc
	FMUL_E(11, 11, 27, 0)	// fmul v11.4s, v11.4s, v27.s[0]: alpha·acc
	FMUL_E(12, 12, 27, 0)	// fmul v12.4s, v12.4s, v27.s[0]: alpha·acc
	FMUL_E(13, 13, 27, 0)	// fmul v13.4s, v13.4s, v27.s[0]: alpha·acc
	FMUL_E(14, 14, 27, 0)	// fmul v14.4s, v14.4s, v27.s[0]: alpha·acc
	FMUL_E(15, 15, 27, 0)	// fmul v15.4s, v15.4s, v27.s[0]: alpha·acc
	FMUL_E(16, 16, 27, 0)	// fmul v16.4s, v16.4s, v27.s[0]: alpha·acc
	FMUL_E(17, 17, 27, 0)	// fmul v17.4s, v17.4s, v27.s[0]: alpha·acc
	FMUL_E(18, 18, 27, 0)	// fmul v18.4s, v18.4s, v27.s[0]: alpha·acc
	FMUL_E(19, 19, 27, 0)	// fmul v19.4s, v19.4s, v27.s[0]: alpha·acc
	FMUL_E(20, 20, 27, 0)	// fmul v20.4s, v20.4s, v27.s[0]: alpha·acc
	FMUL_E(21, 21, 27, 0)	// fmul v21.4s, v21.4s, v27.s[0]: alpha·acc
	FMUL_E(22, 22, 27, 0)	// fmul v22.4s, v22.4s, v27.s[0]: alpha·acc
	FMUL_E(23, 23, 27, 0)	// fmul v23.4s, v23.4s, v27.s[0]: alpha·acc
	MOVWU	beta+76(FP), R13
	ANDW	$0x7fffffff, R13 // beta = ±0: C is not read
	CMP	$12, R6
	BNE	partial
	CBZW	R13, full_b0
full_b:
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(0, 29, 28, 0)	// fmla v0.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(1, 30, 28, 0)	// fmla v1.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(2, 31, 28, 0)	// fmla v2.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V0.S4, V1.S4, V2.S4], (R2)
	CMP	$1, R5
	BLE	done
	ADD	R4, R2
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(3, 29, 28, 0)	// fmla v3.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(4, 30, 28, 0)	// fmla v4.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(5, 31, 28, 0)	// fmla v5.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V3.S4, V4.S4, V5.S4], (R2)
	CMP	$2, R5
	BLE	done
	ADD	R4, R2
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(6, 29, 28, 0)	// fmla v6.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(7, 30, 28, 0)	// fmla v7.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(8, 31, 28, 0)	// fmla v8.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V6.S4, V7.S4, V8.S4], (R2)
	CMP	$3, R5
	BLE	done
	ADD	R4, R2
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(9, 29, 28, 0)	// fmla v9.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(10, 30, 28, 0)	// fmla v10.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(11, 31, 28, 0)	// fmla v11.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V9.S4, V10.S4, V11.S4], (R2)
	CMP	$4, R5
	BLE	done
	ADD	R4, R2
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(12, 29, 28, 0)	// fmla v12.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(13, 30, 28, 0)	// fmla v13.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(14, 31, 28, 0)	// fmla v14.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V12.S4, V13.S4, V14.S4], (R2)
	CMP	$5, R5
	BLE	done
	ADD	R4, R2
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(15, 29, 28, 0)	// fmla v15.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(16, 30, 28, 0)	// fmla v16.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(17, 31, 28, 0)	// fmla v17.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V15.S4, V16.S4, V17.S4], (R2)
	CMP	$6, R5
	BLE	done
	ADD	R4, R2
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(18, 29, 28, 0)	// fmla v18.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(19, 30, 28, 0)	// fmla v19.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(20, 31, 28, 0)	// fmla v20.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V18.S4, V19.S4, V20.S4], (R2)
	CMP	$7, R5
	BLE	done
	ADD	R4, R2
	VLD1	(R2), [V29.S4, V30.S4, V31.S4]
	FMLA_S(21, 29, 28, 0)	// fmla v21.4s, v29.4s, v28.s[0]: += beta·C
	FMLA_S(22, 30, 28, 0)	// fmla v22.4s, v30.4s, v28.s[0]: += beta·C
	FMLA_S(23, 31, 28, 0)	// fmla v23.4s, v31.4s, v28.s[0]: += beta·C
	VST1	[V21.S4, V22.S4, V23.S4], (R2)
	RET

full_b0:
	VST1	[V0.S4, V1.S4, V2.S4], (R2)
	CMP	$1, R5
	BLE	done
	ADD	R4, R2
	VST1	[V3.S4, V4.S4, V5.S4], (R2)
	CMP	$2, R5
	BLE	done
	ADD	R4, R2
	VST1	[V6.S4, V7.S4, V8.S4], (R2)
	CMP	$3, R5
	BLE	done
	ADD	R4, R2
	VST1	[V9.S4, V10.S4, V11.S4], (R2)
	CMP	$4, R5
	BLE	done
	ADD	R4, R2
	VST1	[V12.S4, V13.S4, V14.S4], (R2)
	CMP	$5, R5
	BLE	done
	ADD	R4, R2
	VST1	[V15.S4, V16.S4, V17.S4], (R2)
	CMP	$6, R5
	BLE	done
	ADD	R4, R2
	VST1	[V18.S4, V19.S4, V20.S4], (R2)
	CMP	$7, R5
	BLE	done
	ADD	R4, R2
	VST1	[V21.S4, V22.S4, V23.S4], (R2)
	RET

	// Fewer than 12 columns: the tile to the frame, then row by row.
partial:
	MOVD	$tile-384(SP), R9
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R9)
	VST1.P	[V4.S4, V5.S4, V6.S4, V7.S4], 64(R9)
	VST1.P	[V8.S4, V9.S4, V10.S4, V11.S4], 64(R9)
	VST1.P	[V12.S4, V13.S4, V14.S4, V15.S4], 64(R9)
	VST1.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R9)
	VST1.P	[V20.S4, V21.S4, V22.S4, V23.S4], 64(R9)
	MOVD	$tile-384(SP), R9
prow:
	MOVD	R9, R10
	MOVD	R2, R11
	MOVD	R6, R12
pcol:
	FMOVS.P	4(R10), F29
	CBZW	R13, pstore
	FMOVS	(R11), F30
	FMADDS	F28, F29, F30, F29 // s29 = s30·s28 + s29: += beta·C
pstore:
	FMOVS.P	F29, 4(R11)
	SUBS	$1, R12
	BNE	pcol
	ADD	$48, R9
	ADD	R4, R2
	SUBS	$1, R5
	BNE	prow

done:
	RET
