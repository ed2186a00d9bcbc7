package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/clkit/clkit/internal/guardpage"
)

// TestGemmGuardPages runs the kernels, their packing forms, the chunk
// packers and whole products with every slice they touch ending at a guard
// page: masked edges must not read or write past A, B or C.
func TestGemmGuardPages(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for ki := range sgemmKernels {
		kern := &sgemmKernels[ki]
		MR, NR := kern.mr, kern.nr
		for _, k := range []int{1, 3, 4, 9} {
			for m := 1; m <= MR; m++ {
				for n := 1; n <= NR; n++ {
					ldb := NR
					if n <= kern.narrow {
						ldb = kern.narrow
					}
					a, b := guardpage.Copy(t, randF32(r, k*MR)), guardpage.Copy(t, randF32(r, (k-1)*ldb+min(ldb, NR)))
					ldc := n + m%2
					c := guardpage.Copy(t, randF32(r, (m-1)*ldc+n))
					kern.run(k, a, MR, b, ldb, c, ldc, m, n, -0.5, float32(m%2))
					if kern.pack != nil && m == MR {
						lda := k + n%3
						ar := guardpage.Copy(t, randF32(r, (MR-1)*lda+k))
						pk := guardpage.Copy(t, make([]float32, k*MR))
						kern.pack(k, ar, lda, pk, b, ldb, c, ldc, n, 1, float32(n%2))
					}
				}
			}
		}
		if kern.chunks != nil {
			for w := 1; w <= max(kern.mr, kern.nr); w++ {
				for n := 1; n <= w; n++ {
					kc, ld := 1+w%3, n+w%2
					kern.chunks(guardpage.Copy(t, make([]float32, kc*w)), guardpage.Copy(t, randF32(r, (kc-1)*ld+n)), ld, n, kc, w)
				}
			}
		}
		for form := range 4 {
			tA, tB := form&1 != 0, form&2 != 0
			for _, s := range [][3]int{{1, 1, 1}, {13, 37, 9}, {25, 70, 300}, {12, 32, 5}, {7, 16, 3}, {30, 10, 10}} {
				g := newGemmCase(r, tA, tB, s[0], s[1], s[2], -0.5, float32(form%2), 0)
				c := guardpage.Copy(t, g.c[:(g.m-1)*g.ldc+g.n])
				sgemm(kern, tA, tB, g.m, g.n, g.k, g.alpha, guardpage.Copy(t, g.a), g.lda, guardpage.Copy(t, g.b), g.ldb, g.beta, c, g.ldc)
			}
		}
	}
}
