package dp

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/clkit/clkit/rff"
)

// DefaultCountFraction is the share of the budget spent on the count under
// add/remove when Options.CountFraction is 0.
const DefaultCountFraction = 0.1

// Options configure Privatize.
type Options struct {
	Mechanism     Mechanism
	Neighbourhood Neighbourhood
	// Feature is the feature map whose sums the sketch holds: ComplexExp
	// for rff.Sketch, OneBit for 1-bit sums stored with
	// rff.NewSketchFromSums.
	Feature Feature
	// Epsilon > 0 is the total budget; Delta is the total δ, in (0, 1) for
	// Gaussian and ignored (must be in [0, 1)) for Laplace.
	Epsilon, Delta float64
	// CountFraction in [0, 1) is the share of ε (and δ) spent on the count
	// under add/remove; 0 means DefaultCountFraction. Ignored for
	// replace-one, where n is released exactly.
	CountFraction float64
	// Subsample r > 0 declares that the sketch was made by SketchSubsampled
	// with r frequencies per row (scaled by m/r); 0 means a full sketch.
	Subsample int
	// Seed 0 draws the noise from crypto/rand. Any other value makes the
	// noise reproducible: for tests, never for a real release.
	Seed uint64
}

// Report says what Privatize did.
type Report struct {
	Mechanism     Mechanism
	Neighbourhood Neighbourhood
	Feature       Feature
	// SumSensitivity is Δ₁ (Laplace) or Δ₂ (Gaussian) of the 2m sums;
	// SumScale the Laplace b or Gaussian σ added to each of them.
	SumSensitivity, SumScale float64
	// CountSensitivity (1 or 0) and CountScale (0: the count is exact).
	CountSensitivity, CountScale float64
	// Budget spent per part, and in total (basic composition).
	SumEpsilon, SumDelta     float64
	CountEpsilon, CountDelta float64
	Epsilon, Delta           float64
	// NoisyCount is the released count before clamping; Clamped is true if
	// it was below 1 and replaced by 1.
	NoisyCount float64
	Clamped    bool
}

// Privatize returns a differentially private copy of the unweighted sketch
// s, with noise on its 2m sums and (for add/remove) on its count, and a
// Report. s is not modified. The released sketch's weight is the noisy
// count clamped to ≥ 1, and its Rows() that value rounded.
func Privatize(s *rff.Sketch, o Options) (*rff.Sketch, Report, error) {
	var rep Report
	if s == nil || s.Frequencies() == nil {
		return nil, rep, errors.New("dp: nil sketch")
	}
	n := s.Rows()
	if s.Weight() != float64(n) {
		return nil, rep, fmt.Errorf("dp: sketch is weighted (weight %v, %d rows); DP needs unit weights", s.Weight(), n)
	}
	f := s.Frequencies()
	m := f.M()
	rep, err := plan(o, m)
	if err != nil {
		return nil, rep, err
	}
	r, err := noiseRNG(o.Seed)
	if err != nil {
		return nil, rep, err
	}
	draw := func(scale float64) float64 {
		if o.Mechanism == Laplace {
			e := scale * r.ExpFloat64()
			if r.Uint64()&1 != 0 {
				e = -e
			}
			return e
		}
		return scale * r.NormFloat64()
	}
	re, im := s.Sums()
	for j := range re {
		re[j] += draw(rep.SumScale)
	}
	for j := range im {
		im[j] += draw(rep.SumScale)
	}
	cnt := float64(n)
	if rep.CountScale > 0 {
		cnt += draw(rep.CountScale)
	}
	rep.NoisyCount = cnt
	if !(cnt >= 1) {
		cnt, rep.Clamped = 1, true
	}
	cnt = min(cnt, 1<<62)
	out, err := rff.NewSketchFromSums(f, re, im, cnt, int64(math.Round(cnt)))
	if err != nil {
		return nil, rep, fmt.Errorf("dp: %w", err)
	}
	return out, rep, nil
}

// plan checks o and computes sensitivities, budget split and noise scales.
func plan(o Options, m int) (Report, error) {
	rep := Report{Mechanism: o.Mechanism, Neighbourhood: o.Neighbourhood, Feature: o.Feature}
	switch {
	case o.Mechanism != Laplace && o.Mechanism != Gaussian:
		return rep, fmt.Errorf("dp: unknown mechanism %d", int(o.Mechanism))
	case o.Neighbourhood != AddRemove && o.Neighbourhood != ReplaceOne:
		return rep, fmt.Errorf("dp: unknown neighbourhood %d", int(o.Neighbourhood))
	case o.Feature != ComplexExp && o.Feature != OneBit:
		return rep, fmt.Errorf("dp: unknown feature %d", int(o.Feature))
	case !(o.Epsilon > 0) || math.IsInf(o.Epsilon, 0):
		return rep, fmt.Errorf("dp: epsilon %v must be positive and finite", o.Epsilon)
	case o.Mechanism == Gaussian && !(o.Delta > 0 && o.Delta < 1):
		return rep, fmt.Errorf("dp: delta %v must be in (0, 1) for the Gaussian mechanism", o.Delta)
	case o.Mechanism == Laplace && !(o.Delta >= 0 && o.Delta < 1):
		return rep, fmt.Errorf("dp: delta %v must be in [0, 1)", o.Delta)
	case !(o.CountFraction >= 0 && o.CountFraction < 1):
		return rep, fmt.Errorf("dp: count fraction %v must be in [0, 1)", o.CountFraction)
	case o.Subsample < 0 || o.Subsample > m:
		return rep, fmt.Errorf("dp: subsample r=%d out of [0, m=%d]", o.Subsample, m)
	}
	norm := 1
	if o.Mechanism == Gaussian {
		norm = 2
	}
	if o.Subsample > 0 {
		rep.SumSensitivity = SensitivitySubsampled(o.Feature, o.Neighbourhood, m, o.Subsample, true, norm)
	} else {
		rep.SumSensitivity = Sensitivity(o.Feature, o.Neighbourhood, m, norm)
	}
	rep.CountSensitivity = CountSensitivity(o.Neighbourhood)
	frac := 0.0
	if rep.CountSensitivity > 0 {
		frac = o.CountFraction
		if frac == 0 {
			frac = DefaultCountFraction
		}
	}
	rep.CountEpsilon = frac * o.Epsilon
	rep.SumEpsilon = o.Epsilon - rep.CountEpsilon
	if o.Mechanism == Gaussian {
		rep.CountDelta = frac * o.Delta
		rep.SumDelta = o.Delta - rep.CountDelta
	}
	var err error
	if o.Mechanism == Laplace {
		rep.SumScale = rep.SumSensitivity / rep.SumEpsilon
		if frac > 0 {
			rep.CountScale = rep.CountSensitivity / rep.CountEpsilon
		}
	} else {
		if rep.SumScale, err = AnalyticGaussianSigma(rep.SumEpsilon, rep.SumDelta, rep.SumSensitivity); err != nil {
			return rep, err
		}
		if frac > 0 {
			if rep.CountScale, err = AnalyticGaussianSigma(rep.CountEpsilon, rep.CountDelta, rep.CountSensitivity); err != nil {
				return rep, err
			}
		}
	}
	if math.IsInf(rep.SumScale, 0) || math.IsInf(rep.CountScale, 0) {
		return rep, errors.New("dp: noise scale overflows (epsilon too small)")
	}
	rep.Epsilon = rep.SumEpsilon + rep.CountEpsilon
	rep.Delta = rep.SumDelta + rep.CountDelta
	return rep, nil
}

func noiseRNG(seed uint64) (*rand.Rand, error) {
	var key [32]byte
	if seed == 0 {
		if _, err := crand.Read(key[:]); err != nil {
			return nil, fmt.Errorf("dp: reading random seed: %w", err)
		}
	} else {
		binary.LittleEndian.PutUint64(key[:], seed)
		copy(key[8:], "clkit/solver/dp noise stream")
	}
	return rand.New(rand.NewChaCha8(key)), nil
}
