package dp

import (
	"fmt"
	"math"
)

// Mechanism is the noise distribution.
type Mechanism int

const (
	// Laplace noise, calibrated to the L1 sensitivity: pure ε-DP.
	Laplace Mechanism = iota
	// Gaussian noise, calibrated to the L2 sensitivity with the analytic
	// Gaussian mechanism: (ε, δ)-DP.
	Gaussian
)

func (m Mechanism) String() string {
	switch m {
	case Laplace:
		return "laplace"
	case Gaussian:
		return "gaussian"
	}
	return fmt.Sprintf("Mechanism(%d)", int(m))
}

// Neighbourhood says which data sets are neighbours.
type Neighbourhood int

const (
	// AddRemove: X' is X with one row added or removed (unbounded DP).
	// The count n changes by 1 and must be noised too.
	AddRemove Neighbourhood = iota
	// ReplaceOne: X' is X with one row replaced (bounded DP). n is public.
	ReplaceOne
)

func (nb Neighbourhood) String() string {
	switch nb {
	case AddRemove:
		return "add-remove"
	case ReplaceOne:
		return "replace-one"
	}
	return fmt.Sprintf("Neighbourhood(%d)", int(nb))
}

// Feature is the per-row feature map whose sums the sketch holds.
type Feature int

const (
	// ComplexExp: (cos θ_j, sin θ_j), θ_j = ω_jᵀx + ξ_j (rff.Sketch).
	ComplexExp Feature = iota
	// OneBit: (sign cos θ_j, sign sin θ_j), each of the 2m entries ±1.
	OneBit
)

func (f Feature) String() string {
	switch f {
	case ComplexExp:
		return "complex-exp"
	case OneBit:
		return "one-bit"
	}
	return fmt.Sprintf("Feature(%d)", int(f))
}

// Sensitivity is the L1 (norm = 1) or L2 (norm = 2) sensitivity of the sum
// Σ_i Φ(x_i), as a vector of 2m reals, for feature feat under neighbourhood
// nb (see the package documentation for the derivation). Invalid arguments
// give NaN.
func Sensitivity(feat Feature, nb Neighbourhood, m int, norm int) float64 {
	return SensitivitySubsampled(feat, nb, m, m, false, norm)
}

// SensitivitySubsampled is Sensitivity when each row contributes to only r
// of the m frequencies, multiplied by m/r if scaled (as SketchSubsampled
// does). r = m, unscaled, is the plain sketch. Invalid arguments give NaN.
func SensitivitySubsampled(feat Feature, nb Neighbourhood, m, r int, scaled bool, norm int) float64 {
	if m < 1 || r < 1 || r > m || (norm != 1 && norm != 2) {
		return math.NaN()
	}
	c := 1.0
	if scaled {
		c = float64(m) / float64(r)
	}
	rf := float64(r)
	var row float64 // sup_x ‖c·Φ_S(x)‖_p over a mask S of size r
	switch {
	case feat == ComplexExp && norm == 1:
		row = math.Sqrt2 * rf
	case feat == ComplexExp && norm == 2:
		row = math.Sqrt(rf)
	case feat == OneBit && norm == 1:
		row = 2 * rf
	case feat == OneBit && norm == 2:
		row = math.Sqrt(2 * rf)
	default:
		return math.NaN()
	}
	row *= c
	switch nb {
	case AddRemove:
		return row
	case ReplaceOne:
		return 2 * row
	}
	return math.NaN()
}

// CountSensitivity is the sensitivity of the row count n (any norm): 1 for
// add/remove, 0 for replace-one; NaN for an unknown neighbourhood.
func CountSensitivity(nb Neighbourhood) float64 {
	switch nb {
	case AddRemove:
		return 1
	case ReplaceOne:
		return 0
	}
	return math.NaN()
}
