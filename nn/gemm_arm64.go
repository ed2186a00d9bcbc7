//go:build !purego

package nn

// The NEON microkernel, gemm_arm64.s. ASIMD is mandatory on arm64, so it
// needs no feature detection; CLKIT_NONEON=1 switches it off.
func archSgemmKernels() []sgemmKernel {
	return []sgemmKernel{{name: "neon", mr: 8, nr: 12, run: sgemmNEON, env: "CLKIT_NONEON"}}
}

// sgemmKernNEON is the NEON microkernel, 8×12; its pure-Go twin is
// sgemmMicroGo (contract in gemm_kernel.go) with MR = 8, NR = 12:
// 1 ≤ k, 1 ≤ m ≤ 8, 1 ≤ n ≤ 12.
//
//go:noescape
func sgemmKernNEON(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc, m, n int, alpha, beta float32)

// sgemmNEON passes the slices to the assembly as pointers; the caller
// guarantees the lengths (gemm_kernel.go).
func sgemmNEON(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc, m, n int, alpha, beta float32) {
	sgemmKernNEON(k, &a[0], lda, &b[0], ldb, &c[0], ldc, m, n, alpha, beta)
}
