package gen

import (
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
)

// The 2-D data sets of the CL-GN experiments, as the authors' notebook
// generates them (its frozen copy of pycle), n rows, row-major. They are
// not yet scaled; ScaleToUnitBall does what the notebook does next.

// Spiral: t ~ U(0, 1), radius 0.3 + 1.2t + 0.01·N(0, 1), angle 2πt.
func Spiral(n int, seed uint64) []float64 {
	r := prng.New(seed, 1)
	x := make([]float64, 2*n)
	for i := range n {
		t := r.Uniform()
		rad := 0.3 + 1.2*t + 0.01*r.Normal()
		s, c := math.Sincos(2 * math.Pi * t)
		x[2*i], x[2*i+1] = rad*c, rad*s
	}
	return x
}

// Circle: one circle of radius R = 1 + 3·N(0, 1) (drawn once; the
// notebook's law, |R| so the radius is positive), radii R + 0.08·N(0, 1),
// angles uniform.
func Circle(n int, seed uint64) []float64 {
	r := prng.New(seed, 2)
	R := math.Abs(1 + 3*r.Normal())
	x := make([]float64, 2*n)
	for i := range n {
		rad := R + 0.08*r.Normal()
		s, c := math.Sincos(2 * math.Pi * r.Uniform())
		x[2*i], x[2*i+1] = rad*c, rad*s
	}
	return x
}

// Mixture: K Gaussians in 2-D with unbalanced weights ∝ 1 + 3·U(0, 1),
// means (10/√2)·N(0, I) and covariances 0.1·(1 + 8·U)·diag(1 + 3·U, 1 + 3·U)
// (the notebook uses K = 5, the paper's text 6).
func Mixture(n, K int, seed uint64) ([]float64, error) {
	if K < 1 {
		return nil, fmt.Errorf("gen: mixture of %d components", K)
	}
	const d = 2
	r := prng.New(seed, 3)
	w := make([]float64, K)
	var sum float64
	for k := range w {
		w[k] = 1 + 3*r.Uniform()
		sum += w[k]
	}
	mu, sd := make([]float64, K*d), make([]float64, K*d)
	for k := range K {
		scale := 0.1 * (1 + 8*r.Uniform())
		for a := range d {
			mu[k*d+a] = 10 / math.Sqrt(d) * r.Normal()
			sd[k*d+a] = math.Sqrt(scale * (1 + 3*r.Uniform()))
		}
	}
	x := make([]float64, d*n)
	for i := range n {
		u, k := r.Uniform()*sum, 0
		for k < K-1 && u >= w[k] {
			u -= w[k]
			k++
		}
		for a := range d {
			x[i*d+a] = mu[k*d+a] + sd[k*d+a]*r.Normal()
		}
	}
	return x, nil
}

// ScaleToUnitBall divides the rows of x (n×d) in place by max_i ‖x_i‖ +
// 1e-6, as the notebook does, and returns that divisor. Data that is to be
// compared with these rows (test samples, a generator's output) must be
// divided by the same number, not by its own maximum.
func ScaleToUnitBall(x []float64, d int) float64 {
	var m float64
	for i := 0; i+d <= len(x); i += d {
		var s float64
		for _, v := range x[i : i+d] {
			s += v * v
		}
		m = max(m, s)
	}
	div := math.Sqrt(m) + 1e-6
	for i := range x {
		x[i] /= div
	}
	return div
}
