package rff

import (
	"math"
	"strings"
	"testing"
)

// goldenFingerprints pin Ω and ξ bit for bit: the same values must come out
// on amd64, arm64 and purego builds (CI runs this test on all three).
var goldenCases = []struct {
	p  Params
	fp uint64
}{
	{Params{Law: Gaussian, D: 3, M: 50, Sigma: []float64{1}, Seed: 1}, 0xe8e9c1287babe718},
	{Params{Law: FoldedGaussian, D: 10, M: 100, Sigma: []float64{0.5}, Seed: 42}, 0x54361c672001a72c},
	{Params{Law: AdaptedRadius, D: 5, M: 1000, Sigma: []float64{1, 2, 3, 4, 5}, Seed: 7}, 0x58bee2c7b775b87c},
	{Params{Law: AdaptedRadius, D: 64, M: 33, Sigma: []float64{0.1}, Seed: 1 << 63, NoDither: true}, 0x3b88fece202ceaf7},
}

func TestGoldenFingerprint(t *testing.T) {
	for _, c := range goldenCases {
		f, err := NewFrequencies(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if f.Fingerprint() != c.fp {
			t.Errorf("%v d=%d m=%d seed=%d: fingerprint %#016x, want %#016x", c.p.Law, c.p.D, c.p.M, c.p.Seed, f.Fingerprint(), c.fp)
		}
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestLaws checks the moments of each law: E‖ω‖² and, for the radius laws,
// the radius distribution (E R, E R² from the notes for the adapted radius).
func TestLaws(t *testing.T) {
	const m = 200000
	for _, c := range []struct {
		law        Law
		d          int
		er, er2    float64 // E R, E R² at σ = 1
		tolR, tolQ float64
	}{
		{Gaussian, 4, math.NaN(), 4, 0, 0.03},
		{FoldedGaussian, 3, math.Sqrt(2 / math.Pi), 1, 0.01, 0.02},
		{AdaptedRadius, 3, 1.3514, 2.3039, 0.01, 0.02},
	} {
		sigma := 2.0
		f, err := NewFrequencies(Params{Law: c.law, D: c.d, M: m, Sigma: []float64{sigma}, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		r, r2 := make([]float64, m), make([]float64, m)
		var comp [2]float64 // mean of ω_0 and ω_0² / E R²·d…
		for j := 0; j < m; j++ {
			var n2 float64
			for _, v := range f.Omega(j) {
				n2 += v * v
			}
			r2[j] = n2 * sigma * sigma
			r[j] = math.Sqrt(r2[j])
			comp[0] += f.Omega(j)[0]
		}
		if e := mean(r2); math.Abs(e/c.er2-1) > c.tolQ {
			t.Errorf("%v: E R² = %.4f, want %.4f", c.law, e, c.er2)
		}
		if !math.IsNaN(c.er) {
			if e := mean(r); math.Abs(e/c.er-1) > c.tolR {
				t.Errorf("%v: E R = %.4f, want %.4f", c.law, e, c.er)
			}
		}
		if mu := comp[0] / m; math.Abs(mu) > 0.01 {
			t.Errorf("%v: E ω_0 = %.4f, want 0 (isotropic)", c.law, mu)
		}
		for _, xi := range f.Xi() {
			if xi < 0 || xi >= 2*math.Pi {
				t.Fatalf("%v: dither %v outside [0, 2π)", c.law, xi)
			}
		}
	}
}

func TestPerDimensionSigma(t *testing.T) {
	sig := []float64{1, 10}
	f, err := NewFrequencies(Params{Law: Gaussian, D: 2, M: 100000, Sigma: sig, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var v [2]float64
	for j := 0; j < f.M(); j++ {
		for k, w := range f.Omega(j) {
			v[k] += w * w / float64(f.M())
		}
	}
	for k := range v {
		if want := 1 / (sig[k] * sig[k]); math.Abs(v[k]/want-1) > 0.02 {
			t.Errorf("Var ω_%d = %.5f, want %.5f", k, v[k], want)
		}
	}
}

func TestFrequenciesDeterministicAndDistinct(t *testing.T) {
	p := Params{Law: AdaptedRadius, D: 4, M: 20, Sigma: []float64{1}, Seed: 11}
	a, _ := NewFrequencies(p)
	b, _ := NewFrequencies(p)
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("same params, different fingerprints")
	}
	for _, q := range []Params{
		{Law: AdaptedRadius, D: 4, M: 20, Sigma: []float64{1}, Seed: 12},
		{Law: FoldedGaussian, D: 4, M: 20, Sigma: []float64{1}, Seed: 11},
		{Law: AdaptedRadius, D: 4, M: 20, Sigma: []float64{1.0000001}, Seed: 11},
		{Law: AdaptedRadius, D: 4, M: 20, Sigma: []float64{1}, Seed: 11, NoDither: true},
	} {
		c, _ := NewFrequencies(q)
		if c.Fingerprint() == a.Fingerprint() {
			t.Errorf("params %+v collide with %+v", q, p)
		}
	}
	// The first frequencies do not depend on m (a prefix of a longer draw).
	long, _ := NewFrequencies(Params{Law: AdaptedRadius, D: 4, M: 40, Sigma: []float64{1}, Seed: 11})
	for j := 0; j < 20; j++ {
		for k := range 4 {
			if a.Omega(j)[k] != long.Omega(j)[k] || a.Xi()[j] != long.Xi()[j] {
				t.Fatalf("frequency %d differs between m=20 and m=40", j)
			}
		}
	}
}

func TestParamsValidation(t *testing.T) {
	for _, c := range []struct {
		p    Params
		want string
	}{
		{Params{Law: 0, D: 1, M: 1, Sigma: []float64{1}}, "law"},
		{Params{Law: Gaussian, D: 0, M: 1, Sigma: []float64{1}}, "dimension"},
		{Params{Law: Gaussian, D: 1, M: 0, Sigma: []float64{1}}, "frequency count"},
		{Params{Law: Gaussian, D: 2, M: 1, Sigma: []float64{1, 2, 3}}, "sigma has 3"},
		{Params{Law: Gaussian, D: 1, M: 1, Sigma: []float64{-1}}, "positive"},
		{Params{Law: Gaussian, D: 1, M: 1, Sigma: []float64{math.Inf(1)}}, "positive"},
		{Params{Law: Gaussian, D: 1, M: 1}, "sigma has 0"},
	} {
		_, err := NewFrequencies(c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to mention %q", c.p, err, c.want)
		}
	}
	for _, s := range []string{"gaussian", "folded-gaussian", "Adapted-Radius"} {
		if _, err := ParseLaw(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseLaw("cauchy"); err == nil {
		t.Error("ParseLaw accepted an unknown law")
	}
}

func TestPackedLayout(t *testing.T) {
	f, _ := NewFrequencies(Params{Law: Gaussian, D: 3, M: 37, Sigma: []float64{1}, Seed: 1})
	if f.mp != 48 {
		t.Fatalf("mp = %d, want 48", f.mp)
	}
	for j := 0; j < f.mp; j++ {
		for k := 0; k < 3; k++ {
			var want float64
			if j < 37 {
				want = f.Omega(j)[k]
			}
			if got := f.om64[(j/16*3+k)*16+j%16]; got != want {
				t.Fatalf("packed ω[%d][%d] = %v, want %v", j, k, got, want)
			}
		}
	}
}
