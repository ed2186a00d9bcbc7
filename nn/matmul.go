package nn

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, with
// op(A) m×k, op(B) k×n and C m×n; op transposes when tA (tB) is set, and
// lda, ldb, ldc are the row strides of the stored A, B and C. It is the
// package's own matrix product, for code that builds layers outside a Net
// (meta's Fourier and quadratic branches). With beta = 0, C is not read.
func Gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
