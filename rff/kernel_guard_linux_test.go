package rff

import (
	"math/rand/v2"
	"testing"

	"github.com/clkit/clkit/internal/guardpage"
)

// TestKernelsGuardPages runs every kernel with each slice it touches ending
// at a guard page: tails must not read past x or w, nor write past c or s.
func TestKernelsGuardPages(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for _, k := range kernels {
		for _, d := range testDims {
			for _, n := range []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 255, 256} {
				kc := newKernelCase(r, n, d, 1+n%2, 3, true)
				mp := kc.nb * blockFreqs
				c32, s32 := guardpage.Slice[float64](t, mp), guardpage.Slice[float64](t, mp)
				k.f32(guardpage.Copy(t, kc.x32), guardpage.Copy(t, kc.w32), d, guardpage.Copy(t, kc.om32), guardpage.Copy(t, kc.xi32), c32, s32)
				c64, s64 := guardpage.Slice[float64](t, mp), guardpage.Slice[float64](t, mp)
				k.f64(guardpage.Copy(t, kc.x64), guardpage.Copy(t, kc.w64), d, guardpage.Copy(t, kc.om64), guardpage.Copy(t, kc.xi64), c64, s64)
				rc, _ := kc.reference(true)
				for j := range rc {
					if e := max(abs(c32[j]-rc[j]), abs(c64[j]-rc[j])); !(e < 1e-3*kc.sumW) {
						t.Fatalf("%s d=%d n=%d: wrong sums with guarded slices (err %g)", k.name, d, n, e)
					}
				}
			}
		}
	}
}

func abs(v float64) float64 { return max(v, -v) }

// TestVJPKernelsGuardPages runs every VJP kernel with each slice it touches
// (scratch included, exactly d·16 long) ending at a guard page.
func TestVJPKernelsGuardPages(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	for _, k := range kernels {
		for _, d := range testDims {
			for _, n := range []int{1, 2, 3, 17} {
				nb := 1 + n%2
				vc := newVJPCase(r, n, d, nb, nb*blockFreqs-1, 3)
				v32, g32 := guardpage.Slice[float64](t, n), guardpage.Slice[float64](t, n*d)
				k.vjp32(guardpage.Copy(t, vc.x32), d, guardpage.Copy(t, vc.om32), guardpage.Copy(t, vc.xi32),
					guardpage.Copy(t, vc.a32), guardpage.Copy(t, vc.b32), guardpage.Slice[float32](t, d*blockFreqs), v32, g32)
				v64, g64 := guardpage.Slice[float64](t, n), guardpage.Slice[float64](t, n*d)
				k.vjp64(guardpage.Copy(t, vc.x64), d, guardpage.Copy(t, vc.om64), guardpage.Copy(t, vc.xi64),
					guardpage.Copy(t, vc.a64), guardpage.Copy(t, vc.b64), guardpage.Slice[float64](t, d*blockFreqs), v64, g64)
				rv, rg, sv, sg := vc.reference()
				const tol = 4 * 0x1p-24
				for i := range rv {
					if e := max(abs(v32[i]-rv[i]), abs(v64[i]-rv[i])); !(e <= tol*(sv[i]+1)) {
						t.Fatalf("%s d=%d n=%d: wrong value with guarded slices (err %g)", k.name, d, n, e)
					}
				}
				for i := range rg {
					if e := max(abs(g32[i]-rg[i]), abs(g64[i]-rg[i])); !(e <= tol*(sg[i]+1)) {
						t.Fatalf("%s d=%d n=%d: wrong gradient with guarded slices (err %g)", k.name, d, n, e)
					}
				}
			}
		}
	}
}

// TestFeatureKernelsGuardPages runs every feature kernel with x, Ω, ξ and
// the output ending at a guard page (out exactly (n−1)·ld + 2·mp long).
func TestFeatureKernelsGuardPages(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	for _, k := range kernels {
		for _, d := range testDims {
			for _, n := range []int{1, 2, 3, 17} {
				kc := newKernelCase(r, n, d, 1+n%2, 3, false)
				mp := kc.nb * blockFreqs
				ld := 2*mp + 1
				o32 := guardpage.Slice[float32](t, (n-1)*ld+2*mp)
				k.feat32(guardpage.Copy(t, kc.x32), d, guardpage.Copy(t, kc.om32), guardpage.Copy(t, kc.xi32), o32, ld)
				o64 := guardpage.Slice[float64](t, (n-1)*ld+2*mp)
				k.feat64(guardpage.Copy(t, kc.x64), d, guardpage.Copy(t, kc.om64), guardpage.Copy(t, kc.xi64), o64, ld)
				ref, _ := kc.featReference()
				for i := range n {
					for j := range 2 * mp {
						want := ref[i*2*mp+j]
						if e := max(abs(float64(o32[i*ld+j])-want), abs(o64[i*ld+j]-want)); !(e < 1e-3) {
							t.Fatalf("%s d=%d n=%d: wrong features with guarded slices (err %g)", k.name, d, n, e)
						}
					}
				}
			}
		}
	}
}
