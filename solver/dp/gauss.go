package dp

import (
	"errors"
	"fmt"
	"math"
)

// normCDF is the standard normal CDF, accurate in the lower tail.
func normCDF(t float64) float64 { return 0.5 * math.Erfc(-t/math.Sqrt2) }

// gaussianDelta is the smallest δ for which N(0, σ²) noise on a query of L2
// sensitivity Δ is (ε, δ)-DP (Balle & Wang 2018, Theorem 8):
//
//	δ(σ) = Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ).
//
// The second term is computed as exp(ε + log Φ(·)) so that a large ε does
// not overflow. δ(σ) decreases in σ from 1 (σ → 0) to 0 (σ → ∞).
func gaussianDelta(eps, sens, sigma float64) float64 {
	a := sens / (2 * sigma)
	b := eps * sigma / sens
	p := normCDF(a - b)
	q := normCDF(-a - b)
	if q == 0 {
		return p
	}
	return p - math.Exp(eps+math.Log(q))
}

// AnalyticGaussianSigma returns the smallest σ (to a relative 1e-12, rounded
// up) such that adding N(0, σ²) to each coordinate of a query with L2
// sensitivity sens is (eps, delta)-DP: the analytic Gaussian mechanism of
// Balle & Wang (2018), found by bisection on the exact privacy condition.
// It needs eps > 0, 0 < delta < 1 and sens > 0, all finite.
func AnalyticGaussianSigma(eps, delta, sens float64) (float64, error) {
	if !(eps > 0) || math.IsInf(eps, 0) {
		return 0, fmt.Errorf("dp: epsilon %v must be positive and finite", eps)
	}
	if !(delta > 0 && delta < 1) {
		return 0, fmt.Errorf("dp: delta %v must be in (0, 1) for the Gaussian mechanism", delta)
	}
	if !(sens > 0) || math.IsInf(sens, 0) {
		return 0, fmt.Errorf("dp: sensitivity %v must be positive and finite", sens)
	}
	ok := func(s float64) bool { return gaussianDelta(eps, sens, s) <= delta }
	// Bracket: lo fails, hi satisfies.
	hi := sens
	for i := 0; !ok(hi); i++ {
		if i > 2000 || math.IsInf(hi, 0) {
			return 0, errors.New("dp: no finite sigma found (epsilon or delta too small)")
		}
		hi *= 2
	}
	lo := hi / 2
	for i := 0; ok(lo); i++ {
		if i > 2000 || lo == 0 {
			return 0, errors.New("dp: sigma bracket failed")
		}
		hi, lo = lo, lo/2
	}
	for hi-lo > 1e-13*hi {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// ClassicGaussianSigma is the textbook σ = √(2 ln(1.25/δ))·Δ/ε (Dwork & Roth,
// Theorem A.1), valid only for ε < 1; for comparison.
func ClassicGaussianSigma(eps, delta, sens float64) float64 {
	return math.Sqrt(2*math.Log(1.25/delta)) * sens / eps
}
