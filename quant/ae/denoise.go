package ae

import (
	"fmt"
	"math"
)

// Channel is the scalar Gaussian channel y = μ·x + σ·z (z ~ N(0, 1)) that
// a coordinate of the linear estimate A c behaves like in high dimension
// (notes §5).
type Channel struct {
	Mu, Sigma2 float64
}

// RotationChannel is the channel of a random rotation encoder (N ≤ D
// orthonormal rows) with the decoder A = √(2/π)Bᵀ at rate r ≤ 1, for any
// law of unit variance (notes §5): μ = 2r/π and
// σ² = (2/π)²·r(1 − r) + (2/π)(1 − 2/π)·r.
func RotationChannel(r float64) Channel {
	const g = 2 / math.Pi
	return Channel{Mu: g * r, Sigma2: g*g*r*(1-r) + g*(1-g)*r}
}

// BayesBG is the posterior-mean denoiser of a Bernoulli-Gaussian
// coordinate (x = b·g, b ~ Bern(p), g ~ N(0, 1/p)) seen through the
// channel y = μx + σz (notes §5): with v₁ = μ²/p + σ²,
//
//	f(y) = π₁(y)·(μ/p)/v₁·y,   π₁(y) = p N(y; 0, v₁) / (p N(y; 0, v₁) + (1 − p) N(y; 0, σ²)),
//
// the best coordinate-wise function of y. Its MSE is MMSE.
type BayesBG struct {
	P float64
	Channel
}

// validate accepts any finite gain μ: F holds for μ ≤ 0 too (it sees μ
// through μ² and the sign of μ·y), and a coordinate that an encoder at
// r < 1 leaves out has μ ≈ 0 (F ≈ 0, the prior mean), or a little below
// when measured.
func (f BayesBG) validate() error {
	if !(f.P > 0 && f.P <= 1) || math.IsNaN(f.Mu) || math.IsInf(f.Mu, 0) || !(f.Sigma2 > 0) || math.IsInf(f.Sigma2, 0) {
		return fmt.Errorf("ae: Bayes denoiser needs 0 < p ≤ 1, a finite μ and σ² > 0, not %+v", f)
	}
	return nil
}

// F is f(y).
func (f BayesBG) F(y float64) float64 {
	p, mu, s2 := f.P, f.Mu, f.Sigma2
	v1 := mu*mu/p + s2
	gain := mu / p / v1 * y
	if p == 1 {
		return gain
	}
	// π₁ = 1 / (1 + ((1−p)/p)·√(v₁/σ²)·exp(−y²/2·(1/σ² − 1/v₁))), no overflow
	e := math.Exp(-0.5 * y * y * (1/s2 - 1/v1))
	return gain / (1 + (1-p)/p*math.Sqrt(v1/s2)*e)
}

// applyBayes applies fs to rows of D values, in place: fs[0] to every
// value, or with D denoisers fs[i] to coordinate i.
func applyBayes(fs []BayesBG, y []float32) {
	d := len(fs)
	for i, v := range y {
		y[i] = float32(fs[i%d].F(float64(v)))
	}
}

// MMSE is the denoiser's mean squared error on the channel,
// E x² − E f(y)² = 1 − E f(y)² (f is the posterior mean), by Simpson's
// rule over ±12 standard deviations of y.
func (f BayesBG) MMSE() float64 {
	p, mu, s2 := f.P, f.Mu, f.Sigma2
	v1 := mu*mu/p + s2
	lim := 12 * math.Sqrt(max(v1, s2))
	const steps = 20000
	h := 2 * lim / steps
	dens := func(y float64) float64 {
		return p*normPDF(y, v1) + (1-p)*normPDF(y, s2)
	}
	var s float64
	for i := 0; i <= steps; i++ {
		y := -lim + float64(i)*h
		w := 2.0
		switch {
		case i == 0 || i == steps:
			w = 1
		case i%2 == 1:
			w = 4
		}
		fy := f.F(y)
		s += w * fy * fy * dens(y)
	}
	return 1 - s*h/3
}

func normPDF(y, v float64) float64 {
	return math.Exp(-0.5*y*y/v) / math.Sqrt(2*math.Pi*v)
}

// EstimateChannel measures the scalar channel of m's linear estimate
// y = A c + β on the rows of x, averaged over coordinates (unit-variance
// coordinates assumed, as for the sources here): μ = mean of x_i·y_i,
// σ² = mean of y_i² − μ². The channel of a random rotation; other
// encoders (gradient descent's at r < 1) need EstimateChannels.
func EstimateChannel(m *Model, x []float32) (Channel, error) {
	ch, err := EstimateChannels(m, x)
	if err != nil {
		return Channel{}, err
	}
	return meanChannel(ch), nil
}

// EstimateChannels measures the channel of each coordinate of m's linear
// estimate on the rows of x. They differ when the encoder does not spread
// every coordinate evenly over the code: gradient descent at r < 1 ends at
// some rank-N projection, whose diagonal is far from uniform (at D = 128,
// r = 0.5 the gains μ_i range from 0.02 to 0.6), and a denoiser built for
// the average channel then does little (notes §5 assume a rotation).
func EstimateChannels(m *Model, x []float32) ([]Channel, error) {
	lin := m.clone()
	lin.bayes, lin.f, lin.blocks = nil, nil, nil
	c, err := lin.Encode(x)
	if err != nil {
		return nil, err
	}
	y, err := lin.Decode(c)
	if err != nil {
		return nil, err
	}
	d, rows := m.d, len(x)/m.d
	xy, yy := make([]float64, d), make([]float64, d)
	for i, v := range x {
		xy[i%d] += float64(v) * float64(y[i])
		yy[i%d] += float64(y[i]) * float64(y[i])
	}
	ch := make([]Channel, d)
	for i := range ch {
		ch[i] = newChannel(xy[i]/float64(rows), yy[i]/float64(rows))
	}
	return ch, nil
}

// newChannel is the channel with E[x y] = mu and E y² = ey2 (E x² = 1).
func newChannel(mu, ey2 float64) Channel { return Channel{Mu: mu, Sigma2: max(ey2-mu*mu, 0)} }

// meanChannel is the channel of the coordinates pooled.
func meanChannel(ch []Channel) Channel {
	var mu, ey2 float64
	for _, c := range ch {
		mu += c.Mu
		ey2 += c.Sigma2 + c.Mu*c.Mu
	}
	k := float64(max(len(ch), 1))
	return newChannel(mu/k, ey2/k)
}
