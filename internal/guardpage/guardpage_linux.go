// Package guardpage gives the kernel tests slices that end where an
// inaccessible page begins, so an assembly kernel that reads or writes one
// element past the end faults (and crashes the test binary) instead of
// passing by luck. Linux only.
package guardpage

import (
	"syscall"
	"testing"
	"unsafe"
)

// Slice returns n zero T's ending at a guard page; the memory is unmapped
// when t ends. It skips t when the system refuses the mapping.
func Slice[T any](t testing.TB, n int) []T {
	t.Helper()
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

// Copy returns a copy of v ending at a guard page.
func Copy[T any](t testing.TB, v []T) []T {
	t.Helper()
	g := Slice[T](t, len(v))
	copy(g, v)
	return g
}
