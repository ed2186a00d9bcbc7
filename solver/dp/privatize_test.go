package dp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clkit/clkit/rff"
)

func TestAnalyticGaussian(t *testing.T) {
	for _, eps := range []float64{0.01, 0.1, 0.5, 0.9, 1, 2, 5, 20} {
		for _, delta := range []float64{1e-12, 1e-6, 1e-3, 0.1} {
			for _, sens := range []float64{1, 7.5, 300} {
				s, err := AnalyticGaussianSigma(eps, delta, sens)
				if err != nil {
					t.Fatal(err)
				}
				if got := gaussianDelta(eps, sens, s); got > delta {
					t.Errorf("ε=%v δ=%v Δ=%v: σ=%v gives δ(σ)=%v > δ", eps, delta, sens, s, got)
				}
				if got := gaussianDelta(eps, sens, s*(1-1e-9)); got <= delta {
					t.Errorf("ε=%v δ=%v Δ=%v: σ=%v is not minimal", eps, delta, sens, s)
				}
				if c := ClassicGaussianSigma(eps, delta, sens); eps < 1 && !(s < c) {
					t.Errorf("ε=%v δ=%v: analytic σ %v ≥ classic %v", eps, delta, s, c)
				}
			}
		}
	}
	s, _ := AnalyticGaussianSigma(1, 1e-5, 1)
	t.Logf("ε=1, δ=1e-5, Δ=1: analytic σ=%.4f, classic %.4f", s, ClassicGaussianSigma(1, 1e-5, 1))
	for _, a := range [][3]float64{{0, 1e-5, 1}, {-1, 1e-5, 1}, {math.NaN(), 1e-5, 1}, {math.Inf(1), 1e-5, 1},
		{1, 0, 1}, {1, 1, 1}, {1, math.NaN(), 1}, {1, 1e-5, 0}, {1, 1e-5, math.Inf(1)}, {1, 1e-5, math.NaN()}} {
		if _, err := AnalyticGaussianSigma(a[0], a[1], a[2]); err == nil {
			t.Errorf("AnalyticGaussianSigma%v: no error", a)
		}
	}
	// extreme but valid inputs terminate
	for _, a := range [][3]float64{{1e-300, 1e-300, 1}, {700, 0.5, 1}, {1e6, 1e-300, 1e300}} {
		if s, err := AnalyticGaussianSigma(a[0], a[1], a[2]); err == nil && !(s > 0) {
			t.Errorf("AnalyticGaussianSigma%v = %v", a, s)
		}
	}
}

// fixedSketch has sums that are easy to subtract again.
func fixedSketch(t testing.TB, m int, n int64) *rff.Sketch {
	t.Helper()
	f := freqs(t, 2, m, 11)
	re, im := make([]float64, m), make([]float64, m)
	for j := range re {
		re[j], im[j] = 0.3*float64(n), -0.2*float64(n)
	}
	s, err := rff.NewSketchFromSums(f, re, im, float64(n), n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNoiseScale(t *testing.T) {
	const m, n = 64, 1_000_000
	s := fixedSketch(t, m, n)
	re0, im0 := s.Sums()
	for _, o := range []Options{
		{Mechanism: Laplace, Neighbourhood: AddRemove, Epsilon: 0.5},
		{Mechanism: Laplace, Neighbourhood: ReplaceOne, Epsilon: 2},
		{Mechanism: Laplace, Neighbourhood: AddRemove, Feature: OneBit, Epsilon: 1, CountFraction: 0.3},
		{Mechanism: Gaussian, Neighbourhood: AddRemove, Epsilon: 0.5, Delta: 1e-6},
		{Mechanism: Gaussian, Neighbourhood: ReplaceOne, Epsilon: 3, Delta: 1e-8},
		{Mechanism: Laplace, Neighbourhood: AddRemove, Epsilon: 1, Subsample: 8},
	} {
		const draws = 3000
		var sum, sum2, csum, csum2 float64
		var rep Report
		for k := range draws {
			o.Seed = uint64(k + 1)
			p, r, err := Privatize(s, o)
			if err != nil {
				t.Fatal(err)
			}
			rep = r
			re, im := p.Sums()
			for j := range re {
				a, b := re[j]-re0[j], im[j]-im0[j]
				sum += a + b
				sum2 += a*a + b*b
			}
			c := p.Weight() - n
			csum += c
			csum2 += c * c
			if p.Rows() != int64(math.Round(p.Weight())) {
				t.Fatalf("rows %d, weight %v", p.Rows(), p.Weight())
			}
		}
		N := float64(draws * 2 * m)
		mean, v := sum/N, sum2/N
		want := rep.SumScale * rep.SumScale
		if o.Mechanism == Laplace {
			want *= 2
		}
		if math.Abs(v/want-1) > 0.03 || math.Abs(mean) > 5*math.Sqrt(want/N) {
			t.Errorf("%+v: noise mean %v, variance %v, want 0, %v", o, mean, v, want)
		}
		// the report matches the documented calibration
		norm := 1
		if o.Mechanism == Gaussian {
			norm = 2
		}
		sens := Sensitivity(o.Feature, o.Neighbourhood, m, norm)
		if o.Subsample > 0 {
			sens = SensitivitySubsampled(o.Feature, o.Neighbourhood, m, o.Subsample, true, norm)
		}
		frac := 0.0
		if o.Neighbourhood == AddRemove {
			frac = o.CountFraction
			if frac == 0 {
				frac = DefaultCountFraction
			}
		}
		if rep.SumSensitivity != sens || math.Abs(rep.Epsilon-o.Epsilon) > 1e-12 || math.Abs(rep.CountEpsilon-frac*o.Epsilon) > 1e-12 {
			t.Errorf("%+v: report %+v", o, rep)
		}
		if o.Mechanism == Laplace && math.Abs(rep.SumScale-sens/((1-frac)*o.Epsilon)) > 1e-9*rep.SumScale {
			t.Errorf("%+v: Laplace b = %v, want %v", o, rep.SumScale, sens/((1-frac)*o.Epsilon))
		}
		if o.Mechanism == Gaussian && math.Abs(rep.Delta-o.Delta) > 1e-15 {
			t.Errorf("%+v: δ spent %v", o, rep.Delta)
		}
		if o.Neighbourhood == ReplaceOne {
			if csum2 != 0 || rep.CountScale != 0 || rep.CountEpsilon != 0 {
				t.Errorf("replace-one: count changed (%v) or budgeted", csum2)
			}
		} else {
			cm, cv := csum/draws, csum2/draws
			cw := rep.CountScale * rep.CountScale
			if o.Mechanism == Laplace {
				cw *= 2
			}
			// one value per draw: allow 4 standard errors
			if math.Abs(cv/cw-1) > 4*math.Sqrt(5.0/draws) || math.Abs(cm) > 5*math.Sqrt(cw/draws) {
				t.Errorf("%+v: count noise mean %v, variance %v, want 0, %v", o, cm, cv, cw)
			}
		}
	}
}

func TestCountClampAndSeeds(t *testing.T) {
	s := fixedSketch(t, 4, 0) // empty: the noisy count is often < 1
	clamped := 0
	for k := range 200 {
		p, rep, err := Privatize(s, Options{Mechanism: Laplace, Epsilon: 0.1, Seed: uint64(k + 1)})
		if err != nil {
			t.Fatal(err)
		}
		if p.Weight() < 1 || p.Rows() < 1 {
			t.Fatalf("weight %v rows %d", p.Weight(), p.Rows())
		}
		if rep.Clamped {
			clamped++
		}
	}
	if clamped < 50 {
		t.Errorf("only %d of 200 clamped", clamped)
	}
	s = fixedSketch(t, 4, 100)
	a, _, _ := Privatize(s, Options{Mechanism: Gaussian, Epsilon: 1, Delta: 1e-5, Seed: 9})
	b, _, _ := Privatize(s, Options{Mechanism: Gaussian, Epsilon: 1, Delta: 1e-5, Seed: 9})
	c, _, _ := Privatize(s, Options{Mechanism: Gaussian, Epsilon: 1, Delta: 1e-5})
	d, _, _ := Privatize(s, Options{Mechanism: Gaussian, Epsilon: 1, Delta: 1e-5})
	ra, _ := a.Sums()
	rb, _ := b.Sums()
	rc, _ := c.Sums()
	rd, _ := d.Sums()
	if ra[0] != rb[0] || rc[0] == rd[0] {
		t.Error("fixed seed not reproducible, or seed 0 not random")
	}
	if r0, _ := s.Sums(); r0[0] != 30 {
		t.Error("input sketch modified")
	}
}

func TestBadOptions(t *testing.T) {
	s := fixedSketch(t, 8, 50)
	f := s.Frequencies()
	weighted := rff.NewSketch(f)
	if err := weighted.AddF64([]float64{1, 2, 3, 4}, []float64{2, 1}); err != nil {
		t.Fatal(err)
	}
	good := Options{Mechanism: Gaussian, Epsilon: 1, Delta: 1e-5}
	if _, _, err := Privatize(s, good); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Privatize(weighted, good); err == nil {
		t.Error("weighted sketch accepted")
	}
	if _, _, err := Privatize(nil, good); err == nil {
		t.Error("nil sketch accepted")
	}
	nan, inf := math.NaN(), math.Inf(1)
	for _, o := range []Options{
		{Mechanism: Laplace, Epsilon: 0},
		{Mechanism: Laplace, Epsilon: -1},
		{Mechanism: Laplace, Epsilon: nan},
		{Mechanism: Laplace, Epsilon: inf},
		{Mechanism: Laplace, Epsilon: 1, Delta: -0.1},
		{Mechanism: Laplace, Epsilon: 1, Delta: nan},
		{Mechanism: Gaussian, Epsilon: 1},
		{Mechanism: Gaussian, Epsilon: 1, Delta: 1},
		{Mechanism: Gaussian, Epsilon: 1, Delta: -1e-5},
		{Mechanism: Gaussian, Epsilon: 0, Delta: 1e-5},
		{Mechanism: Gaussian, Epsilon: 1, Delta: nan},
		{Mechanism: Mechanism(5), Epsilon: 1, Delta: 1e-5},
		{Mechanism: Laplace, Neighbourhood: Neighbourhood(3), Epsilon: 1},
		{Mechanism: Laplace, Feature: Feature(-1), Epsilon: 1},
		{Mechanism: Laplace, Epsilon: 1, CountFraction: 1},
		{Mechanism: Laplace, Epsilon: 1, CountFraction: -0.1},
		{Mechanism: Laplace, Epsilon: 1, CountFraction: nan},
		{Mechanism: Laplace, Epsilon: 1, Subsample: -1},
		{Mechanism: Laplace, Epsilon: 1, Subsample: 9},
		{Mechanism: Laplace, Epsilon: 1e-322},
	} {
		if _, _, err := Privatize(s, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := SketchSubsampled(f, []float64{1, 2}, 0, 1); err == nil {
		t.Error("r=0 accepted")
	}
	if _, err := SketchSubsampled(f, []float64{1, 2, 3}, 2, 1); err == nil {
		t.Error("ragged block accepted")
	}
	if _, err := SketchSubsampled(f, []float64{1, math.NaN()}, 2, 1); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := SketchSubsampled(nil, []float64{1, 2}, 2, 1); err == nil {
		t.Error("nil frequencies accepted")
	}
	if _, _, err := FeatureMap(ComplexExp, f, []float64{1}); err == nil {
		t.Error("short row accepted")
	}
	if _, _, err := FeatureMap(Feature(3), f, []float64{1, 2}); err == nil {
		t.Error("unknown feature accepted")
	}
	if _, _, err := FeatureMap(OneBit, f, []float64{inf, 2}); err == nil {
		t.Error("infinite row accepted")
	}
}

// Utility: the relative error of the noisy normalised sketch scales like
// 1/(nε).
func TestUtilityScaling(t *testing.T) {
	if testing.Short() {
		t.Skip("sketches 1.1e5 rows")
	}
	const m = 200
	f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 2, M: m, Sigma: []float64{1}, Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	centres := [][2]float64{{-2, 0}, {2, 1}, {0, -2}}
	mixture := func(n int) *rff.Sketch {
		x := make([]float64, 2*n)
		for i := range n {
			c := centres[rng.IntN(len(centres))]
			x[2*i] = c[0] + 0.5*rng.NormFloat64()
			x[2*i+1] = c[1] + 0.5*rng.NormFloat64()
		}
		s := rff.NewSketch(f)
		if err := s.AddF64(x, nil); err != nil {
			t.Fatal(err)
		}
		return s
	}
	relErr := func(s *rff.Sketch, eps float64) float64 {
		re0, im0 := s.Z()
		var num, den float64
		const reps = 20
		for k := range reps {
			p, _, err := Privatize(s, Options{Mechanism: Laplace, Epsilon: eps, Seed: uint64(1000*eps) + uint64(k) + 1})
			if err != nil {
				t.Fatal(err)
			}
			re, im := p.Z()
			for j := range re {
				a, b := re[j]-re0[j], im[j]-im0[j]
				num += a*a + b*b
				den += re0[j]*re0[j] + im0[j]*im0[j]
			}
		}
		return math.Sqrt(num / den)
	}
	big, small := mixture(100_000), mixture(10_000)
	var ref float64
	for _, c := range []struct {
		s   *rff.Sketch
		eps float64
	}{{big, 1}, {big, 0.3}, {big, 0.1}, {big, 0.03}, {big, 0.01}, {small, 1}, {small, 0.3}, {small, 0.1}} {
		e := relErr(c.s, c.eps)
		k := e * float64(c.s.Rows()) * c.eps // should be constant
		t.Logf("n=%d ε=%v: relative error %.4g, error·n·ε = %.4g", c.s.Rows(), c.eps, e, k)
		if ref == 0 {
			ref = k
		} else if k < ref/1.25 || k > ref*1.25 {
			t.Errorf("n=%d ε=%v: error·n·ε = %v, vs %v at n=1e5, ε=1", c.s.Rows(), c.eps, k, ref)
		}
	}
}

// The closed-form δ(σ) agrees with the hockey-stick divergence
// ∫ max(0, p(x) − e^ε q(x)) dx between N(0, σ²) and N(Δ, σ²), integrated
// numerically: an independent check of the DP condition.
func TestAnalyticGaussianHockeyStick(t *testing.T) {
	for _, c := range [][3]float64{{0.5, 1e-6, 1}, {1, 1e-5, 3}, {3, 1e-3, 0.5}, {0.1, 1e-2, 10}} {
		eps, delta, sens := c[0], c[1], c[2]
		sigma, err := AnalyticGaussianSigma(eps, delta, sens)
		if err != nil {
			t.Fatal(err)
		}
		pdf := func(x, mu float64) float64 {
			z := (x - mu) / sigma
			return math.Exp(-z*z/2) / (sigma * math.Sqrt(2*math.Pi))
		}
		lo, hi := -40*sigma, sens+40*sigma
		const steps = 400000
		h := (hi - lo) / steps
		var sum float64
		for i := 0; i <= steps; i++ {
			x := lo + float64(i)*h
			v := max(0, pdf(x, 0)-math.Exp(eps)*pdf(x, sens))
			w := 2.0
			if i == 0 || i == steps {
				w = 1
			} else if i%2 == 1 {
				w = 4
			}
			sum += w * v
		}
		got := sum * h / 3
		if math.Abs(got/delta-1) > 1e-3 {
			t.Errorf("ε=%v δ=%v Δ=%v: σ=%v has hockey-stick divergence %v", eps, delta, sens, sigma, got)
		}
	}
}
