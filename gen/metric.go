package gen

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Quality metrics between samples, independent of any sketch's
// frequencies, so that a generator is not judged by the objective it was
// trained on. x and y are row-major (n×d, m×d).

// EnergyDistance returns 2·E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖ (Székely's energy
// distance: zero iff the laws agree, no kernel or bandwidth to choose),
// estimated with U-statistics for the within-sample terms. Cost O((n+m)²·d).
func EnergyDistance(x, y []float64, d int) (float64, error) {
	if err := checkSamples(x, y, d); err != nil {
		return 0, err
	}
	dist := func(d2 float64) float64 { return math.Sqrt(d2) }
	return 2*pairMean(x, y, d, false, dist) - pairMean(x, x, d, true, dist) - pairMean(y, y, d, true, dist), nil
}

// MMD2 returns the unbiased estimate of the squared maximum mean
// discrepancy between the samples for the sum of Gaussian kernels
// exp(−‖u−v‖²/(2h²)) over the bandwidths h: several scales, so that both
// the coarse shape and the fine structure count.
func MMD2(x, y []float64, d int, bandwidths []float64) (float64, error) {
	if err := checkSamples(x, y, d); err != nil {
		return 0, err
	}
	if len(bandwidths) == 0 {
		return 0, fmt.Errorf("gen: MMD2 needs at least one bandwidth")
	}
	inv := make([]float64, len(bandwidths))
	for i, h := range bandwidths {
		if !(h > 0) || math.IsInf(h, 0) {
			return 0, fmt.Errorf("gen: bandwidth %v is not positive and finite", h)
		}
		inv[i] = -1 / (2 * h * h)
	}
	k := func(d2 float64) float64 {
		var s float64
		for _, c := range inv {
			s += math.Exp(c * d2)
		}
		return s
	}
	return pairMean(x, x, d, true, k) + pairMean(y, y, d, true, k) - 2*pairMean(x, y, d, false, k), nil
}

func checkSamples(x, y []float64, d int) error {
	if d < 1 || len(x)%d != 0 || len(y)%d != 0 {
		return fmt.Errorf("gen: samples of %d and %d values are not rows of d=%d", len(x), len(y), d)
	}
	if len(x) < 2*d || len(y) < 2*d {
		return fmt.Errorf("gen: the metrics need at least two rows in each sample (have %d and %d)", len(x)/d, len(y)/d)
	}
	for _, s := range [][]float64{x, y} {
		for i, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("gen: sample value %v (row %d, column %d) is not finite", v, i/d, i%d)
			}
		}
	}
	return nil
}

// pairMean is the mean of f(‖a_i − b_j‖²) over all pairs, or over i ≠ j
// when a and b are the same sample (same). Rows of a are split over the
// cores; partial sums are added in a fixed order.
func pairMean(a, b []float64, d int, same bool, f func(d2 float64) float64) float64 {
	na, nb := len(a)/d, len(b)/d
	p := min(runtime.GOMAXPROCS(0), na)
	part := make([]float64, p)
	var wg sync.WaitGroup
	for w := range p {
		wg.Go(func() {
			var s float64
			for i := w * na / p; i < (w+1)*na/p; i++ {
				ai := a[i*d : (i+1)*d]
				var row float64
				for j := range nb {
					if same && j == i {
						continue
					}
					bj := b[j*d : (j+1)*d]
					var d2 float64
					for k, v := range ai {
						t := v - bj[k]
						d2 += t * t
					}
					row += f(d2)
				}
				s += row
			}
			part[w] = s
		})
	}
	wg.Wait()
	var s float64
	for _, v := range part {
		s += v
	}
	pairs := float64(na) * float64(nb)
	if same {
		pairs = float64(na) * float64(na-1)
	}
	return s / pairs
}
