package nn

import (
	"os"

	"github.com/clkit/clkit/internal/dispatch"
)

// The float32 microkernel contract. A kernel multiplies a panel of op(A)
// by a panel of op(B) into an m×n corner of C:
//
//	acc[i][j] = Σ_p a[p·lda+i]·b[p·ldb+j]          p = 0…k−1
//	c[i·ldc+j] = alpha·acc[i][j] + beta·c[i·ldc+j]   i < m, j < n
//
// where a holds k steps of MR values (MR rows of op(A), k-major) and b k
// steps of NR values (NR columns of op(B)): packed panels (lda = MR,
// ldb = NR), zero-padded past the tile's real rows and columns, or for B
// the rows of an untransposed matrix in place (ldb its row stride, full
// panels only). beta = ±0 means C is not read, so NaN or garbage in C does
// not propagate; nothing outside the m×n corner is written. sgemmMicroGo
// (gemm_generic.go) is the executable spec.
//
// A kernel with a narrow width (narrow > 0) reads only the first narrow
// values of each step of b when n ≤ narrow, so such a last panel may be
// packed with ldb = narrow.
//
// Caller guarantees (kernels do not check): 1 ≤ k, 1 ≤ m ≤ MR, 1 ≤ n ≤ NR,
// len(a) ≥ (k−1)·lda + MR, len(b) ≥ (k−1)·ldb + NR, ldc ≥ n and
// len(c) ≥ (m−1)·ldc + n.
//
// The assembly kernels accumulate in order p = 0, 1, … with one fused
// multiply-add per step, scale by alpha (one rounding) and add beta·C
// with one more FMA. The Go twin rounds the same sums unfused on amd64
// (the compiler fuses them on arm64), so it agrees to rounding.
//
// A kernel may also have a packing form (pack), for the first B panel of
// an A panel that is stored untransposed: A is given as its MR rows,
// a[i·lda + p] for i < MR and p < k (m = MR: every row present), and the
// kernel also writes the packed panel pk[p·MR+i] = a[i·lda+p] (len(pk) ≥
// k·MR), which the other B panels then use. Its twin is packStrided
// followed by the kernel.
type sgemmKernel struct {
	name   string
	mr, nr int
	narrow int // see above; 0 = none
	run    func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc, m, n int, alpha, beta float32)
	// pack is the packing form, nil if A is packed in Go.
	pack func(k int, a []float32, lda int, pk, b []float32, ldb int, c []float32, ldc, n int, alpha, beta float32)
	// chunks is packChunks in assembly, for every width the kernel's panels
	// have (w ≤ max(MR, NR)); nil for the Go one.
	chunks func(dst, src []float32, ld, n, kc, w int)
	env    string // variable that switches it off at run time ("" = none)
}

// goSgemm is the portable kernel, present in every build. 4×16 keeps
// its 2×4 register blocks in the 16 float registers of amd64.
var goSgemm = sgemmKernel{name: "go", mr: 4, nr: 16, run: func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc, m, n int, alpha, beta float32) {
	sgemmMicroGo(4, 16, k, a, lda, b, ldb, c, ldc, m, n, alpha, beta)
}}

// sgemmKernels lists the kernels usable in this process, best first: what
// the CPU supports, minus what the environment switches off (CLKIT_NOASM=1
// removes every assembly kernel), then the pure-Go one. Decided once at
// start-up; gemm uses the first.
var sgemmKernels = dispatch.Usable(archSgemmKernels(), func(k sgemmKernel) string { return k.env }, goSgemm, os.Getenv)

// Kernels returns the names of the float32 matrix-product kernels usable
// in this process, the default first: some of "avx512", "avx2", "neon",
// and always "go". float64 products go through gonum's BLAS.
func Kernels() []string {
	return dispatch.Names(sgemmKernels, func(k sgemmKernel) string { return k.name })
}
