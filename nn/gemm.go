package nn

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Float is the element type of a network: float32 or float64 (or a type
// defined on one of them).
type Float interface{ ~float32 | ~float64 }

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, with
// op(A) m×k, op(B) k×n and C m×n (lda, ldb, ldc are the row strides of the
// stored A, B and C). It is the only matrix product of the package, so
// the layers are written once for both element types. BLAS semantics:
// beta = 0 does not read C; alpha = 0 or k = 0 does not read A or B.
//
// float32 goes through the packed SGEMM of this package (sgemm), float64
// through gonum. Both stay serial in the caller's goroutine: parallelism
// belongs one level up, with one Workspace per goroutine.
func gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	// The slices are reinterpreted rather than type-switched so that types
	// defined on float32/float64 work too, and no interface conversion
	// allocates.
	if unsafe.Sizeof(alpha) == 4 {
		sgemm(&sgemmKernels[0], tA, tB, m, n, k, float32(alpha), as[float32](a), lda,
			as[float32](b), ldb, float32(beta), as[float32](c), ldc)
		return
	}
	dgemm(tA, tB, m, n, k, float64(alpha), as[float64](a), lda, as[float64](b), ldb, float64(beta), as[float64](c), ldc)
}

// dgemm is gonum's Dgemm, tiled: gonum's native gemm goes parallel
// (goroutines, a channel: allocations) once C spans 4 or more 64×64
// blocks. Tiling C below that threshold keeps every call serial: no
// allocation and no scheduling overhead, which dominates at the sizes used
// here.
func dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	const bs = 64 // gonum's blockSize; it parallelises at 4 blocks
	cn := min(n, 3*bs)
	rm := bs * (3 / ((cn + bs - 1) / bs)) // 192 rows when n ≤ 64, else 64
	for i := 0; i < m; i += rm {
		mi := min(rm, m-i)
		aOff := i * lda // rows i… of A
		if tA {
			aOff = i // columns i… of the stored k×m A
		}
		for j := 0; j < n; j += cn {
			nj := min(cn, n-j)
			bOff := j // columns j… of the stored k×n B
			if tB {
				bOff = j * ldb // rows j… of the stored n×k B
			}
			blas64.Implementation().Dgemm(trans(tA), trans(tB), mi, nj, k,
				alpha, a[aOff:], lda, b[bOff:], ldb, beta, c[i*ldc+j:], ldc)
		}
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// as reinterprets s as a slice of E, which has the same size as T.
func as[E, T Float](s []T) []E {
	return unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
