package meta

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/solver/dp"
)

// Privacy describes a differentially private release of a learned sketch.
//
// One row changes the sum S = Σ_i f(x_i) by f(x) (add/remove: unbounded DP)
// or by f(x) − f(x′) (replace-one: bounded DP). The Sketch-Network's bound
// caps that: with the l2 bound ‖f(x)‖₂ ≤ C, so Δ₂ = C and Δ₁ ≤ C·√m; with
// tanh, |f_j| < 1, so Δ₂ = √m and Δ₁ = m; replace-one doubles both. The
// count changes by 1 under add/remove and not at all under replace-one
// (n is public there). Gaussian noise (the analytic calibration of Balle
// and Wang) gives (ε, δ)-DP with Δ₂, Laplace noise pure ε-DP with Δ₁; the
// budget is split between the sum and the count as in package solver/dp.
type Privacy struct {
	Mechanism     dp.Mechanism     // dp.Laplace (the zero value) or dp.Gaussian
	Neighbourhood dp.Neighbourhood // dp.AddRemove or dp.ReplaceOne
	Epsilon       float64
	Delta         float64 // Gaussian only
	CountFraction float64 // share of the budget for the count (add/remove; default 0.1)
	Seed          uint64  // 0: noise from crypto/rand; fixed seeds are for tests
}

// Privatize returns a noisy copy of the sketch, with Sigma set to the
// standard deviation of the noise on each entry of its normalised value
// (which the Query-Network takes as input, as it saw in training with
// TrainOptions.Noise), and the released row count.
func (s *Sketch) Privatize(p Privacy) (*Sketch, error) {
	if s.Sigma != 0 {
		return nil, errors.New("meta: the sketch is privatized already")
	}
	if !(p.Epsilon > 0) || math.IsInf(p.Epsilon, 0) {
		return nil, fmt.Errorf("meta: ε = %v must be positive and finite", p.Epsilon)
	}
	if p.Mechanism == dp.Gaussian && !(p.Delta > 0 && p.Delta < 1) {
		return nil, fmt.Errorf("meta: δ = %v must be in (0, 1) for the Gaussian mechanism", p.Delta)
	}
	if s.rows < 1 {
		return nil, errors.New("meta: privatizing an empty sketch")
	}
	frac := p.CountFraction
	if frac == 0 {
		frac = dp.DefaultCountFraction
	}
	if p.Neighbourhood == dp.ReplaceOne {
		frac = 0
	}
	if !(frac >= 0 && frac < 1) {
		return nil, fmt.Errorf("meta: count fraction %v must be in [0, 1)", frac)
	}
	l1, l2 := s.net.Sensitivity()
	if p.Neighbourhood == dp.ReplaceOne {
		l1, l2 = 2*l1, 2*l2
	}
	seed := p.Seed
	if seed == 0 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		seed = binary.LittleEndian.Uint64(b[:])
	}
	r := prng.New(seed, 0xd9)
	epsS, epsN := p.Epsilon*(1-frac), p.Epsilon*frac
	out := &Sketch{net: s.net, fp: s.fp, sum: make([]float64, len(s.sum)), rows: s.rows}
	var noiseSD float64
	switch p.Mechanism {
	case dp.Gaussian:
		dS, dN := p.Delta*(1-frac), p.Delta*frac
		sig, err := dp.AnalyticGaussianSigma(epsS, dS, l2)
		if err != nil {
			return nil, err
		}
		for j, v := range s.sum {
			out.sum[j] = v + sig*r.Normal()
		}
		noiseSD = sig
		if frac > 0 {
			sn, err := dp.AnalyticGaussianSigma(epsN, dN, 1)
			if err != nil {
				return nil, err
			}
			out.rows = int64(math.Round(float64(s.rows) + sn*r.Normal()))
		}
	case dp.Laplace:
		b := l1 / epsS
		for j, v := range s.sum {
			out.sum[j] = v + laplace(r, b)
		}
		noiseSD = math.Sqrt2 * b
		if frac > 0 {
			out.rows = int64(math.Round(float64(s.rows) + laplace(r, 1/epsN)))
		}
	default:
		return nil, fmt.Errorf("meta: unknown mechanism %v", p.Mechanism)
	}
	out.rows = max(out.rows, 1)
	out.Sigma = noiseSD / float64(out.rows)
	return out, nil
}

func laplace(r *prng.Stream, b float64) float64 {
	u := r.Uniform() - 0.5
	return -b * math.Copysign(prng.Log(max(1-2*math.Abs(u), 0x1p-53)), u)
}
