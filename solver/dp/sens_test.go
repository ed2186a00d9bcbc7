package dp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clkit/clkit/rff"
)

func freqs(t testing.TB, d, m int, seed uint64) *rff.Frequencies {
	t.Helper()
	f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: d, M: m, Sigma: []float64{1}, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sumFeatures is Σ_{x∈X} Φ(x) as 2m reals (cos parts, then sin parts).
func sumFeatures(t testing.TB, feat Feature, f *rff.Frequencies, x []float64) []float64 {
	t.Helper()
	d, m := f.D(), f.M()
	out := make([]float64, 2*m)
	for i := 0; i < len(x)/d; i++ {
		re, im, err := FeatureMap(feat, f, x[i*d:(i+1)*d])
		if err != nil {
			t.Fatal(err)
		}
		for j := range m {
			out[j] += re[j]
			out[m+j] += im[j]
		}
	}
	return out
}

func sketchSums(t testing.TB, f *rff.Frequencies, x []float64) []float64 {
	t.Helper()
	s := rff.NewSketch(f)
	if err := s.AddF64(x, nil); err != nil {
		t.Fatal(err)
	}
	re, im := s.Sums()
	return append(re, im...)
}

func norms(a, b []float64) (l1, l2 float64) {
	for j := range a {
		v := a[j] - b[j]
		l1 += math.Abs(v)
		l2 += v * v
	}
	return l1, math.Sqrt(l2)
}

// solvePhases returns the least-norm x with ω_jᵀx + ξ_j = target_j for all
// j (needs m ≤ d and Ω of full row rank): x = Ωᵀ(ΩΩᵀ)⁻¹(target − ξ).
func solvePhases(t testing.TB, f *rff.Frequencies, target []float64) []float64 {
	t.Helper()
	d, m := f.D(), f.M()
	a := make([][]float64, m)
	xi := f.Xi()
	for i := range m {
		a[i] = make([]float64, m+1)
		for j := range m {
			for k := range d {
				a[i][j] += f.Omega(i)[k] * f.Omega(j)[k]
			}
		}
		a[i][m] = target[i] - xi[i]
	}
	for c := range m {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := range m {
			if r != c {
				g := a[r][c] / a[c][c]
				for k := c; k <= m; k++ {
					a[r][k] -= g * a[c][k]
				}
			}
		}
	}
	x := make([]float64, d)
	for j := range m {
		y := a[j][m] / a[j][j]
		for k := range d {
			x[k] += f.Omega(j)[k] * y
		}
	}
	return x
}

func TestSensitivityTable(t *testing.T) {
	m := 50
	fm := float64(m)
	want := []struct {
		feat     Feature
		nb       Neighbourhood
		norm     int
		expected float64
	}{
		{ComplexExp, AddRemove, 1, math.Sqrt2 * fm},
		{ComplexExp, AddRemove, 2, math.Sqrt(fm)},
		{ComplexExp, ReplaceOne, 1, 2 * math.Sqrt2 * fm},
		{ComplexExp, ReplaceOne, 2, 2 * math.Sqrt(fm)},
		{OneBit, AddRemove, 1, 2 * fm},
		{OneBit, AddRemove, 2, math.Sqrt(2 * fm)},
		{OneBit, ReplaceOne, 1, 4 * fm},
		{OneBit, ReplaceOne, 2, 2 * math.Sqrt(2*fm)},
	}
	for _, w := range want {
		if got := Sensitivity(w.feat, w.nb, m, w.norm); math.Abs(got-w.expected) > 1e-12*w.expected {
			t.Errorf("%v %v L%d: %v, want %v", w.feat, w.nb, w.norm, got, w.expected)
		}
		// r = m unscaled is the plain sketch; scaled subsampling with r
		// keeps L1 and multiplies L2 by √(m/r).
		if got := SensitivitySubsampled(w.feat, w.nb, m, m, true, w.norm); math.Abs(got-w.expected) > 1e-12*w.expected {
			t.Errorf("subsampled r=m: %v, want %v", got, w.expected)
		}
		r := 10
		s := SensitivitySubsampled(w.feat, w.nb, m, r, true, w.norm)
		f := 1.0
		if w.norm == 2 {
			f = math.Sqrt(fm / float64(r))
		}
		if math.Abs(s-f*w.expected) > 1e-12*s {
			t.Errorf("%v %v L%d subsampled r=%d scaled: %v, want %v", w.feat, w.nb, w.norm, r, s, f*w.expected)
		}
	}
	if CountSensitivity(AddRemove) != 1 || CountSensitivity(ReplaceOne) != 0 {
		t.Error("count sensitivity")
	}
	for _, v := range []float64{
		Sensitivity(ComplexExp, AddRemove, 0, 1), Sensitivity(ComplexExp, AddRemove, 5, 3),
		Sensitivity(Feature(7), AddRemove, 5, 1), Sensitivity(ComplexExp, Neighbourhood(9), 5, 2),
		SensitivitySubsampled(ComplexExp, AddRemove, 5, 6, true, 1), SensitivitySubsampled(OneBit, AddRemove, 5, 0, false, 1),
		CountSensitivity(Neighbourhood(-1)),
	} {
		if !math.IsNaN(v) {
			t.Errorf("invalid arguments gave %v, want NaN", v)
		}
	}
}

// Random neighbouring data sets never exceed the stated sensitivities, and
// the L2 ones (attained by every point) are met.
func TestSensitivityRandomNeighbours(t *testing.T) {
	const d, m = 3, 40
	f := freqs(t, d, m, 7)
	rng := rand.New(rand.NewPCG(1, 2))
	row := func() []float64 {
		x := make([]float64, d)
		for k := range x {
			x[k] = 3 * rng.NormFloat64()
		}
		return x
	}
	for _, feat := range []Feature{ComplexExp, OneBit} {
		for _, nb := range []Neighbourhood{AddRemove, ReplaceOne} {
			d1, d2 := Sensitivity(feat, nb, m, 1), Sensitivity(feat, nb, m, 2)
			var max1, max2 float64
			for trial := range 400 {
				n := 1 + rng.IntN(30)
				var x []float64
				for range n {
					x = append(x, row()...)
				}
				i := rng.IntN(n)
				var y []float64
				if nb == AddRemove {
					y = append(append([]float64(nil), x[:i*d]...), x[(i+1)*d:]...)
				} else {
					y = append([]float64(nil), x...)
					copy(y[i*d:], row())
				}
				a, b := sumFeatures(t, feat, f, x), sumFeatures(t, feat, f, y)
				l1, l2 := norms(a, b)
				if feat == ComplexExp && trial%10 == 0 {
					// the library's sketch agrees with FeatureMap
					sa, sb := sketchSums(t, f, x), sketchSums(t, f, y)
					k1, k2 := norms(sa, sb)
					if math.Abs(k1-l1) > 1e-9 || math.Abs(k2-l2) > 1e-9 {
						t.Fatalf("rff sketch differs from FeatureMap: %v %v vs %v %v", k1, k2, l1, l2)
					}
				}
				if l1 > d1*(1+1e-12) || l2 > d2*(1+1e-12) {
					t.Fatalf("%v %v: |ΔS| = %v (L1), %v (L2) exceeds %v, %v", feat, nb, l1, l2, d1, d2)
				}
				max1, max2 = max(max1, l1), max(max2, l2)
			}
			t.Logf("%v %v: max L1 %.4g of %.4g, max L2 %.4g of %.4g", feat, nb, max1/d1, 1.0, max2/d2, 1.0)
			if nb == AddRemove && max2 < 0.99*d2 {
				t.Errorf("%v add/remove: L2 %v not attained (%v)", feat, max2, d2)
			}
			if feat == OneBit && nb == AddRemove && max1 < 0.99*d1 {
				t.Errorf("one-bit add/remove: L1 %v not attained (%v)", max1, d1)
			}
		}
	}
}

// Adversarial points (phases at π/4, and the replacement at π/4 + π)
// attain every sensitivity to within 1% (m ≤ d so the phases can be set).
func TestSensitivityAttained(t *testing.T) {
	const d, m = 12, 8
	f := freqs(t, d, m, 3)
	tgt := make([]float64, m)
	opp := make([]float64, m)
	for j := range tgt {
		tgt[j] = math.Pi/4 + math.Pi/2*float64(j%4) // any odd multiple of π/4
		opp[j] = tgt[j] + math.Pi
	}
	x, xo := solvePhases(t, f, tgt), solvePhases(t, f, opp)
	base := []float64{0.3, -1, 2, 0, 0, 1, 0, 0, 0, 0, 0.5, 0.1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	for _, feat := range []Feature{ComplexExp, OneBit} {
		for _, nb := range []Neighbourhood{AddRemove, ReplaceOne} {
			var a, b []float64
			if nb == AddRemove {
				a, b = sumFeatures(t, feat, f, append(append([]float64(nil), base...), x...)), sumFeatures(t, feat, f, base)
			} else {
				a, b = sumFeatures(t, feat, f, append(append([]float64(nil), base...), x...)), sumFeatures(t, feat, f, append(append([]float64(nil), base...), xo...))
			}
			l1, l2 := norms(a, b)
			for p, got := range []float64{l1, l2} {
				s := Sensitivity(feat, nb, m, p+1)
				if got > s*(1+1e-9) || got < 0.99*s {
					t.Errorf("%v %v L%d: adversarial |ΔS| = %v, sensitivity %v", feat, nb, p+1, got, s)
				}
			}
			if feat == ComplexExp {
				// and through the library's sketch
				var sa, sb []float64
				if nb == AddRemove {
					sa, sb = sketchSums(t, f, append(append([]float64(nil), base...), x...)), sketchSums(t, f, base)
				} else {
					sa, sb = sketchSums(t, f, append(append([]float64(nil), base...), x...)), sketchSums(t, f, append(append([]float64(nil), base...), xo...))
				}
				k1, _ := norms(sa, sb)
				if s := Sensitivity(feat, nb, m, 1); k1 < 0.99*s || k1 > s*(1+1e-9) {
					t.Errorf("%v %v: rff sketch L1 %v vs %v", feat, nb, k1, s)
				}
			}
		}
	}
}

func TestSensitivitySubsampled(t *testing.T) {
	const d, m, r = 12, 10, 3
	f := freqs(t, d, m, 5)
	tgt := make([]float64, m)
	opp := make([]float64, m)
	for j := range tgt {
		tgt[j] = 3 * math.Pi / 4
		opp[j] = tgt[j] + math.Pi
	}
	x, xo := solvePhases(t, f, tgt), solvePhases(t, f, opp)
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 50 {
		n := 1 + rng.IntN(20)
		base := make([]float64, n*d)
		for k := range base {
			base[k] = rng.NormFloat64()
		}
		seed := uint64(trial + 1)
		sum := func(rows []float64) []float64 {
			s, err := SketchSubsampled(f, rows, r, seed)
			if err != nil {
				t.Fatal(err)
			}
			re, im := s.Sums()
			return append(re, im...)
		}
		for _, nb := range []Neighbourhood{AddRemove, ReplaceOne} {
			a := sum(append(append([]float64(nil), base...), x...))
			var b []float64
			if nb == AddRemove {
				b = sum(base)
			} else {
				b = sum(append(append([]float64(nil), base...), xo...))
			}
			l1, l2 := norms(a, b)
			for p, got := range []float64{l1, l2} {
				s := SensitivitySubsampled(ComplexExp, nb, m, r, true, p+1)
				if got > s*(1+1e-9) || got < 0.99*s {
					t.Fatalf("subsampled %v L%d: |ΔS| = %v, sensitivity %v", nb, p+1, got, s)
				}
			}
		}
	}
	// Scaled subsampling is unbiased: the mean over seeds approaches the full sketch.
	rows := make([]float64, 200*d)
	for k := range rows {
		rows[k] = rng.NormFloat64()
	}
	full := sketchSums(t, f, rows)
	mean := make([]float64, 2*m)
	const seeds = 400
	for s := range seeds {
		sk, err := SketchSubsampled(f, rows, r, uint64(s+100))
		if err != nil {
			t.Fatal(err)
		}
		re, im := sk.Sums()
		for j, v := range append(re, im...) {
			mean[j] += v / seeds
		}
	}
	_, e := norms(mean, full)
	_, fn := norms(full, make([]float64, 2*m))
	if e > 0.05*fn {
		t.Errorf("subsampled mean off the full sketch by %v (norm %v)", e, fn)
	}
}
