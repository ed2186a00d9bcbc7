package ae

import (
	"slices"
	"syscall"
	"testing"
	"unsafe"
)

// guarded returns a copy of v that ends exactly where an inaccessible page
// begins, so touching one element past its end faults.
func guarded[T float32 | uint64](t *testing.T, v []T) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	page := syscall.Getpagesize()
	body := (len(v)*size + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, body+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[body:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	g := unsafe.Slice((*T)(unsafe.Pointer(&mem[body-len(v)*size])), len(v))
	copy(g, v)
	return g
}

// TestKernelsGuardPages: no kernel reads past y or the codes, nor writes
// past the codes or out, whatever the tail of the last row.
func TestKernelsGuardPages(t *testing.T) {
	for _, k := range kernels {
		for _, n := range testSizes {
			for _, rows := range []int{1, 3} {
				y, code, nz := kernelInput(uint64(n)+1, rows, n)
				w := words(n)
				want := make([]uint64, rows*w)
				packSignGo(y, rows, n, want)
				got := guarded(t, make([]uint64, rows*w))
				k.packSign(guarded(t, y), rows, n, got)
				k.packNonzero(guarded(t, y), rows, n, guarded(t, make([]uint64, rows*w)))
				if !slices.Equal(got, want) {
					t.Fatalf("%s: pack n=%d wrong with guarded slices", k.name, n)
				}
				gc, gz := guarded(t, code), guarded(t, nz)
				out := guarded(t, make([]float32, rows*n))
				k.unpack(gc, rows, n, out)
				k.unpackTernary(gc, gz, rows, n, out)
				ref := make([]float32, rows*n)
				unpackTernaryGo(code, nz, rows, n, ref)
				if !bitsEqual(out, ref) {
					t.Fatalf("%s: unpack n=%d wrong with guarded slices", k.name, n)
				}
			}
		}
	}
}
