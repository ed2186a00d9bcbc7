package nn

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/clkit/clkit/internal/prng"
)

// clgn is the CL-GN generator: latent 10, seven hidden Dense(10) with
// LeakyReLU(0.2), a linear output in 2-D.
func clgn[T Float](t testing.TB) *Net[T] {
	t.Helper()
	n, err := MLP[T](10, []int{10, 10, 10, 10, 10, 10, 10}, 2, LeakyReLU(0.2), Identity)
	if err != nil {
		t.Fatal(err)
	}
	n.Init(1)
	return n
}

// metaNet uses every kind of layer.
func metaNet[T Float](t testing.TB) *Net[T] {
	t.Helper()
	n, err := NewNet(
		Dense[T](6, 8), Act[T](GELU),
		Residual(LayerNorm[T](8), Dense[T](8, 8), Act[T](Tanh)),
		Residual(Dense[T](8, 4), Act[T](Softplus), Dense[T](4, 8)),
		LayerNorm[T](8),
		Dense[T](8, 5), Act[T](LeakyReLU(0.1)), Dense[T](5, 3), Act[T](Sigmoid), Dense[T](3, 3), Act[T](ReLU),
		Dense[T](3, 3), L2Clip[T](0.92),
	)
	if err != nil {
		t.Fatal(err)
	}
	n.Init(7)
	return n
}

func TestMLPParamCount(t *testing.T) {
	n := clgn[float32](t)
	if n.NumParams() != 792 || len(n.Params()) != 792 {
		t.Errorf("CL-GN generator has %d parameters, want 792", n.NumParams())
	}
	if len(n.Layers()) != 15 || n.In() != 10 || n.Out() != 2 {
		t.Errorf("CL-GN generator: %d layers, %d→%d; want 15, 10→2", len(n.Layers()), n.In(), n.Out())
	}
	sum := 0
	for i := range n.Layers() {
		sum += len(n.LayerParams(i))
	}
	if sum != 792 {
		t.Errorf("layer parameter slices sum to %d", sum)
	}
	m, err := MLP[float64](3, nil, 4, ReLU, Tanh) // no hidden layer, an output activation
	if err != nil {
		t.Fatal(err)
	}
	if m.NumParams() != 16 || len(m.Layers()) != 2 {
		t.Errorf("MLP(3, nil, 4): %d parameters in %d layers, want 16 in 2", m.NumParams(), len(m.Layers()))
	}
}

func TestNewNetErrors(t *testing.T) {
	cases := []struct {
		name   string
		layers []Layer[float64]
		want   string
	}{
		{"empty", nil, "at least one"},
		{"chain", []Layer[float64]{Dense[float64](3, 4), Dense[float64](5, 2)}, "layer 1"},
		{"zero width", []Layer[float64]{Dense[float64](0, 4)}, "width 0→4"},
		{"activation first", []Layer[float64]{Act[float64](ReLU), Dense[float64](3, 1)}, "layer 0"},
		{"nil", []Layer[float64]{Dense[float64](3, 4), nil}, "nil"},
		{"l2clip", []Layer[float64]{Dense[float64](3, 4), L2Clip[float64](0)}, "bound 0"},
		{"l2clip inf", []Layer[float64]{Dense[float64](3, 4), L2Clip[float64](math.Inf(1))}, "bound +Inf"},
		{"slope", []Layer[float64]{Dense[float64](3, 4), Act[float64](LeakyReLU(math.NaN()))}, "slope"},
		{"residual width", []Layer[float64]{Residual(Dense[float64](3, 4))}, "keep it"},
		{"residual empty", []Layer[float64]{Dense[float64](3, 4), Residual[float64]()}, "no inner"},
		{"residual chain", []Layer[float64]{Residual(Dense[float64](3, 4), Dense[float64](3, 3))}, "inner layer 1"},
		{"residual mismatch", []Layer[float64]{Dense[float64](3, 4), Residual(Dense[float64](3, 3))}, "layer 1"},
		{"too wide", []Layer[float64]{Dense[float64](maxWidth+1, 1)}, "width"},
	}
	for _, c := range cases {
		_, err := NewNet(c.layers...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := MLP[float32](2, []int{3, -1}, 1, ReLU, Identity); err == nil {
		t.Error("MLP with a negative width: no error")
	}
}

// netGradCheck checks Net.Backward against finite differences of the
// squared loss ½‖net(x) - y‖², for every parameter and input.
func netGradCheck(t *testing.T, n *Net[float64], x []float64, batch int) {
	t.Helper()
	y := randVec(prng.New(5, 0), batch*n.Out(), 1)
	ws := new(Workspace[float64])
	loss := func() float64 {
		out := n.Forward(ws, x, batch)
		var s float64
		for i, v := range out {
			s += 0.5 * (v - y[i]) * (v - y[i])
		}
		return s
	}
	out := n.Forward(ws, x, batch)
	dOut := make([]float64, len(out))
	for i, v := range out {
		dOut[i] = v - y[i]
	}
	grad := make([]float64, n.NumParams())
	for i := range grad {
		grad[i] = math.NaN() // Backward must overwrite
	}
	dIn := make([]float64, len(x))
	n.Backward(ws, dOut, grad, dIn)
	p := n.Params()
	num := make([]float64, len(p))
	for i := range p {
		num[i] = centralDiff(loss, &p[i])
	}
	if e, i := relErr(grad, num); e > 1e-6 {
		t.Errorf("parameter gradient: relative error %.3g at %d (analytic %g, numeric %g)", e, i, grad[i], num[i])
	}
	numIn := make([]float64, len(x))
	for i := range x {
		numIn[i] = centralDiff(loss, &x[i])
	}
	if e, i := relErr(dIn, numIn); e > 1e-6 {
		t.Errorf("input gradient: relative error %.3g at %d (analytic %g, numeric %g)", e, i, dIn[i], numIn[i])
	}
}

// minPreact is the smallest |input| that the net's kinked layers (ReLU,
// LeakyReLU, L2Clip's sphere) see on x: finite differences need it well
// above their step.
func minPreact(n *Net[float64], x []float64, batch int) float64 {
	m, _ := kinks(n, x, batch)
	return m
}

// kinks returns minPreact and how many rows L2Clip layers clip.
func kinks(n *Net[float64], x []float64, batch int) (m float64, clipped int) {
	ws := new(Workspace[float64])
	n.Forward(ws, x, batch)
	m = math.Inf(1)
	for i, l := range n.Layers() {
		in := x
		if i > 0 {
			in = ws.act[i-1][:batch*l.In()]
		}
		switch s := l.Spec(); s.Type {
		case "relu", "leaky_relu":
			for _, v := range in {
				m = min(m, math.Abs(v))
			}
		case "l2clip":
			for r := range batch {
				norm := rowNorm(in[r*s.In : (r+1)*s.In])
				m = min(m, math.Abs(norm-s.Clip))
				if norm > s.Clip {
					clipped++
				}
			}
		}
	}
	return m, clipped
}

func TestGradNet(t *testing.T) {
	const batch = 8
	for _, c := range []struct {
		name string
		net  func() *Net[float64]
	}{
		{"clgn", func() *Net[float64] { return clgn[float64](t) }},
		{"meta", func() *Net[float64] { return metaNet[float64](t) }},
		{"tanh-mlp", func() *Net[float64] {
			n, err := MLP[float64](4, []int{16, 16}, 3, Tanh, Sigmoid)
			if err != nil {
				t.Fatal(err)
			}
			n.Init(3)
			return n
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := c.net()
			// Biases off zero, and a point away from the kinks.
			r := prng.New(11, 0)
			for i := range n.Params() {
				n.Params()[i] += 0.1 * r.Normal()
			}
			var x []float64
			for try := 0; len(x) < batch*n.In(); try++ {
				if row := randVec(r, n.In(), 1); minPreact(n, row, 1) > 10*fdStep {
					x = append(x, row...)
				}
				if try == 1000 {
					t.Fatal("no input away from the kinks")
				}
			}
			if _, k := kinks(n, x, batch); c.name == "meta" && (k == 0 || k == batch) {
				t.Fatalf("%d of %d rows clipped: the check needs both kinds", k, batch)
			}
			netGradCheck(t, n, x, batch)
		})
	}
}

// The same seed gives a float32 net the float64 net's weights rounded, and
// nearly its outputs.
func TestInitFloat32Float64(t *testing.T) {
	for _, name := range []string{"clgn", "meta"} {
		var n32 *Net[float32]
		var n64 *Net[float64]
		if name == "clgn" {
			n32, n64 = clgn[float32](t), clgn[float64](t)
		} else {
			n32, n64 = metaNet[float32](t), metaNet[float64](t)
		}
		nonzero := 0
		for i, v := range n64.Params() {
			if n32.Params()[i] != float32(v) {
				t.Fatalf("%s: parameter %d: float32 %v, float64 %v", name, i, n32.Params()[i], v)
			}
			if v != 0 && v != 1 {
				nonzero++
			}
		}
		if nonzero < n64.NumParams()/2 {
			t.Fatalf("%s: only %d of %d parameters are drawn", name, nonzero, n64.NumParams())
		}
		const batch = 50
		x64 := randVec(prng.New(3, 0), batch*n64.In(), 1)
		x32 := make([]float32, len(x64))
		for i, v := range x64 {
			x32[i] = float32(v)
		}
		y64 := n64.Forward(new(Workspace[float64]), x64, batch)
		y32 := n32.Forward(new(Workspace[float32]), x32, batch)
		var d, s float64
		for i := range y64 {
			d = max(d, math.Abs(float64(y32[i])-y64[i]))
			s = max(s, math.Abs(y64[i]))
		}
		if d > 1e-5*s || s == 0 {
			t.Errorf("%s: float32 and float64 outputs differ by %g (largest output %g)", name, d, s)
		}
	}
}

// TestInitGolden pins the initial weights: saved models and experiments
// must be reproducible from their seed on any platform and after any
// refactoring. Glorot-uniform on prng's stream for layer 0.
func TestInitGolden(t *testing.T) {
	n := clgn[float64](t)
	r := prng.New(1, 0)
	limit := math.Sqrt(6.0 / 20)
	for i, v := range n.LayerParams(0)[:100] {
		if want := (2*r.Uniform() - 1) * limit; v != want {
			t.Fatalf("weight %d is %v, want %v", i, v, want)
		}
	}
	got := fmt.Sprintf("%.17g %.17g %.17g", n.Params()[0], n.Params()[110], n.Params()[791-2])
	const want = "0.2222897308628044 -0.53213351872341652 -0.28573038511815591"
	if got != want {
		t.Errorf("initial weights %s, want %s", got, want)
	}
	m := clgn[float64](t)
	m.Init(2)
	if m.Params()[0] == n.Params()[0] {
		t.Error("seeds 1 and 2 give the same first weight")
	}
}

func TestForwardSmallerBatchAndReuse(t *testing.T) {
	n := metaNet[float64](t)
	x := randVec(prng.New(4, 0), 100*n.In(), 1)
	ws := new(Workspace[float64])
	full := append([]float64(nil), n.Forward(ws, x, 100)...)
	part := n.Forward(ws, x[:30*n.In()], 30) // reuses the larger buffers
	for i, v := range part {
		if v != full[i] {
			t.Fatalf("output %d: %v in a batch of 30, %v in a batch of 100", i, v, full[i])
		}
	}
	// A Workspace moved to another net starts again.
	m := clgn[float64](t)
	y := m.Forward(ws, x[:10*m.In()], 10)
	if len(y) != 10*m.Out() {
		t.Fatalf("output of %d values", len(y))
	}
}

func TestNoAllocs(t *testing.T) {
	for _, name := range []string{"clgn32", "meta64"} {
		t.Run(name, func(t *testing.T) {
			var run func()
			if name == "clgn32" {
				run = allocRun(clgn[float32](t), 1000)
			} else {
				run = allocRun(metaNet[float64](t), 1000)
			}
			run() // grows the Workspace
			if a := testing.AllocsPerRun(20, run); a != 0 {
				t.Errorf("%g allocations per Forward+Backward", a)
			}
		})
	}
}

func allocRun[T Float](n *Net[T], batch int) func() {
	ws := new(Workspace[T])
	x := make([]T, batch*n.In())
	for i := range x {
		x[i] = T(math.Sin(float64(i)))
	}
	dOut := make([]T, batch*n.Out())
	for i := range dOut {
		dOut[i] = 1
	}
	grad, dIn := make([]T, n.NumParams()), make([]T, len(x))
	b := batch
	return func() {
		n.Forward(ws, x[:b*n.In()], b)
		n.Backward(ws, dOut[:b*n.Out()], grad, dIn[:b*n.In()])
		b = batch - b + batch/2 // alternate batch and batch/2: smaller batches reuse the buffers
	}
}

// One Net, several goroutines, a Workspace each: the same results as
// alone (and no race under -race).
func TestConcurrent(t *testing.T) {
	n := metaNet[float32](t)
	const batch = 64
	x := make([]float32, batch*n.In())
	for i := range x {
		x[i] = float32(math.Cos(float64(i)))
	}
	dOut := make([]float32, batch*n.Out())
	for i := range dOut {
		dOut[i] = float32(i%3) - 1
	}
	want := make([]float32, n.NumParams())
	n.Forward(new(Workspace[float32]), x, batch)
	ws := new(Workspace[float32])
	n.Forward(ws, x, batch)
	n.Backward(ws, dOut, want, nil)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := new(Workspace[float32])
			grad := make([]float32, n.NumParams())
			for range 20 {
				n.Forward(ws, x, batch)
				n.Backward(ws, dOut, grad, nil)
			}
			for i := range grad {
				if grad[i] != want[i] {
					errs[g] = fmt.Errorf("goroutine %d: gradient %d is %v, want %v", g, i, grad[i], want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func mustPanic(t *testing.T, what, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
		} else if s := fmt.Sprint(r); !strings.Contains(s, want) {
			t.Errorf("%s: panic %q, want one containing %q", what, s, want)
		}
	}()
	f()
}

func TestHotPathPanics(t *testing.T) {
	n := clgn[float32](t)
	ws := new(Workspace[float32])
	x := make([]float32, 40)
	grad := make([]float32, n.NumParams())
	mustPanic(t, "Backward before Forward", "without a Forward", func() { n.Backward(ws, make([]float32, 8), grad, nil) })
	mustPanic(t, "Forward, short x", "len(x) = 39", func() { n.Forward(ws, x[:39], 4) })
	mustPanic(t, "Forward, batch 0", "batch 0", func() { n.Forward(ws, nil, 0) })
	y := n.Forward(ws, x, 4)
	mustPanic(t, "Backward, dOut = output", "output of Forward", func() { n.Backward(ws, y, grad, nil) })
	mustPanic(t, "Backward, short grad", "len(grad)", func() { n.Backward(ws, make([]float32, 8), grad[1:], nil) })
	mustPanic(t, "Backward, short dIn", "len(dIn)", func() { n.Backward(ws, make([]float32, 8), grad, x[1:]) })
	mustPanic(t, "dense, short out", "dense: len(out)", func() {
		Dense[float64](3, 2).Forward(make([]float64, 8), make([]float64, 6), make([]float64, 3), nil, 2)
	})
}

// Dense against the textbook loops, at sizes that cross gemm's tiles.
func TestDenseNaive(t *testing.T) {
	testDenseNaive[float64](t, 1e-12)
	testDenseNaive[float32](t, 1e-5)
}

func testDenseNaive[T Float](t *testing.T, tol float64) {
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 2}, {300, 70, 200}, {257, 130, 65}, {200, 500, 3}} {
		batch, in, out := sz[0], sz[1], sz[2]
		l := Dense[T](in, out)
		r := prng.New(uint64(batch), 0)
		rnd := func(n int) []T {
			v := make([]T, n)
			for i := range v {
				v[i] = T(r.Normal())
			}
			return v
		}
		p, x, dOut := rnd(l.NumParams()), rnd(batch*in), rnd(batch*out)
		w, b := p[:out*in], p[out*in:]
		y := make([]T, batch*out)
		l.Forward(p, x, y, make([]T, l.ScratchLen(batch)), batch)
		dp, dIn := rnd(len(p)), make([]T, batch*in)
		dp0 := append([]T(nil), dp...)
		l.Backward(p, x, y, dOut, dp, dIn, nil, batch)

		check := func(what string, got T, want float64, scale float64) {
			t.Helper()
			if math.Abs(float64(got)-want) > tol*scale {
				t.Fatalf("%T dense %d×%d→%d: %s is %v, want %v", got, batch, in, out, what, got, want)
			}
		}
		for i := range batch {
			for j := range out {
				s, a := float64(b[j]), math.Abs(float64(b[j]))
				for k := range in {
					s += float64(x[i*in+k]) * float64(w[j*in+k])
					a += math.Abs(float64(x[i*in+k]) * float64(w[j*in+k]))
				}
				check(fmt.Sprintf("y[%d,%d]", i, j), y[i*out+j], s, a)
			}
		}
		for j := range out {
			for k := range in {
				s, a := float64(dp0[j*in+k]), math.Abs(float64(dp0[j*in+k]))
				for i := range batch {
					s += float64(dOut[i*out+j]) * float64(x[i*in+k])
					a += math.Abs(float64(dOut[i*out+j]) * float64(x[i*in+k]))
				}
				check(fmt.Sprintf("dW[%d,%d]", j, k), dp[j*in+k], s, a)
			}
			s, a := float64(dp0[out*in+j]), math.Abs(float64(dp0[out*in+j]))
			for i := range batch {
				s += float64(dOut[i*out+j])
				a += math.Abs(float64(dOut[i*out+j]))
			}
			check(fmt.Sprintf("db[%d]", j), dp[out*in+j], s, a)
		}
		for i := range batch {
			for k := range in {
				var s, a float64
				for j := range out {
					s += float64(dOut[i*out+j]) * float64(w[j*in+k])
					a += math.Abs(float64(dOut[i*out+j]) * float64(w[j*in+k]))
				}
				check(fmt.Sprintf("dIn[%d,%d]", i, k), dIn[i*in+k], s, a)
			}
		}
	}
}

func TestL2ClipBound(t *testing.T) {
	n, err := NewNet(Dense[float32](4, 16), L2Clip[float32](2))
	if err != nil {
		t.Fatal(err)
	}
	n.Init(1)
	x := make([]float32, 4*100)
	for i := range x {
		x[i] = float32(0.05 * float64(i/4) * math.Sin(float64(i))) // row norms from 0 to ~8
	}
	y := n.Forward(new(Workspace[float32]), x, 100)
	inside := 0
	for r := range 100 {
		norm := rowNorm(y[r*16 : (r+1)*16])
		if norm > 2*(1+1e-6) {
			t.Fatalf("row %d has norm %v > 2", r, norm)
		}
		if norm < 2*(1-1e-6) {
			inside++
		}
	}
	if inside == 0 || inside == 100 {
		t.Errorf("%d of 100 rows inside the ball: both cases should occur", inside)
	}
}

func TestLayerNormForward(t *testing.T) {
	l := LayerNorm[float64](4)
	p := make([]float64, 8)
	l.Init(p, nil)
	in := []float64{1, 2, 3, 4, -1, -1, -1, -1}
	out := make([]float64, 8)
	l.Forward(p, in, out, make([]float64, l.ScratchLen(2)), 2)
	s := 1 / math.Sqrt(1.25+lnEps)
	want := []float64{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, 0, 0, 0, 0}
	for i := range want {
		if math.Abs(out[i]-want[i]) > 1e-12 {
			t.Fatalf("layernorm %v → %v, want %v", in, out, want)
		}
	}
}

func TestActivationValues(t *testing.T) {
	xs := []float64{-800, -2, -0.5, 0, 0.5, 3, 800}
	for _, c := range []struct {
		a Activation
		f func(float64) float64
	}{
		{Identity, func(x float64) float64 { return x }},
		{ReLU, func(x float64) float64 { return math.Max(x, 0) }},
		{LeakyReLU(0.2), func(x float64) float64 { return math.Max(x, 0.2*x) }},
		{Tanh, math.Tanh},
		{Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{GELU, func(x float64) float64 { return x * 0.5 * math.Erfc(-x/math.Sqrt2) }},
		{Softplus, func(x float64) float64 {
			if x > 30 {
				return x
			}
			return math.Log(1 + math.Exp(x))
		}},
	} {
		l := Act[float64](c.a).(binder[float64]).bind(len(xs))
		out := make([]float64, len(xs))
		l.Forward(nil, xs, out, nil, 1)
		for i, x := range xs {
			if want := c.f(x); math.Abs(out[i]-want) > 1e-12*max(1, math.Abs(want)) || math.IsNaN(out[i]) {
				t.Errorf("%v(%g) = %g, want %g", c.a, x, out[i], want)
			}
		}
	}
}
