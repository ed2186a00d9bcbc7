package nn

import (
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
)

// lnEps is LayerNorm's ε, PyTorch's and Keras's default.
const lnEps = 1e-5

type layerNorm[T Float] struct{ dim int }

// LayerNorm normalises each row to zero mean and unit (biased) variance,
// then applies a gain and a bias, initially 1 and 0. Its parameters are
// saved as "weight" and "bias", like PyTorch's nn.LayerNorm.
func LayerNorm[T Float](dim int) Layer[T] { return layerNorm[T]{dim} }

func (l layerNorm[T]) In() int        { return l.dim }
func (l layerNorm[T]) Out() int       { return l.dim }
func (l layerNorm[T]) NumParams() int { return 2 * l.dim }

// The scratch keeps each row's mean and 1/σ for Backward.
func (l layerNorm[T]) ScratchLen(batch int) int { return 2 * batch }
func (l layerNorm[T]) Spec() LayerSpec          { return LayerSpec{Type: "layernorm", In: l.dim, Out: l.dim} }
func (l layerNorm[T]) String() string           { return fmt.Sprintf("LayerNorm(%d)", l.dim) }
func (l layerNorm[T]) ParamTensors() []ParamTensor {
	return []ParamTensor{{"weight", []int{l.dim}}, {"bias", []int{l.dim}}}
}

func (l layerNorm[T]) Init(p []T, _ *prng.Stream) {
	checkLen("layernorm", "p", p, 2*l.dim)
	for i := range l.dim {
		p[i], p[l.dim+i] = 1, 0
	}
}

// Row statistics are accumulated in float64 whatever T is.
func (l layerNorm[T]) Forward(p, in, out, scratch []T, batch int) {
	d := l.dim
	checkLen("layernorm", "p", p, 2*d)
	checkLen("layernorm", "in", in, batch*d)
	checkLen("layernorm", "out", out, batch*d)
	checkLen("layernorm", "scratch", scratch, 2*batch)
	g, b := p[:d], p[d:2*d]
	for r := range batch {
		x, y := in[r*d:(r+1)*d], out[r*d:(r+1)*d]
		var s float64
		for _, v := range x {
			s += float64(v)
		}
		mean := s / float64(d)
		var ss float64
		for _, v := range x {
			c := float64(v) - mean
			ss += c * c
		}
		rstd := 1 / math.Sqrt(ss/float64(d)+lnEps)
		scratch[2*r], scratch[2*r+1] = T(mean), T(rstd)
		m, rs := T(mean), T(rstd)
		for i, v := range x {
			y[i] = (v-m)*rs*g[i] + b[i]
		}
	}
}

// With x̂ = (x-μ)/σ and h = g⊙dy: dx = (h - mean(h) - x̂·mean(h⊙x̂))/σ.
func (l layerNorm[T]) Backward(p, in, _, dOut, dp, dIn, scratch []T, batch int) {
	d := l.dim
	checkLen("layernorm", "dOut", dOut, batch*d)
	checkLen("layernorm", "dp", dp, 2*d)
	checkLen("layernorm", "scratch", scratch, 2*batch)
	if dIn != nil {
		checkLen("layernorm", "dIn", dIn, batch*d)
	}
	g := p[:d]
	dg, db := dp[:d], dp[d:2*d]
	for r := range batch {
		x, dy := in[r*d:(r+1)*d], dOut[r*d:(r+1)*d]
		m, rs := scratch[2*r], scratch[2*r+1]
		var sh, shx float64
		for i, v := range x {
			xh := (v - m) * rs
			dg[i] += dy[i] * xh
			db[i] += dy[i]
			h := float64(dy[i] * g[i])
			sh += h
			shx += h * float64(xh)
		}
		if dIn == nil {
			continue
		}
		mh, mhx := T(sh/float64(d)), T(shx/float64(d))
		dx := dIn[r*d : (r+1)*d]
		for i, v := range x {
			xh := (v - m) * rs
			dx[i] = (dy[i]*g[i] - mh - xh*mhx) * rs
		}
	}
}

type l2Clip[T Float] struct {
	c     float64
	width int
}

// L2Clip scales each row by min(1, C/‖row‖), so every output row has norm
// at most C: the bounded output whose sensitivity differential privacy
// needs. Its width is that of the layer before it.
func L2Clip[T Float](c float64) Layer[T] { return l2Clip[T]{c: c} }

func (l l2Clip[T]) bind(width int) Layer[T] {
	if l.width == 0 {
		l.width = width
	}
	return l
}

func (l l2Clip[T]) check() error {
	if !(l.c > 0) || math.IsInf(l.c, 0) {
		return fmt.Errorf("l2clip bound %g, want a positive finite number", l.c)
	}
	return nil
}

func (l l2Clip[T]) In() int                     { return l.width }
func (l l2Clip[T]) Out() int                    { return l.width }
func (l l2Clip[T]) NumParams() int              { return 0 }
func (l l2Clip[T]) ScratchLen(int) int          { return 0 }
func (l l2Clip[T]) Init([]T, *prng.Stream)      {}
func (l l2Clip[T]) ParamTensors() []ParamTensor { return nil }
func (l l2Clip[T]) String() string              { return fmt.Sprintf("L2Clip(%g)", l.c) }
func (l l2Clip[T]) Spec() LayerSpec {
	return LayerSpec{Type: "l2clip", In: l.width, Out: l.width, Clip: l.c}
}

// rowNorm is computed in float64, so the bound holds for float32 rows too
// up to one rounding of the scale.
func rowNorm[T Float](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func (l l2Clip[T]) Forward(_, in, out, _ []T, batch int) {
	d := l.width
	checkLen("l2clip", "in", in, batch*d)
	checkLen("l2clip", "out", out, batch*d)
	for r := range batch {
		x, y := in[r*d:(r+1)*d], out[r*d:(r+1)*d]
		n := rowNorm(x)
		if n <= l.c {
			copy(y, x)
			continue
		}
		s := T(l.c / n)
		for i, v := range x {
			y[i] = v * s
		}
	}
}

// Outside the ball, y = Cx/‖x‖ has Jacobian (C/‖x‖)(I - x̂x̂ᵀ), so
// dx = (C/‖x‖)(dy - x̂(x̂·dy)). On the sphere itself the identity branch is
// taken, as in Forward.
func (l l2Clip[T]) Backward(_, in, _, dOut, _, dIn, _ []T, batch int) {
	if dIn == nil {
		return
	}
	d := l.width
	checkLen("l2clip", "dOut", dOut, batch*d)
	checkLen("l2clip", "dIn", dIn, batch*d)
	for r := range batch {
		x, dy, dx := in[r*d:(r+1)*d], dOut[r*d:(r+1)*d], dIn[r*d:(r+1)*d]
		n := rowNorm(x)
		if n <= l.c {
			copy(dx, dy)
			continue
		}
		var xdy float64
		for i, v := range x {
			xdy += float64(v) * float64(dy[i])
		}
		s, k := T(l.c/n), T(xdy/(n*n))
		for i, v := range x {
			dx[i] = s * (dy[i] - v*k)
		}
	}
}
