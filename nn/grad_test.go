package nn

import (
	"math"
	"testing"

	"github.com/clkit/clkit/internal/prng"
)

// fdStep is the step of the fourth-order central difference
// (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h))/12h, whose truncation error
// O(h⁴) and rounding error O(ε/h) are both far below the 1e-6 tolerance.
const fdStep = 1e-3

func centralDiff(f func() float64, x *float64) float64 {
	x0 := *x
	at := func(d float64) float64 { *x = x0 + d; return f() }
	v := (-at(2*fdStep) + 8*at(fdStep) - 8*at(-fdStep) + at(-2*fdStep)) / (12 * fdStep)
	*x = x0
	return v
}

// relErr compares an analytic and a numeric gradient componentwise:
// |a-n| / max(|a|, |n|, floor), where floor (1e-3 of the largest
// component) keeps components that are zero in truth from dividing noise
// by noise.
func relErr(a, n []float64) (worst float64, at int) {
	var big float64
	for i := range a {
		big = max(big, math.Abs(a[i]), math.Abs(n[i]))
	}
	floor := max(1e-3*big, 1e-12)
	for i := range a {
		e := math.Abs(a[i]-n[i]) / max(math.Abs(a[i]), math.Abs(n[i]), floor)
		if e > worst {
			worst, at = e, i
		}
	}
	return worst, at
}

func randVec(r *prng.Stream, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * r.Normal()
	}
	return v
}

// gradCheck checks l's Backward against finite differences of the loss
// Σ w⊙Forward(p, in), for parameters and inputs. It also checks that
// Backward adds into dp rather than overwriting it.
func gradCheck(t testing.TB, l Layer[float64], p, in []float64, batch int) {
	t.Helper()
	r := prng.New(99, 0)
	w := randVec(r, batch*l.Out(), 1)
	out := make([]float64, batch*l.Out())
	scratch := make([]float64, l.ScratchLen(batch))
	loss := func() float64 {
		l.Forward(p, in, out, scratch, batch)
		var s float64
		for i, v := range out {
			s += w[i] * v
		}
		return s
	}
	loss()
	dp := make([]float64, len(p))
	for i := range dp {
		dp[i] = 1 // Backward must add to this
	}
	dIn := make([]float64, len(in))
	l.Backward(p, in, out, w, dp, dIn, scratch, batch)
	for i := range dp {
		dp[i]--
	}
	// dIn == nil must give the same parameter gradient.
	dp2 := make([]float64, len(p))
	l.Backward(p, in, out, w, dp2, nil, scratch, batch)
	for i := range dp {
		if math.Abs(dp2[i]-dp[i]) > 1e-12*(1+math.Abs(dp[i])) {
			t.Fatalf("%v: parameter gradient %d is %g with dIn and %g without", l, i, dp[i], dp2[i])
		}
	}

	num := make([]float64, len(p))
	for i := range p {
		num[i] = centralDiff(loss, &p[i])
	}
	if e, i := relErr(dp, num); e > 1e-6 {
		t.Errorf("%v: parameter gradient: relative error %.3g at %d (analytic %g, numeric %g)", l, e, i, dp[i], num[i])
	}
	numIn := make([]float64, len(in))
	for i := range in {
		numIn[i] = centralDiff(loss, &in[i])
	}
	if e, i := relErr(dIn, numIn); e > 1e-6 {
		t.Errorf("%v: input gradient: relative error %.3g at %d (analytic %g, numeric %g)", l, e, i, dIn[i], numIn[i])
	}
}

// awayFrom returns n normal deviates at least gap away from 0.
func awayFrom(r *prng.Stream, n int, gap float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		for {
			x := r.Normal()
			if math.Abs(x) > gap {
				v[i] = x
				break
			}
		}
	}
	return v
}

func bound[T Float](t *testing.T, l Layer[T], width int) Layer[T] {
	t.Helper()
	n, err := NewNet(Dense[T](width, width), l)
	if err != nil {
		t.Fatal(err)
	}
	return n.Layers()[1]
}

// perturbed initialises l and moves its parameters off their initial
// values (zero biases, unit gains), which can hide errors.
func perturbed(l Layer[float64], seed uint64) []float64 {
	p := make([]float64, l.NumParams())
	r := prng.New(seed, 1)
	l.Init(p, r)
	for i := range p {
		p[i] += 0.3 * r.Normal()
	}
	return p
}

func TestGradLayers(t *testing.T) {
	const d, batch = 5, 4
	r := prng.New(1, 0)
	acts := []Activation{Identity, ReLU, LeakyReLU(0.2), Tanh, Sigmoid, GELU, Softplus}
	for _, a := range acts {
		t.Run(a.String(), func(t *testing.T) {
			l := bound[float64](t, Act[float64](a), d)
			gradCheck(t, l, nil, awayFrom(r, batch*d, 0.05), batch)
		})
	}
	t.Run("dense", func(t *testing.T) {
		l := Dense[float64](d, 3)
		gradCheck(t, l, perturbed(l, 1), randVec(r, batch*d, 1), batch)
	})
	t.Run("layernorm", func(t *testing.T) {
		l := LayerNorm[float64](d)
		gradCheck(t, l, perturbed(l, 2), randVec(r, batch*d, 2), batch)
	})
	t.Run("l2clip", func(t *testing.T) {
		l := bound[float64](t, L2Clip[float64](1.5), d)
		in := randVec(r, batch*d, 1)
		// Rows 0 and 2 well inside the ball, 1 and 3 well outside.
		for row, want := range []float64{0.5, 4, 1, 3} {
			x := in[row*d : (row+1)*d]
			k := want / rowNorm(x)
			for i := range x {
				x[i] *= k
			}
		}
		gradCheck(t, l, nil, in, batch)
	})
	t.Run("residual", func(t *testing.T) {
		l := Residual(Dense[float64](d, 7), Act[float64](Tanh), Dense[float64](7, d))
		gradCheck(t, l, perturbed(l, 3), randVec(r, batch*d, 1), batch)
	})
	t.Run("residual-layernorm", func(t *testing.T) {
		l := bound[float64](t, Residual(Act[float64](GELU), LayerNorm[float64](d), Dense[float64](d, d), Act[float64](Sigmoid)), d)
		gradCheck(t, l, perturbed(l, 4), randVec(r, batch*d, 1), batch)
	})
	t.Run("residual-nested", func(t *testing.T) {
		l := Residual(Dense[float64](d, d), Residual(LayerNorm[float64](d), Dense[float64](d, d)), Act[float64](Softplus))
		gradCheck(t, l, perturbed(l, 5), randVec(r, batch*d, 1), batch)
	})
}

// brokenLayer is a Dense whose weight gradient is 0.01% off: the check
// must catch it, or it checks nothing.
type brokenLayer struct{ Layer[float64] }

func (b brokenLayer) Backward(p, in, out, dOut, dp, dIn, scratch []float64, batch int) {
	b.Layer.Backward(p, in, out, dOut, dp, dIn, scratch, batch)
	dp[0] *= 1.0001
}

func TestGradCheckCatchesErrors(t *testing.T) {
	l := brokenLayer{Dense[float64](3, 2)}
	ft := &fakeT{}
	func() {
		defer func() { recover() }()
		gradCheck(ft, l, perturbed(l, 1), randVec(prng.New(2, 0), 6, 1), 2)
	}()
	if !ft.failed {
		t.Fatal("the gradient check passed a gradient that is 1e-4 off")
	}
}

// fakeT records failures, so that TestGradCheckCatchesErrors can run the
// check on a broken layer.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true; panic("fatal") }
