package ae

import (
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
)

// Law is the distribution of a source's coordinates, i.i.d. with E x_i = 0
// and E x_i² = 1.
type Law int

const (
	// Gaussian: x_i ~ N(0, 1).
	Gaussian Law = iota
	// BernoulliGaussian ("sparse Gaussian"): x_i = b_i·g_i, b_i ~ Bern(p),
	// g_i ~ N(0, 1/p).
	BernoulliGaussian
	// SparseRademacher: x_i ∈ {0, ±1/√p} with P(x_i ≠ 0) = p.
	SparseRademacher
)

func (l Law) String() string {
	switch l {
	case Gaussian:
		return "gauss"
	case BernoulliGaussian:
		return "bg"
	case SparseRademacher:
		return "rademacher"
	}
	return fmt.Sprintf("Law(%d)", int(l))
}

// ParseLaw reads a law's name as String writes it.
func ParseLaw(s string) (Law, error) {
	for _, l := range []Law{Gaussian, BernoulliGaussian, SparseRademacher} {
		if s == l.String() {
			return l, nil
		}
	}
	return 0, fmt.Errorf("ae: unknown law %q (want gauss, bg or rademacher)", s)
}

// Source is a synthetic data law: coordinates i.i.d. with zero mean and
// unit variance, so the MSE per coordinate of the zero decoder is 1.
type Source struct {
	Law Law
	// P is the probability that a coordinate is non-zero, in (0, 1]
	// (ignored for Gaussian).
	P float64
}

func (s Source) String() string {
	if s.Law == Gaussian {
		return "gauss"
	}
	return fmt.Sprintf("%s(p=%g)", s.Law, s.P)
}

func (s Source) validate() error {
	switch s.Law {
	case Gaussian:
		return nil
	case BernoulliGaussian, SparseRademacher:
		if !(s.P > 0 && s.P <= 1) {
			return fmt.Errorf("ae: %s: p = %v, want 0 < p ≤ 1", s.Law, s.P)
		}
		return nil
	}
	return fmt.Errorf("ae: unknown law %d", int(s.Law))
}

// p is the probability of a non-zero coordinate (1 for Gaussian).
func (s Source) p() float64 {
	if s.Law == Gaussian {
		return 1
	}
	return s.P
}

// Sample draws rows×d values, row-major, from stream (seed, 0) of the
// portable generator: the same data on every platform.
func (s Source) Sample(rows, d int, seed uint64) ([]float32, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if rows < 0 || d < 1 {
		return nil, fmt.Errorf("ae: cannot sample %d rows of %d values", rows, d)
	}
	r := prng.New(seed, 0)
	x := make([]float32, rows*d)
	scale := 1 / math.Sqrt(s.p())
	for i := range x {
		switch s.Law {
		case Gaussian:
			x[i] = float32(r.Normal())
		case BernoulliGaussian:
			if r.Uniform() < s.P {
				x[i] = float32(scale * r.Normal())
			}
		case SparseRademacher:
			if r.Uniform() < s.P {
				x[i] = float32(scale)
				if r.Uint64()&1 == 1 {
					x[i] = -x[i]
				}
			}
		}
	}
	return x, nil
}
