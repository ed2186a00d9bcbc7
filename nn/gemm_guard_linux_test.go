package nn

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guarded returns a copy of v that ends exactly where an inaccessible
// page begins, so touching one element past its end faults (and crashes
// the test binary).
func guarded(t *testing.T, v []float32) []float32 {
	t.Helper()
	page := syscall.Getpagesize()
	body := (4*len(v) + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, body+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[body:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	if len(v) == 0 {
		return nil
	}
	g := unsafe.Slice((*float32)(unsafe.Pointer(&mem[body-4*len(v)])), len(v))
	copy(g, v)
	return g
}

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
					a, b := guarded(t, randF32(r, k*MR)), guarded(t, randF32(r, (k-1)*ldb+min(ldb, NR)))
					ldc := n + m%2
					c := guarded(t, randF32(r, (m-1)*ldc+n))
					kern.run(k, a, MR, b, ldb, c, ldc, m, n, -0.5, float32(m%2))
					if kern.pack != nil && m == MR {
						lda := k + n%3
						ar := guarded(t, randF32(r, (MR-1)*lda+k))
						pk := guarded(t, make([]float32, k*MR))
						kern.pack(k, ar, lda, pk, b, ldb, c, ldc, n, 1, float32(n%2))
					}
				}
			}
		}
		if kern.chunks != nil {
			for w := 1; w <= max(kern.mr, kern.nr); w++ {
				for n := 1; n <= w; n++ {
					kc, ld := 1+w%3, n+w%2
					kern.chunks(guarded(t, make([]float32, kc*w)), guarded(t, randF32(r, (kc-1)*ld+n)), ld, n, kc, w)
				}
			}
		}
		for form := range 4 {
			tA, tB := form&1 != 0, form&2 != 0
			for _, s := range [][3]int{{1, 1, 1}, {13, 37, 9}, {25, 70, 300}, {12, 32, 5}, {7, 16, 3}, {30, 10, 10}} {
				g := newGemmCase(r, tA, tB, s[0], s[1], s[2], -0.5, float32(form%2), 0)
				c := guarded(t, g.c[:(g.m-1)*g.ldc+g.n])
				sgemm(kern, tA, tB, g.m, g.n, g.k, g.alpha, guarded(t, g.a), g.lda, guarded(t, g.b), g.ldb, g.beta, c, g.ldc)
			}
		}
	}
}
