package gen

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clkit/clkit/rff"
)

// i0e is exp(−x)·I0(x) by its power series (x ≤ 60 here).
func i0e(x float64) float64 {
	term, s := 1.0, 1.0
	for k := 1; k < 400; k++ {
		term *= (x / 2) * (x / 2) / float64(k*k)
		s += term
	}
	return s * math.Exp(-x)
}

// TestSketchKernelFoldedClosedForm: in 2-D the folded-Gaussian kernel is
// exp(−a²/4)·I0(a²/4).
func TestSketchKernelFoldedClosedForm(t *testing.T) {
	k, err := NewSketchKernel(rff.Params{Law: rff.FoldedGaussian, D: 2, Sigma: []float64{0.5}}, 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []float64{0, 0.01, 0.3, 1, 2.5, 7, 14, 29.9} {
		delta := []float64{0.5 * a * 0.6, 0.5 * a * 0.8}
		got := k.Eval(delta, nil)
		want := i0e(a * a / 4)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("a=%v: κ = %.12g, closed form %.12g", a, got, want)
		}
	}
}

// TestSketchKernelMonteCarlo: κ(Δ) is the mean of cos(ωᵀΔ) over the law's
// frequencies, for every law and several d, σ per dimension included.
func TestSketchKernelMonteCarlo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const m = 200000
	for _, law := range []rff.Law{rff.Gaussian, rff.FoldedGaussian, rff.AdaptedRadius} {
		for _, d := range []int{1, 2, 3, 5} {
			sigma := []float64{0.7}
			if d == 3 {
				sigma = []float64{0.5, 1, 2}
			}
			p := rff.Params{Law: law, D: d, M: m, Sigma: sigma, Seed: 3, NoDither: true}
			f, err := rff.NewFrequencies(p)
			if err != nil {
				t.Fatal(err)
			}
			k, err := NewSketchKernel(p, 20)
			if err != nil {
				t.Fatal(err)
			}
			for range 6 {
				delta := make([]float64, d)
				for i := range delta {
					delta[i] = r.NormFloat64() * 0.8
				}
				var mc float64
				for j := range m {
					var t float64
					for i, o := range f.Omega(j) {
						t += o * delta[i]
					}
					mc += math.Cos(t)
				}
				mc /= m
				if got := k.Eval(delta, nil); math.Abs(got-mc) > 5/math.Sqrt(m) {
					t.Errorf("%v d=%d Δ=%v: κ = %.5f, Monte Carlo %.5f", law, d, delta, got, mc)
				}
			}
		}
	}
}

// TestSketchKernelGradient: Eval's gradient against central differences.
func TestSketchKernelGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, law := range []rff.Law{rff.Gaussian, rff.FoldedGaussian, rff.AdaptedRadius} {
		for _, d := range []int{1, 2, 4} {
			k, err := NewSketchKernel(rff.Params{Law: law, D: d, Sigma: []float64{0.3}}, 40)
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				delta, g := make([]float64, d), make([]float64, d)
				for i := range delta {
					delta[i] = r.NormFloat64()
				}
				k.Eval(delta, g)
				for i := range d {
					const h = 1e-5
					p, q := append([]float64(nil), delta...), append([]float64(nil), delta...)
					p[i] += h
					q[i] -= h
					fd := (k.Eval(p, nil) - k.Eval(q, nil)) / (2 * h)
					if math.Abs(fd-g[i]) > 1e-6*(1+math.Abs(fd)) {
						t.Errorf("%v d=%d: ∂κ/∂Δ_%d = %v, finite difference %v", law, d, i, g[i], fd)
					}
				}
			}
		}
	}
}
