package nn

import (
	"fmt"

	"github.com/clkit/clkit/internal/prng"
)

type residual[T Float] struct {
	inner []Layer[T]
	width int
	np    int
}

// Residual is x + inner(x) for a chain of inner layers from width d back to
// d. Its parameters are the inner layers' in order; its scratch holds their
// activations. An inner chain starting with an activation takes its width
// from the layer before the Residual.
func Residual[T Float](inner ...Layer[T]) Layer[T] {
	r := &residual[T]{inner: append([]Layer[T](nil), inner...)}
	if len(inner) > 0 && inner[0].In() > 0 {
		return r.bind(inner[0].In())
	}
	return r
}

func (r *residual[T]) bind(width int) Layer[T] {
	if r.width != 0 {
		return r // already bound; a mismatch shows in the chain check
	}
	b := &residual[T]{inner: make([]Layer[T], len(r.inner)), width: width}
	w := width
	for i, l := range r.inner {
		if lb, ok := l.(binder[T]); ok && w > 0 {
			l = lb.bind(w)
		}
		b.inner[i] = l
		b.np = addParams(b.np, l.NumParams())
		w = l.Out()
	}
	return b
}

func (r *residual[T]) check() error {
	if len(r.inner) == 0 {
		return fmt.Errorf("residual with no inner layers")
	}
	if r.np > maxParams {
		return fmt.Errorf("residual with more than %d parameters", maxParams)
	}
	w := r.width
	for i, l := range r.inner {
		if err := checkLayer(l); err != nil {
			return fmt.Errorf("residual, inner layer %d: %w", i, err)
		}
		if l.In() != w {
			return fmt.Errorf("residual, inner layer %d (%s) takes width %d, gets %d", i, l.Spec().Type, l.In(), w)
		}
		w = l.Out()
	}
	if w != r.width {
		return fmt.Errorf("residual's inner layers map width %d to %d; they must keep it", r.width, w)
	}
	return nil
}

func (r *residual[T]) String() string {
	s := "Residual("
	for i, l := range r.inner {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(l)
	}
	return s + ")"
}

func (r *residual[T]) In() int        { return r.width }
func (r *residual[T]) Out() int       { return r.width }
func (r *residual[T]) NumParams() int { return r.np }

// Scratch layout: each inner layer's output, then its own scratch, then
// two backward buffers of the widest inner output.
func (r *residual[T]) ScratchLen(batch int) int {
	n, wmax := 0, 0
	for _, l := range r.inner {
		n += batch*l.Out() + l.ScratchLen(batch)
		wmax = max(wmax, l.Out())
	}
	return n + 2*batch*wmax
}

func (r *residual[T]) Init(p []T, rs *prng.Stream) {
	off := 0
	for _, l := range r.inner {
		l.Init(p[off:off+l.NumParams()], rs)
		off += l.NumParams()
	}
}

// at returns inner layer i's output and scratch within scratch, and where
// they end. Recomputing offsets (a few layers) avoids storing slices.
func (r *residual[T]) at(scratch []T, batch, i int) (out, sc []T, end int) {
	off := 0
	for j := 0; ; j++ {
		no, ns := batch*r.inner[j].Out(), r.inner[j].ScratchLen(batch)
		if j == i {
			return scratch[off : off+no], scratch[off+no : off+no+ns], off + no + ns
		}
		off += no + ns
	}
}

func (r *residual[T]) Forward(p, in, out, scratch []T, batch int) {
	n := batch * r.width
	checkLen("residual", "in", in, n)
	checkLen("residual", "out", out, n)
	checkLen("residual", "scratch", scratch, r.ScratchLen(batch))
	x, off := in, 0
	for i, l := range r.inner {
		o, sc, _ := r.at(scratch, batch, i)
		l.Forward(p[off:off+l.NumParams()], x, o, sc, batch)
		off += l.NumParams()
		x = o
	}
	for i := range out[:n] {
		out[i] = in[i] + x[i]
	}
}

func (r *residual[T]) Backward(p, in, out, dOut, dp, dIn, scratch []T, batch int) {
	n := batch * r.width
	checkLen("residual", "dOut", dOut, n)
	checkLen("residual", "scratch", scratch, r.ScratchLen(batch))
	_, _, end := r.at(scratch, batch, len(r.inner)-1)
	buf := scratch[end:]
	half := len(buf) / 2
	bufs := [2][]T{buf[:half], buf[half:]}
	g := dOut // the gradient flowing into the last inner layer's output
	off := r.np
	for i := len(r.inner) - 1; i >= 0; i-- {
		l := r.inner[i]
		off -= l.NumParams()
		o, sc, _ := r.at(scratch, batch, i)
		x := in
		if i > 0 {
			x, _, _ = r.at(scratch, batch, i-1)
		}
		var d []T
		switch {
		case i > 0:
			d = bufs[i%2][:batch*l.In()]
		case dIn != nil:
			checkLen("residual", "dIn", dIn, n)
			d = dIn
		}
		l.Backward(p[off:off+l.NumParams()], x, o, g, dp[off:off+l.NumParams()], d, sc, batch)
		g = d
	}
	if dIn != nil { // the skip connection
		for i := range dIn[:n] {
			dIn[i] += dOut[i]
		}
	}
}

func (r *residual[T]) Spec() LayerSpec {
	s := LayerSpec{Type: "residual", In: r.width, Out: r.width, Inner: make([]LayerSpec, len(r.inner))}
	for i, l := range r.inner {
		s.Inner[i] = l.Spec()
	}
	return s
}

func (r *residual[T]) ParamTensors() []ParamTensor {
	var ts []ParamTensor
	for i, l := range r.inner {
		for _, t := range l.ParamTensors() {
			ts = append(ts, ParamTensor{Name: fmt.Sprintf("%d.%s", i, t.Name), Shape: t.Shape})
		}
	}
	return ts
}
