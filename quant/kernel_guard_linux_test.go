package quant

import (
	"slices"
	"syscall"
	"testing"
	"unsafe"
)

// guardedSlice returns a slice of n T's that ends exactly where an
// inaccessible page begins, so reading or writing one element past its end
// faults (and crashes the test binary).
func guardedSlice[T float32 | float64 | uint32 | uint64](t *testing.T, n int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	page := syscall.Getpagesize()
	body := (n*size + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, body+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[body:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&mem[body-n*size])), n)
}

func guardedCopy[T float32 | float64 | uint32 | uint64](t *testing.T, v []T) []T {
	g := guardedSlice[T](t, len(v))
	copy(g, v)
	return g
}

// TestKernelsGuardPages runs every kernel with each slice it touches ending
// at a guard page: no kernel may read past x, om, xi, nor read or write
// past cc, cs, code. The results must still be the twin's.
func TestKernelsGuardPages(t *testing.T) {
	for _, k := range kernels {
		for _, d := range testDims {
			for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 255, 256} {
				nb := 1 + (n+d)%5
				kc := newKernelCase(uint64(n*d), n, d, nb, kindRandom)
				tr := kc.twin(t)
				mp := nb * blockFreqs
				for p, f64 := range []bool{false, true} {
					cc, cs := guardedCopy(t, kc.init[:mp]), guardedCopy(t, kc.init[mp:])
					code := guardedSlice[uint64](t, n*codeWords(nb))
					if f64 {
						x, om, xi := guardedCopy(t, kc.x64), guardedCopy(t, kc.om64), guardedCopy(t, kc.xi64)
						k.count64(x, n, d, om, xi, cc, cs)
						k.codes64(x, n, d, om, xi, code)
					} else {
						x, om, xi := guardedCopy(t, kc.x32), guardedCopy(t, kc.om32), guardedCopy(t, kc.xi32)
						k.count32(x, n, d, om, xi, cc, cs)
						k.codes32(x, n, d, om, xi, code)
					}
					if !slices.Equal(cc, tr.cc[p]) || !slices.Equal(cs, tr.cs[p]) || !slices.Equal(code, tr.code[p]) {
						t.Fatalf("%s f64=%v %v: wrong results with guarded slices", k.name, f64, kc)
					}
				}
			}
		}
	}
}
