package gen

import (
	"fmt"
	"math"

	"github.com/clkit/clkit/rff"
)

// SketchKernel is the kernel κ(x, y) = E_ω cos(ωᵀ(x − y)) of a frequency
// law: the one whose maximum mean discrepancy the sketch loss estimates
// (with m frequencies, (1/m)‖z_X − z_Y‖² → MMD²_κ(X, Y) as m grows). It
// lets a generator be trained on the exact MMD, the reference the sketch
// is measured against.
//
// With Δ̃ = (x − y) ⊘ σ and a = ‖Δ̃‖: for the Gaussian law κ = exp(−a²/2);
// for the radius laws ω = R·u ⊘ σ (u uniform on the sphere), κ depends on
// a only, κ(a) = E_{u₁} g(a·u₁) with g(c) = E_R cos(Rc) and u₁ a coordinate
// of u. That is tabulated once by quadrature (folded Gaussian:
// g(c) = exp(−c²/2) exactly; adapted radius: g by quadrature too) and
// interpolated by cubic Hermite splines, to about 1e-9. Beyond the table's
// range, up to which the constructor was asked to be exact, κ is continued
// as κ(aMax)·aMax/a, the 1/a decay of the 2-D radius laws.
type SketchKernel struct {
	law      rff.Law
	invSigma []float64 // 1/σ_k, one per dimension
	aMax, h  float64
	val, der []float64 // κ and dκ/da on the grid a = i·h
}

const kernelGrid = 8192

// NewSketchKernel returns the kernel of frequencies drawn with p (its law,
// D and σ; M and the seed do not matter). aMax bounds a = ‖(x−y) ⊘ σ‖ over
// the pairs that will be evaluated exactly (e.g. the data's diameter over
// the smallest σ); beyond it the tail continuation applies.
func NewSketchKernel(p rff.Params, aMax float64) (*SketchKernel, error) {
	d := p.D
	if d < 1 {
		return nil, fmt.Errorf("gen: kernel of dimension %d", d)
	}
	if len(p.Sigma) != 1 && len(p.Sigma) != d {
		return nil, fmt.Errorf("gen: %d scales for d=%d", len(p.Sigma), d)
	}
	k := &SketchKernel{law: p.Law, invSigma: make([]float64, d)}
	for i := range d {
		s := p.Sigma[min(i, len(p.Sigma)-1)]
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("gen: scale σ = %v is not positive and finite", s)
		}
		k.invSigma[i] = 1 / s
	}
	var g func(c float64) (float64, float64)
	switch p.Law {
	case rff.Gaussian:
		return k, nil
	case rff.FoldedGaussian:
		g = func(c float64) (float64, float64) { e := math.Exp(-c * c / 2); return e, -c * e }
	case rff.AdaptedRadius:
		g = adaptedG(aMax)
	default:
		return nil, fmt.Errorf("gen: no kernel for frequency law %v", p.Law)
	}
	if !(aMax > 0) || aMax > 1e4 {
		return nil, fmt.Errorf("gen: kernel range aMax = %v must be in (0, 1e4]", aMax)
	}
	k.aMax, k.h = aMax, aMax/kernelGrid
	k.val, k.der = make([]float64, kernelGrid+1), make([]float64, kernelGrid+1)
	for i := range k.val {
		k.val[i], k.der[i] = radialKernel(g, d, float64(i)*k.h)
	}
	return k, nil
}

// radialKernel is κ(a) = E g(a·u₁) and its derivative E g′(a·u₁)·u₁, u₁ =
// cos θ with θ ∝ sin^(d−2) θ on [0, π]: a periodic smooth integrand, for
// which the midpoint rule converges fast; its width near θ = π/2 is about
// 1/a, so the node count grows with a.
func radialKernel(g func(c float64) (float64, float64), d int, a float64) (float64, float64) {
	if d == 1 {
		v, dv := g(a)
		return v, dv
	}
	nt := max(64, int(16*a))
	var s, ds, z float64
	for i := range nt {
		th := (float64(i) + 0.5) * math.Pi / float64(nt)
		u := math.Cos(th)
		w := math.Pow(math.Sin(th), float64(d-2))
		v, dv := g(a * u)
		s += w * v
		ds += w * dv * u
		z += w
	}
	return s / z, ds / z
}

// adaptedG tabulates g(c) = E_R cos(Rc) and g′(c) for the adapted-radius
// density p(R) ∝ √(R² + R⁴/4)·exp(−R²/2) on c ∈ [0, cMax], and returns a
// cubic Hermite interpolant (even in c).
func adaptedG(cMax float64) func(c float64) (float64, float64) {
	const rMax = 12 // p(12) ≈ 1e-30
	nr := max(2000, int(40*cMax*rMax/(2*math.Pi)))
	dr := rMax / float64(nr)
	pr := make([]float64, nr+1)
	var z float64
	for i := range pr {
		r := float64(i) * dr
		pr[i] = math.Sqrt(r*r+r*r*r*r/4) * math.Exp(-r*r/2)
		w := 1.0
		if i == 0 || i == nr {
			w = 0.5
		}
		pr[i] *= w
		z += pr[i]
	}
	h := cMax / kernelGrid
	val, der := make([]float64, kernelGrid+1), make([]float64, kernelGrid+1)
	for j := range val {
		c := float64(j) * h
		var s, ds float64
		for i, p := range pr {
			r := float64(i) * dr
			sn, cs := math.Sincos(r * c)
			s += p * cs
			ds -= p * r * sn
		}
		val[j], der[j] = s/z, ds/z
	}
	// g″ for the Hermite slopes of g′: differentiate g′'s table.
	der2 := make([]float64, len(der))
	for j := range der {
		lo, hi := max(0, j-1), min(len(der)-1, j+1)
		der2[j] = (der[hi] - der[lo]) / (float64(hi-lo) * h)
	}
	return func(c float64) (float64, float64) {
		sign := 1.0
		if c < 0 {
			c, sign = -c, -1
		}
		if c >= cMax {
			return val[kernelGrid], 0
		}
		v, _ := hermite(val, der, h, c)
		dv, _ := hermite(der, der2, h, c)
		return v, sign * dv
	}
}

// hermite interpolates a function given by its values f and slopes df on
// the grid i·h, at x in [0, len·h), and returns the value and the slope.
func hermite(f, df []float64, h, x float64) (float64, float64) {
	i := int(x / h)
	if i >= len(f)-1 {
		i = len(f) - 2
	}
	t := x/h - float64(i)
	t2, t3 := t*t, t*t*t
	h00, h10, h01, h11 := 2*t3-3*t2+1, t3-2*t2+t, -2*t3+3*t2, t3-t2
	v := h00*f[i] + h10*h*df[i] + h01*f[i+1] + h11*h*df[i+1]
	d00, d10, d01, d11 := 6*t2-6*t, 3*t2-4*t+1, -6*t2+6*t, 3*t2-2*t
	dv := (d00*f[i]+d01*f[i+1])/h + d10*df[i] + d11*df[i+1]
	return v, dv
}

// D is the kernel's dimension.
func (k *SketchKernel) D() int { return len(k.invSigma) }

// Eval returns κ(x, y) for Δ = x − y and writes ∂κ/∂Δ into grad (if not
// nil; length D).
func (k *SketchKernel) Eval(delta, grad []float64) float64 {
	var a2 float64
	for i, v := range delta {
		t := v * k.invSigma[i]
		a2 += t * t
	}
	// dκ/dΔ_i = κ′(a)·Δ_i/(σ_i²·a): the radial derivative over a.
	var v, dOverA float64
	if k.val == nil {
		v = math.Exp(-a2 / 2)
		dOverA = -v
	} else {
		a := math.Sqrt(a2)
		var da float64
		if a < k.aMax {
			v, da = hermite(k.val, k.der, k.h, a)
		} else {
			v = k.val[kernelGrid] * k.aMax / a
			da = -v / a
		}
		if a > 0 {
			dOverA = da / a
		} else {
			dOverA = k.der2At0()
		}
	}
	if grad != nil {
		for i, dl := range delta {
			grad[i] = dOverA * dl * k.invSigma[i] * k.invSigma[i]
		}
	}
	return v
}

// der2At0 is lim κ′(a)/a at a = 0, i.e. κ″(0), from the first grid step.
func (k *SketchKernel) der2At0() float64 { return k.der[1] / k.h }
