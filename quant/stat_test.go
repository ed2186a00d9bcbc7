package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clkit/clkit/rff"
)

// The expected 1-bit sketch of Gaussian data, x ~ N(μ, s²I), is known in
// closed form. With a = ωᵀμ + ξ and b² = s²‖ω‖², ωᵀx + ξ ~ N(a, b²) and the
// Fourier series of the two square waves give
//
//	E sign cos = (4/π) Σ_k (−1)^k/(2k+1) · e^{−(2k+1)²b²/2} cos((2k+1)a)
//	E sign sin = (4/π) Σ_k      1/(2k+1) · e^{−(2k+1)²b²/2} sin((2k+1)a)
//
// whose k = 0 terms are (4/π) times the smooth sketch e^{−b²/2}(cos a, sin a).

type gaussData struct {
	f       *rff.Frequencies
	mu      []float64
	s       float64
	a, b    []float64 // per frequency
	eRe     []float64 // exact E sign cos, all harmonics
	eIm     []float64
	aRe     []float64 // smooth sketch, first harmonic only (no 4/π)
	aIm     []float64
	d, m, n int
}

func newGaussData(t testing.TB, d, m int, sigma, s float64, seed uint64) *gaussData {
	f := mustFreq(t, rff.Params{Law: rff.Gaussian, D: d, M: m, Sigma: []float64{sigma}, Seed: seed})
	r := rand.New(rand.NewPCG(seed, 77))
	g := &gaussData{f: f, s: s, d: d, m: m, mu: make([]float64, d)}
	for k := range g.mu {
		g.mu[k] = 0.5 * r.NormFloat64()
	}
	for j := range m {
		om := f.Omega(j)
		a, b2 := f.Xi()[j], 0.0
		for k, v := range om {
			a += v * g.mu[k]
			b2 += v * v * s * s
		}
		var re, im float64
		for k := 0; ; k++ {
			h := float64(2*k + 1)
			damp := math.Exp(-h * h * b2 / 2)
			if damp < 1e-17 || k > 100000 {
				break
			}
			sg := 1.0
			if k%2 == 1 {
				sg = -1
			}
			re += sg / h * damp * math.Cos(h*a)
			im += 1 / h * damp * math.Sin(h*a)
		}
		g.a, g.b = append(g.a, a), append(g.b, math.Sqrt(b2))
		g.eRe, g.eIm = append(g.eRe, FirstHarmonic*re), append(g.eIm, FirstHarmonic*im)
		damp := math.Exp(-b2 / 2)
		g.aRe, g.aIm = append(g.aRe, damp*math.Cos(a)), append(g.aIm, damp*math.Sin(a))
	}
	return g
}

func (g *gaussData) rows(r *rand.Rand, n int) []float64 {
	x := make([]float64, n*g.d)
	for i := range x {
		x[i] = g.mu[i%g.d] + g.s*r.NormFloat64()
	}
	return x
}

// chi2 is Σ (z − e)²/var over the selected frequencies and both parts,
// var = (1 − e²)·k/n (k = n·Σw²/(Σw)², 1 without weights), divided by the
// number of terms. For an unbiased z its expectation is exactly 1 (the
// variance of a mean of n independent ±1 is (1 − e²)/n), whatever the
// correlations between terms; a bias B adds about n·B²/(1 − e²).
func chi2(zRe, zIm, eRe, eIm []float64, sel func(j int) bool, k float64, n int) (perTerm float64, terms int) {
	var t float64
	for j := range zRe {
		if !sel(j) {
			continue
		}
		for _, p := range [][2]float64{{zRe[j], eRe[j]}, {zIm[j], eIm[j]}} {
			v := (1 - p[1]*p[1]) * k / float64(n)
			t += (p[0] - p[1]) * (p[0] - p[1]) / v
			terms++
		}
	}
	return t / float64(terms), terms
}

func meanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}

// statPlan: sample sizes and replicates. The statistic's spread over
// independent samples is about 0.2 (the errors of all frequencies share a
// few modes of the sample: its mean, its spread), so a mean over R
// replicates is within 0.2/√R of 1, and the tolerance is 5 such
// deviations.
func statPlan() (ns, reps []int) {
	if testing.Short() {
		return []int{1000, 4000}, []int{6, 6}
	}
	return []int{1000, 10000, 100000}, []int{16, 16, 4}
}

func statTol(r int) float64 { return 5 * 0.2 / math.Sqrt(float64(r)) }

// TestExpectedSketch: the mean 1-bit sketch is an unbiased estimate of its
// exact expectation (all harmonics), with the error of a mean of n
// independent ±1, so its error shrinks like 1/√n: at every n, the squared
// errors standardised by (1 − E²)/n average to 1 (over replicates, within
// 5 standard deviations of that average). A wrong bit, a wrong phase scale
// or a biased dither would make the average grow like n: a bias of 0.003
// alone gives about 2 at n = 1e5.
func TestExpectedSketch(t *testing.T) {
	const d, m = 6, 256
	g := newGaussData(t, d, m, 1.5, 1, 11)
	r := rand.New(rand.NewPCG(11, 12))
	all := func(int) bool { return true }
	ns, reps := statPlan()
	for i, n := range ns {
		var cs []float64
		for range reps[i] {
			s := mustSketch(t, g.f, "auto")
			if err := s.AddParallelF64(g.rows(r, n), nil, 0); err != nil {
				t.Fatal(err)
			}
			zr, zi := s.Z()
			c, _ := chi2(zr, zi, g.eRe, g.eIm, all, 1, n)
			cs = append(cs, c)
		}
		c, sd := meanSD(cs)
		t.Logf("n=%d: mean standardised squared error %.3f (sd %.3f over %d samples), rms error %.2e", n, c, sd, reps[i], math.Sqrt(c/float64(n)))
		if tol := statTol(reps[i]); math.Abs(c-1) > tol {
			t.Errorf("n=%d: mean standardised squared error %.3f, want 1 ± %.2f", n, c, tol)
		}
	}
	// Weighted rows and float32 rows (not with -short) have the same
	// expectation.
	n, repsW := 5000, 8
	if testing.Short() {
		n, repsW = 2000, 4
	}
	var cw, c32 []float64
	for range repsW {
		x := g.rows(r, n)
		w := make([]float64, n)
		var sw, sw2 float64
		for i := range w {
			w[i] = r.ExpFloat64()
			sw += w[i]
			sw2 += w[i] * w[i]
		}
		s := mustSketch(t, g.f, "auto")
		s.AddParallelF64(x, w, 0)
		zr, zi := s.Z()
		c, _ := chi2(zr, zi, g.eRe, g.eIm, all, sw2*float64(n)/(sw*sw), n)
		cw = append(cw, c)
		if testing.Short() { // the Go float32 kernel is slow under emulation
			continue
		}
		s32 := mustSketch(t, g.f, "auto")
		s32.AddParallelF32(f32s(x), nil, 0)
		zr, zi = s32.Z()
		c, _ = chi2(zr, zi, g.eRe, g.eIm, all, 1, n)
		c32 = append(c32, c)
	}
	for _, v := range []struct {
		name string
		c    []float64
	}{{"weighted", cw}, {"float32", c32}} {
		if len(v.c) == 0 {
			continue
		}
		if c, _ := meanSD(v.c); math.Abs(c-1) > statTol(repsW) {
			t.Errorf("%s: mean standardised squared error %.3f", v.name, c)
		}
	}
}

// TestFirstHarmonic: where the data's spread damps the higher harmonics
// (b = s‖ω‖ ≥ 1.5, so the third is below 1.3e-5), the mean 1-bit sketch
// converges to (4/π) times the smooth sketch, in each of the cos and sin
// parts, at the 1/√n rate (as in TestExpectedSketch); and the factor
// fitted by least squares, averaged over the samples, is 4/π within 5 of
// its standard errors (estimated from the samples), which at the largest n
// are small enough to tell 4/π from 2.22/2 or 1 by more than 50 (20 with
// -short).
func TestFirstHarmonic(t *testing.T) {
	const d, m = 6, 512
	g := newGaussData(t, d, m, 1.2, 1, 13)
	sel := func(j int) bool { return g.b[j] >= 1.5 }
	r := rand.New(rand.NewPCG(13, 14))
	fRe, fIm := make([]float64, m), make([]float64, m)
	for j := range m {
		fRe[j], fIm[j] = FirstHarmonic*g.aRe[j], FirstHarmonic*g.aIm[j]
	}
	ns, reps := statPlan()
	for i, n := range ns {
		var cs, fits, smooth []float64
		for range reps[i] {
			s := mustSketch(t, g.f, "auto")
			s.AddParallelF64(g.rows(r, n), nil, 0)
			zr, zi := s.Z()
			c, k := chi2(zr, zi, fRe, fIm, sel, 1, n)
			if k < 400 {
				t.Fatalf("only %d terms selected", k)
			}
			cs = append(cs, c)
			// Least-squares factor of z on the smooth sketch.
			var num, den float64
			for j := range m {
				if sel(j) {
					num += zr[j]*g.aRe[j] + zi[j]*g.aIm[j]
					den += g.aRe[j]*g.aRe[j] + g.aIm[j]*g.aIm[j]
				}
			}
			fits = append(fits, num/den)
			// The estimate handed to decoders is the same divided by 4/π.
			sr, si := s.Smooth().Z()
			for j := range sr {
				sr[j] *= FirstHarmonic
				si[j] *= FirstHarmonic
			}
			c, _ = chi2(sr, si, fRe, fIm, sel, 1, n)
			smooth = append(smooth, c)
		}
		c, sd := meanSD(cs)
		fit, fsd := meanSD(fits)
		se := fsd / math.Sqrt(float64(reps[i]))
		cSmooth, _ := meanSD(smooth)
		t.Logf("n=%d: mean standardised squared error %.3f (sd %.3f); fitted factor %.4f ± %.4f (4/π = %.4f)", n, c, sd, fit, se, FirstHarmonic)
		if tol := statTol(reps[i]); math.Abs(c-1) > tol || math.Abs(cSmooth-1) > tol {
			t.Errorf("n=%d: mean standardised squared error %.3f (of Smooth: %.3f), want 1 ± %.2f", n, c, cSmooth, tol)
		}
		if math.Abs(fit-FirstHarmonic) > 5*se {
			t.Errorf("n=%d: fitted factor %.4f, 4/π = %.4f, standard error %.4f", n, fit, FirstHarmonic, se)
		}
		if need := map[bool]float64{false: 50, true: 20}[testing.Short()]; i == len(ns)-1 && (FirstHarmonic-1.11)/se < need {
			t.Errorf("standard error %.4f too large to tell 4/π from 1.11", se)
		}
	}
}
