package solver

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// scaleMixture draws n rows of a mixture of k Gaussians in d dimensions with
// means ~ N(0, c²I), c = 1.5·k^{1/d}, identity covariance and equal weights,
// all multiplied by mult (so the cluster variance is mult²).
func scaleMixture(n, d, k int, mult float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0xda7a))
	c := 1.5 * math.Pow(float64(k), 1/float64(d))
	mu := make([]float64, k*d)
	for i := range mu {
		mu[i] = c * r.NormFloat64()
	}
	x := make([]float64, n*d)
	for i := range n {
		j := r.IntN(k)
		for a := range d {
			x[i*d+a] = mult * (mu[j*d+a] + r.NormFloat64())
		}
	}
	return x
}

// TestScaleAccuracy: over 100 seeds for each (K, d), the estimate is within
// [0.8, 1.25]× the true cluster variance in at least 99 of them. The data
// are multiplied by a seed-dependent factor, so the true variance varies.
func TestScaleAccuracy(t *testing.T) {
	seeds := 100
	if testing.Short() {
		seeds = 20
	}
	type setting struct{ k, d int }
	var settings []setting
	for _, k := range []int{2, 5, 10} {
		for _, d := range []int{2, 5, 10} {
			settings = append(settings, setting{k, d})
		}
	}
	start := time.Now()
	fails := make([][]string, len(settings))
	ratios := make([][]float64, len(settings))
	var mu sync.Mutex
	var wg sync.WaitGroup
	jobs := make(chan [2]int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				st, seed := settings[j[0]], uint64(j[1])
				// Cluster variance s² between 1e-3 and 1e3.
				s2 := math.Pow(10, -3+6*float64(seed%7)/6)
				x := scaleMixture(5000, st.d, st.k, math.Sqrt(s2), 1000*seed+uint64(j[0]))
				res, err := EstimateScale(x, st.d, ScaleOptions{Seed: seed})
				mu.Lock()
				if err != nil {
					fails[j[0]] = append(fails[j[0]], fmt.Sprintf("seed %d: %v", seed, err))
				} else {
					r := res.Sigma2 / s2
					ratios[j[0]] = append(ratios[j[0]], r)
					if r < 0.8 || r > 1.25 {
						fails[j[0]] = append(fails[j[0]], fmt.Sprintf("seed %d: ratio %.3f (trials %.3g)", seed, r, res.Trials))
					}
				}
				mu.Unlock()
			}
		})
	}
	for i := range settings {
		for s := range seeds {
			jobs <- [2]int{i, s}
		}
	}
	close(jobs)
	wg.Wait()
	for i, st := range settings {
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, r := range ratios[i] {
			lo, hi, sum = min(lo, r), max(hi, r), sum+r
		}
		t.Logf("K=%2d d=%2d: %d/%d within [0.8, 1.25]; ratio mean %.3f, range [%.3f, %.3f]",
			st.k, st.d, seeds-len(fails[i]), seeds, sum/float64(len(ratios[i])), lo, hi)
		for _, f := range fails[i] {
			t.Logf("  K=%d d=%d %s", st.k, st.d, f)
		}
		if allowed := seeds / 100; len(fails[i]) > allowed {
			t.Errorf("K=%d d=%d: %d of %d seeds outside [0.8, 1.25] (allowed %d)", st.k, st.d, len(fails[i]), seeds, allowed)
		}
	}
	t.Logf("%d estimates in %v", seeds*len(settings), time.Since(start))
}

func TestScaleRMinSweep(t *testing.T) {
	for _, r := range []float64{0.8, 1.1, 1.4} {
		scaleRMin = r
		t.Logf("rmin %v", r)
		TestScaleAccuracy(t)
	}
}
