package quant

import (
	"slices"
	"testing"

	"github.com/clkit/clkit/internal/guardpage"
)

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
					cc, cs := guardpage.Copy(t, kc.init[:mp]), guardpage.Copy(t, kc.init[mp:])
					code := guardpage.Slice[uint64](t, n*codeWords(nb))
					if f64 {
						x, om, xi := guardpage.Copy(t, kc.x64), guardpage.Copy(t, kc.om64), guardpage.Copy(t, kc.xi64)
						k.count64(x, n, d, om, xi, cc, cs)
						k.codes64(x, n, d, om, xi, code)
					} else {
						x, om, xi := guardpage.Copy(t, kc.x32), guardpage.Copy(t, kc.om32), guardpage.Copy(t, kc.xi32)
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
