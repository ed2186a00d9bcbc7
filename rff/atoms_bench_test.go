package rff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkAtoms times the batched atom functions on K atoms; the metric
// ns/atom·freq is the time per call divided by K·m. "dirac-naive" is the
// straightforward loop (frequency-major dot product, math.Sincos) for scale.
func BenchmarkAtoms(b *testing.B) {
	sizes := []struct{ K, d, m int }{
		{10, 2, 1000}, {10, 10, 1000}, {100, 10, 1000}, {10, 100, 2000},
	}
	for _, kind := range []string{
		"dirac", "dirac-naive", "gaussian", "dirac-mixture", "gaussian-mixture",
		"dirac-vjp", "gaussian-vjp", "dirac-vjp-sketch", "gaussian-vjp-sketch",
	} {
		for _, sz := range sizes {
			K, d, m := sz.K, sz.d, sz.m
			b.Run(fmt.Sprintf("%s/K=%d/d=%d/m=%d", kind, K, d, m), func(b *testing.B) {
				f := atomFreqs(b, d, m)
				r := rand.New(rand.NewPCG(1, 2))
				cs, s2, alpha := atomRandVec(r, K*d, 1), atomRandVariances(r, K*d), atomRandVec(r, K, 1)
				vRe, vIm := atomRandVec(r, m, 1), atomRandVec(r, m, 1)
				re, im := make([]float64, K*m), make([]float64, K*m)
				val, g1, g2 := make([]float64, K), make([]float64, K*d), make([]float64, K*d)
				if err := GaussianSketches(f, cs, s2, re, im); err != nil {
					b.Fatal(err)
				}
				var call func() error
				switch kind {
				case "dirac":
					call = func() error { return DiracSketches(f, cs, re, im) }
				case "dirac-naive":
					call = func() error { naiveDiracSketches(f, cs, re, im); return nil }
				case "gaussian":
					call = func() error { return GaussianSketches(f, cs, s2, re, im) }
				case "dirac-mixture":
					call = func() error { return DiracMixture(f, alpha, cs, vRe, vIm) }
				case "gaussian-mixture":
					call = func() error { return GaussianMixture(f, alpha, cs, s2, vRe, vIm) }
				case "dirac-vjp":
					call = func() error { return DiracVJPs(f, cs, vRe, vIm, val, g1) }
				case "gaussian-vjp":
					call = func() error { return GaussianVJPs(f, cs, s2, vRe, vIm, val, g1, g2) }
				case "dirac-vjp-sketch":
					call = func() error { return DiracVJPsFromSketches(f, re, im, vRe, vIm, val, g1) }
				case "gaussian-vjp-sketch":
					call = func() error { return GaussianVJPsFromSketches(f, re, im, vRe, vIm, val, g1, g2) }
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if err := call(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(K*m), "ns/atom·freq")
			})
		}
	}
}

func naiveDiracSketches(f *Frequencies, cs, re, im []float64) {
	d, m := f.D(), f.M()
	om, xi := f.OmegaMatrix(), f.Xi()
	for k := 0; k < len(cs)/d; k++ {
		c := cs[k*d : (k+1)*d]
		for j := range m {
			t := xi[j]
			for i, w := range om[j*d : (j+1)*d] {
				t += w * c[i]
			}
			im[k*m+j], re[k*m+j] = math.Sincos(t)
		}
	}
}
