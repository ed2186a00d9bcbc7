package solver

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/clkit/clkit/rff"
)

// ScaleOptions tune EstimateScale. Zero values select the defaults.
type ScaleOptions struct {
	Subsample  int    // rows per trial, n0 (default min(n, 5000))
	M0         int    // frequencies per small sketch (default 500)
	Trials     int    // independent trials combined by median (default 5)
	Iterations int    // re-draws of the frequencies per trial, T (default 5)
	Seed       uint64 // the result is a deterministic function of data, options and Seed
	// K, when positive, is the number of clusters. Each trial then fits
	// a mixture of K Gaussians with one shared isotropic variance to its
	// subsample (k-means++ and Lloyd, then EM) instead of the sketch
	// envelope, which is what the decoders do (they know K). The envelope
	// fit is misled by how the cluster means interfere: |Σ π_k e^{iωᵀμ_k}|
	// falls from 1 to about 1/√K over the inter-cluster scale, and the fit
	// takes that for cluster variance (17× too large on birch1, K = 100;
	// 6 of 100 seeds outside [0.8, 1.25] with K = 10 in 2-D). k-means alone
	// underestimates overlapping clusters (0.83× on average in 2-D); EM's
	// soft assignments do not (all 900 test seeds within [0.95, 1.08]).
	K int
}

// ScaleResult is the estimate of EstimateScale.
type ScaleResult struct {
	Sigma2 float64   // the estimate: median of Trials
	Trials []float64 // the estimate of each independent trial
}

// Defaults and constants of the scale estimator.
const (
	scaleDefSubsample  = 5000
	scaleDefM0         = 500
	scaleDefTrials     = 5
	scaleDefIterations = 5
	scaleBins          = 30   // radius bins whose peaks form the envelope
	scaleNoiseFactor   = 4    // |z| below scaleNoiseFactor/√n0 is noise
	scaleLowerBound    = 1e-4 // σ² ≥ scaleLowerBound·(mean per-dimension variance)
	scaleMinBins       = 4    // fewer usable bins than this: the fit is not trusted
	// Bins with ‖ω‖ < scaleRMin/√(1−σ²) (standardised units; 1−σ² is the
	// between-cluster variance) are left out when enough others remain:
	// there the mixture factor is still decaying from 1.
	scaleRMin = 1.4
)

// EstimateScale estimates the kernel scale σ² for compressive k-means on the
// data x (n×d, row-major): frequencies drawn at scale σ (ω = R·u/σ) then
// suit the data. For a mixture of Gaussians with covariance s²·I the
// estimate is close to the within-cluster variance s².
//
// Method (Keriven et al.'s heuristic, made robust). The data are centred and
// divided by one global scale g (g² = mean per-dimension variance), so the
// estimate is equivariant under scaling of the data. Each trial takes a
// random subsample of n0 rows, draws m0 adapted-radius frequencies at the
// current scale, and computes their sketch. For a mixture with cluster
// variance σ², |z(ω)| = exp(−σ²‖ω‖²/2)·|Σ_k π_k exp(iωᵀμ_k)|: the second
// factor oscillates below 1, so the upper envelope of |z| (the peak of each
// of 30 equal-count radius bins) decays like exp(−σ²‖ω‖²/2). A least-squares
// line through (‖ω‖²/2, log peak) gives σ² = −slope; bins below the noise
// floor 4/√n0 are left out, in d > 2 so are the low radii where the
// mixture factor is still falling from 1 (‖ω‖ < 1.4·(1−2/d)/√(1−σ²)), and
// the fit is repeated on the points on or above the line. If too few bins rise above the noise, the frequencies were
// too high and σ² is raised; if the envelope is flat, they were too low and
// σ² is lowered. Each trial iterates this T times, re-drawing frequencies at
// the current estimate, clamped to [1e-4, 1]·g². The result is the median
// of the trials, which run concurrently and are deterministic given Seed.
func EstimateScale(x []float64, d int, o ScaleOptions) (ScaleResult, error) {
	if d <= 0 {
		return ScaleResult{}, fmt.Errorf("solver: EstimateScale: dimension d=%d must be positive", d)
	}
	if len(x)%d != 0 {
		return ScaleResult{}, fmt.Errorf("solver: EstimateScale: %d values are not a whole number of rows of d=%d", len(x), d)
	}
	n := len(x) / d
	if n < 2 {
		return ScaleResult{}, fmt.Errorf("solver: EstimateScale: need at least 2 rows, have %d", n)
	}
	if o.Subsample < 0 || o.M0 < 0 || o.Trials < 0 || o.Iterations < 0 {
		return ScaleResult{}, errors.New("solver: EstimateScale: options must not be negative")
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ScaleResult{}, fmt.Errorf("solver: EstimateScale: row %d, column %d: value %v is not finite", i/d, i%d, v)
		}
	}
	n0 := o.Subsample
	if n0 == 0 {
		n0 = scaleDefSubsample
	}
	n0 = min(n0, n)
	m0 := o.M0
	if m0 == 0 {
		m0 = scaleDefM0
	}
	m0 = max(m0, scaleBins*2)
	if int64(m0)*int64(d) > 1<<31 || m0 > rff.MaxM || d > rff.MaxD {
		return ScaleResult{}, fmt.Errorf("solver: EstimateScale: d·m0 = %d·%d is too large", d, m0)
	}
	trials := o.Trials
	if trials == 0 {
		trials = scaleDefTrials
	}
	iters := o.Iterations
	if iters == 0 {
		iters = scaleDefIterations
	}

	mean, g, err := scaleStandardisation(x, n, d)
	if err != nil {
		return ScaleResult{}, err
	}

	res := ScaleResult{Trials: make([]float64, trials)}
	errs := make([]error, trials)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for t := range trials {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			seed := scaleMix(o.Seed, uint64(t))
			y := scaleSubsample(x, n, d, n0, mean, g, seed)
			if o.K > 0 {
				res.Trials[t], errs[t] = scaleTrialMixture(y, d, o.K, seed)
			} else {
				res.Trials[t], errs[t] = scaleTrial(y, d, m0, iters, seed)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return ScaleResult{}, fmt.Errorf("solver: EstimateScale: %w", err)
	}
	g2 := g * g
	for t := range res.Trials {
		res.Trials[t] *= g2
	}
	res.Sigma2 = scaleMedian(res.Trials)
	return res, nil
}

// scaleStandardisation returns the per-dimension mean and the global scale
// g = sqrt(mean per-dimension variance), computed without overflow for any
// finite data.
func scaleStandardisation(x []float64, n, d int) (mean []float64, g float64, err error) {
	mean = make([]float64, d)
	// Means of x/c with c the largest magnitude, so that sums cannot overflow.
	var c float64
	for _, v := range x {
		c = max(c, math.Abs(v))
	}
	if c == 0 {
		return nil, 0, errors.New("solver: EstimateScale: all values are zero")
	}
	for i := range n {
		for k, v := range x[i*d : (i+1)*d] {
			mean[k] += v / c
		}
	}
	for k := range mean {
		mean[k] = mean[k] / float64(n) * c
	}
	// Largest deviation, then the variance of the deviations divided by it.
	var a float64
	for i := range n {
		for k, v := range x[i*d : (i+1)*d] {
			a = max(a, math.Abs(v-mean[k]))
		}
	}
	if a == 0 || math.IsInf(a, 0) {
		if a == 0 {
			return nil, 0, errors.New("solver: EstimateScale: all rows are equal")
		}
		return nil, 0, errors.New("solver: EstimateScale: data spread overflows float64")
	}
	var s float64
	for i := range n {
		for k, v := range x[i*d : (i+1)*d] {
			t := (v - mean[k]) / a
			s += t * t
		}
	}
	g = a * math.Sqrt(s/float64(n*d))
	if !(g > 0) || math.IsInf(g*g, 0) {
		return nil, 0, errors.New("solver: EstimateScale: data spread is not representable")
	}
	return mean, g, nil
}

// scaleSubsample returns n0 distinct rows (all rows if n0 = n), centred and
// divided by g, in their original order.
func scaleSubsample(x []float64, n, d, n0 int, mean []float64, g float64, seed uint64) []float64 {
	var idx []int
	if n0 >= n {
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
	} else {
		// Floyd's algorithm: n0 distinct indices in O(n0).
		r := rand.New(rand.NewPCG(seed, 0x5ca1e))
		chosen := make(map[int]struct{}, n0)
		idx = make([]int, 0, n0)
		for j := n - n0; j < n; j++ {
			t := r.IntN(j + 1)
			if _, ok := chosen[t]; ok {
				t = j
			}
			chosen[t] = struct{}{}
			idx = append(idx, t)
		}
		slices.Sort(idx)
	}
	y := make([]float64, len(idx)*d)
	for a, i := range idx {
		for k := range d {
			y[a*d+k] = (x[i*d+k] - mean[k]) / g
		}
	}
	return y
}

// scaleTrial runs the iterations of one trial on the standardised rows y and
// returns its σ² (in standardised units, within [scaleLowerBound, 1]).
func scaleTrial(y []float64, d, m0, iters int, seed uint64) (float64, error) {
	n0 := len(y) / d
	floor := scaleNoiseFactor / math.Sqrt(float64(n0))
	s2 := 1.0
	rad := make([]float64, m0)
	mod := make([]float64, m0)
	for it := range iters {
		f, err := rff.NewFrequencies(rff.Params{
			Law: rff.AdaptedRadius, D: d, M: m0, Sigma: []float64{math.Sqrt(s2)},
			Seed: scaleMix(seed, uint64(it)+1<<32), NoDither: true,
		})
		if err != nil {
			return 0, err
		}
		sk := rff.NewSketch(f)
		if err := sk.AddF64(y, nil); err != nil {
			return 0, err
		}
		re, im := sk.Z()
		for j := range m0 {
			var r2 float64
			for _, w := range f.Omega(j) {
				r2 += w * w
			}
			rad[j] = math.Sqrt(r2)
			mod[j] = math.Hypot(re[j], im[j])
		}
		s2 = scaleClamp(scaleFit(rad, mod, floor, s2, d))
	}
	return s2, nil
}

// scaleTrialMixture returns the per-dimension cluster variance of a
// K-component isotropic Gaussian mixture fitted to the standardised rows y
// (k-means, then EM).
func scaleTrialMixture(y []float64, d, K int, seed uint64) (float64, error) {
	n0 := len(y) / d
	if K >= n0 {
		return 0, fmt.Errorf("K=%d clusters need more than the %d subsampled rows", K, n0)
	}
	res, err := Lloyd(y, d, K, LloydOptions{Restarts: 3, Seed: seed, Workers: 1})
	if err != nil {
		return 0, err
	}
	s2 := res.SSE / float64(n0*d)
	if s2 > 0 {
		s2 = scaleEM(y, d, res.Centroids, s2, 200)
	}
	return scaleClamp(s2), nil
}

func scaleClamp(s2 float64) float64 { return min(max(s2, scaleLowerBound), 1) }

// scaleFit fits exp(−σ²‖ω‖²/2) to the upper envelope of |z| and returns σ².
// cur is the scale the frequencies were drawn at: when the envelope cannot
// be fitted it is moved in the direction that makes the decay visible.
func scaleFit(rad, mod []float64, floor, cur float64, d int) float64 {
	m := len(rad)
	order := make([]int, m)
	for j := range order {
		order[j] = j
	}
	sort.Slice(order, func(a, b int) bool { return rad[order[a]] < rad[order[b]] })
	// Peak of each equal-count bin.
	var xs, ys []float64
	aboveFloor := 0
	for b := range scaleBins {
		lo, hi := b*m/scaleBins, (b+1)*m/scaleBins
		best := -1
		for _, j := range order[lo:hi] {
			if best < 0 || mod[j] > mod[best] {
				best = j
			}
		}
		if best < 0 || rad[best] == 0 {
			continue
		}
		if mod[best] > floor {
			aboveFloor++
			xs = append(xs, rad[best]*rad[best]/2)
			ys = append(ys, math.Log(mod[best]))
		}
	}
	if aboveFloor < scaleMinBins {
		// Almost everything is noise: the frequencies are too high.
		return cur * 4
	}
	// Leave out the low radii where the mixture factor has not yet
	// saturated (its decay there would be taken for cluster variance).
	rmin := scaleRMin * max(0, 1-2/float64(d))
	xcut := rmin * rmin / 2 / max(1-cur, 0.05)
	var cx, cy []float64
	for i := range xs {
		if xs[i] >= xcut {
			cx = append(cx, xs[i])
			cy = append(cy, ys[i])
		}
	}
	if len(cx) >= 2*scaleMinBins {
		xs, ys = cx, cy
	}
	slope, icpt, ok := scaleLine(xs, ys)
	if !ok {
		return cur
	}
	// Refit on the upper envelope: drop the peaks clearly below the line
	// (bins whose directions all hit destructive interference).
	for range 3 {
		var ux, uy []float64
		for i := range xs {
			if ys[i] >= icpt+slope*xs[i]-0.25 {
				ux = append(ux, xs[i])
				uy = append(uy, ys[i])
			}
		}
		if len(ux) < scaleMinBins || len(ux) == len(xs) {
			break
		}
		s, c, ok := scaleLine(ux, uy)
		if !ok {
			break
		}
		xs, ys, slope, icpt = ux, uy, s, c
	}
	if icpt > 0 {
		// |z(0)| = 1 and the mixture factor is at most 1: the envelope
		// cannot lie above 1, so fit through the origin.
		var sxy, sxx float64
		for i := range xs {
			sxy += xs[i] * ys[i]
			sxx += xs[i] * xs[i]
		}
		slope = sxy / sxx
	}
	// Decay over the fitted range of ‖ω‖²/2 (in units of 1/cur).
	xmax := slices.Max(xs)
	if -slope*xmax < 0.1 {
		// Flat envelope: the frequencies are too low to see the decay.
		return cur / 4
	}
	return -slope
}

// scaleLine is the least-squares line y = icpt + slope·x.
func scaleLine(xs, ys []float64) (slope, icpt float64, ok bool) {
	if len(xs) < 2 {
		return 0, 0, false
	}
	var sw, mx, my float64
	for i := range xs {
		w := 1.0
		sw += w
		mx += w * xs[i]
		my += w * ys[i]
	}
	if !(sw > 0) {
		return 0, 0, false
	}
	mx /= sw
	my /= sw
	var sxx, sxy float64
	for i := range xs {
		w := 1.0
		dx := xs[i] - mx
		sxx += w * dx * dx
		sxy += w * dx * (ys[i] - my)
	}
	if !(sxx > 0) {
		return 0, 0, false
	}
	slope = sxy / sxx
	return slope, my - slope*mx, true
}

func scaleMedian(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	h := len(s) / 2
	if len(s)%2 == 1 {
		return s[h]
	}
	return (s[h-1] + s[h]) / 2
}

// scaleMix derives independent seeds (splitmix64 finaliser).
func scaleMix(seed, k uint64) uint64 {
	z := seed + 0x9e3779b97f4a7c15*(k+1)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
