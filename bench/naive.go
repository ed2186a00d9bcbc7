package bench

import (
	"math"
	"sync"
)

// Naive adds Σ cos(ω_jᵀx_i + ξ_j), Σ sin(·) for the rows of x (row-major,
// d columns) into c, s: a dot product per row and frequency and one
// math.Sincos call, as a plain Go program would. omega is frequency-major
// (ω_j = omega[j·d:(j+1)·d]). For float32 rows the dot product is float32,
// as in the reference peers. Rows are split over `threads` goroutines.
func Naive[T float32 | float64](x []T, d int, omega []T, xi []float64, c, s []float64, threads int) {
	n, m := len(x)/d, len(xi)
	if threads <= 1 {
		naiveRows(x, d, omega, xi, c, s, 0, n)
		return
	}
	parts := make([][2][]float64, threads)
	var wg sync.WaitGroup
	for p := range parts {
		parts[p] = [2][]float64{make([]float64, m), make([]float64, m)}
		wg.Go(func() { naiveRows(x, d, omega, xi, parts[p][0], parts[p][1], n*p/threads, n*(p+1)/threads) })
	}
	wg.Wait()
	for _, pt := range parts {
		for j := range c {
			c[j] += pt[0][j]
			s[j] += pt[1][j]
		}
	}
}

func naiveRows[T float32 | float64](x []T, d int, omega []T, xi []float64, c, s []float64, lo, hi int) {
	for i := lo; i < hi; i++ {
		row := x[i*d : (i+1)*d]
		for j := range xi {
			om := omega[j*d : (j+1)*d]
			var t T
			for k, v := range row {
				t += v * om[k]
			}
			sn, cs := math.Sincos(float64(t) + xi[j])
			c[j] += cs
			s[j] += sn
		}
	}
}

// NaiveQuant is Naive for the 1-bit sketch: it counts, per frequency, the
// rows with cos(ω_jᵀx_i + ξ_j) > 0 into c and those with sin(·) > 0 into s,
// computing each phase by a dot product and math.Sincos.
func NaiveQuant[T float32 | float64](x []T, d int, omega []T, xi []float64, c, s []int64, threads int) {
	n, m := len(x)/d, len(xi)
	threads = max(1, threads)
	parts := make([][2][]int64, threads)
	var wg sync.WaitGroup
	for p := range parts {
		parts[p] = [2][]int64{make([]int64, m), make([]int64, m)}
		wg.Go(func() { naiveQuantRows(x, d, omega, xi, parts[p][0], parts[p][1], n*p/threads, n*(p+1)/threads) })
	}
	wg.Wait()
	for _, pt := range parts {
		for j := range c {
			c[j] += pt[0][j]
			s[j] += pt[1][j]
		}
	}
}

func naiveQuantRows[T float32 | float64](x []T, d int, omega []T, xi []float64, c, s []int64, lo, hi int) {
	for i := lo; i < hi; i++ {
		row := x[i*d : (i+1)*d]
		for j := range xi {
			om := omega[j*d : (j+1)*d]
			var t T
			for k, v := range row {
				t += v * om[k]
			}
			sn, cs := math.Sincos(float64(t) + xi[j])
			if cs > 0 {
				c[j]++
			}
			if sn > 0 {
				s[j]++
			}
		}
	}
}
