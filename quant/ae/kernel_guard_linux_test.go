package ae

import (
	"slices"
	"testing"

	"github.com/clkit/clkit/internal/guardpage"
)

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
				got := guardpage.Copy(t, make([]uint64, rows*w))
				k.packSign(guardpage.Copy(t, y), rows, n, got)
				k.packNonzero(guardpage.Copy(t, y), rows, n, guardpage.Copy(t, make([]uint64, rows*w)))
				if !slices.Equal(got, want) {
					t.Fatalf("%s: pack n=%d wrong with guarded slices", k.name, n)
				}
				gc, gz := guardpage.Copy(t, code), guardpage.Copy(t, nz)
				out := guardpage.Copy(t, make([]float32, rows*n))
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
