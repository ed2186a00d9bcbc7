package nn

import (
	"fmt"
	"math"
)

// Optimizer updates parameters in place from their gradient. Its state
// (moments, velocity) is kept in float64 whatever T is: it costs 8 bytes a
// parameter, which is nothing at these sizes, and small updates to
// float32 weights are not lost in the moments' rounding.
type Optimizer[T Float] interface {
	Step(params, grad []T)
}

// Schedule gives the learning rate for a step, counted from 0.
type Schedule func(step int) float64

// Constant is the schedule lr, lr, lr, …
func Constant(lr float64) Schedule { return func(int) float64 { return lr } }

// WarmupCosine rises linearly from lr/warmup to lr over the first warmup
// steps, then falls along a half cosine to final at step total, and stays
// there.
func WarmupCosine(lr float64, warmup, total int, final float64) Schedule {
	return func(step int) float64 {
		if step < warmup {
			return lr * float64(step+1) / float64(warmup)
		}
		if step >= total || total <= warmup {
			return final
		}
		t := float64(step-warmup) / float64(total-warmup)
		return final + (lr-final)*0.5*(1+math.Cos(math.Pi*t))
	}
}

// Exponential is lr·rate^(step/every), decaying smoothly.
func Exponential(lr, rate float64, every int) Schedule {
	return func(step int) float64 { return lr * math.Pow(rate, float64(step)/float64(every)) }
}

// StepDecay is lr multiplied by factor after every `every` steps.
func StepDecay(lr, factor float64, every int) Schedule {
	return func(step int) float64 { return lr * math.Pow(factor, float64(step/every)) }
}

// Adam is Adam in Keras's formulation: ε is added to √v after the bias
// correction has been folded into the step size,
//
//	m ← β₁m + (1-β₁)g,  v ← β₂v + (1-β₂)g²,
//	θ ← θ - lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m/(√v + ε).
//
// A WeightDecay w > 0 makes it AdamW: θ ← θ - lr·w·θ first, decoupled
// from the gradient.
type Adam[T Float] struct {
	LR                Schedule
	Beta1, Beta2, Eps float64
	WeightDecay       float64
	t                 int
	m, v              []float64
}

// NewAdam is Adam with β₁ 0.9, β₂ 0.999 and ε 1e-7 (Keras's defaults).
func NewAdam[T Float](lr Schedule) *Adam[T] {
	return &Adam[T]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7}
}

// Steps is the number of steps taken.
func (a *Adam[T]) Steps() int { return a.t }

// Step updates params from grad. The first call fixes the length; other
// lengths panic.
func (a *Adam[T]) Step(params, grad []T) {
	if a.m == nil {
		a.m, a.v = make([]float64, len(params)), make([]float64, len(params))
	}
	if len(params) != len(a.m) || len(grad) != len(a.m) {
		panic(fmt.Sprintf("nn: Adam step with %d parameters and %d gradients, want %d", len(params), len(grad), len(a.m)))
	}
	lr := a.LR(a.t)
	a.t++
	b1, b2 := a.Beta1, a.Beta2
	alpha := lr * math.Sqrt(1-math.Pow(b2, float64(a.t))) / (1 - math.Pow(b1, float64(a.t)))
	decay := 1 - lr*a.WeightDecay
	m, v := a.m[:len(params)], a.v[:len(params)]
	for i, p := range params {
		g := float64(grad[i])
		m[i] = b1*m[i] + (1-b1)*g
		v[i] = b2*v[i] + (1-b2)*g*g
		th := float64(p)
		if a.WeightDecay != 0 {
			th *= decay
		}
		params[i] = T(th - alpha*m[i]/(math.Sqrt(v[i])+a.Eps))
	}
}

// SGD is stochastic gradient descent, with heavy-ball momentum μ when
// Momentum > 0 (PyTorch's form: u ← μu + g, θ ← θ - lr·u).
type SGD[T Float] struct {
	LR       Schedule
	Momentum float64
	t        int
	u        []float64
}

// NewSGD is SGD with the given schedule and momentum (0 for none).
func NewSGD[T Float](lr Schedule, momentum float64) *SGD[T] {
	return &SGD[T]{LR: lr, Momentum: momentum}
}

// Steps is the number of steps taken.
func (s *SGD[T]) Steps() int { return s.t }

// Step updates params from grad. The first call fixes the length; other
// lengths panic.
func (s *SGD[T]) Step(params, grad []T) {
	if len(grad) != len(params) || s.u != nil && len(params) != len(s.u) {
		panic(fmt.Sprintf("nn: SGD step with %d parameters and %d gradients", len(params), len(grad)))
	}
	lr := s.LR(s.t)
	s.t++
	if s.Momentum == 0 {
		for i, g := range grad {
			params[i] = T(float64(params[i]) - lr*float64(g))
		}
		return
	}
	if s.u == nil {
		s.u = make([]float64, len(params))
	}
	u := s.u[:len(params)]
	for i, g := range grad {
		u[i] = s.Momentum*u[i] + float64(g)
		params[i] = T(float64(params[i]) - lr*u[i])
	}
}

// ClipGradNorm scales grad in place so that its Euclidean norm is at most
// maxNorm, and returns the norm it had. The flat gradient of a Net makes this
// the global-norm clipping of Keras's global_clipnorm.
func ClipGradNorm[T Float](grad []T, maxNorm float64) float64 {
	var s float64
	for _, g := range grad {
		s += float64(g) * float64(g)
	}
	norm := math.Sqrt(s)
	if norm > maxNorm {
		k := T(maxNorm / norm)
		for i := range grad {
			grad[i] *= k
		}
	}
	return norm
}
