package optim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// boxChecked wraps f so that every evaluation outside the box, or with the
// wrong lengths, fails the test.
func boxChecked(t *testing.T, f Func, lower, upper []float64) Func {
	t.Helper()
	return func(x, g []float64) float64 {
		if len(x) != len(lower) || len(g) != len(x) {
			t.Fatalf("f called with len(x)=%d len(grad)=%d, want %d", len(x), len(g), len(lower))
		}
		for i, v := range x {
			if !(v >= lower[i] && v <= upper[i]) {
				t.Fatalf("f evaluated outside the box: x[%d]=%v not in [%v, %v]", i, v, lower[i], upper[i])
			}
		}
		return f(x, g)
	}
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// quadratic returns f(x) = ½ xᵀQx − cᵀx for a dense symmetric Q (row-major).
func quadratic(q []float64, c []float64) Func {
	n := len(c)
	return func(x, g []float64) float64 {
		f := 0.0
		for i := 0; i < n; i++ {
			g[i] = dot(q[i*n:(i+1)*n], x) - c[i]
			f += x[i] * (0.5*(g[i]+c[i]) - c[i])
		}
		return f
	}
}

// boundedQuadratic builds a random well-conditioned SPD quadratic on a box
// with a known minimiser: x* and the gradient g* at x* are chosen to
// satisfy the KKT conditions (g* > 0 at lower bounds, < 0 at upper
// bounds, 0 inside), then c = Q x* − g*.
func boundedQuadratic(rng *rand.Rand, n int, cond float64) (f Func, lower, upper, xstar []float64) {
	// Q = D + V Vᵀ/n with D spread over [1, cond].
	q := make([]float64, n*n)
	v := make([]float64, n*3)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	for i := 0; i < n; i++ {
		q[i*n+i] = 1 + (cond-1)*float64(i)/float64(max(n-1, 1))
		for j := 0; j < n; j++ {
			for l := 0; l < 3; l++ {
				q[i*n+j] += v[i*3+l] * v[j*3+l] / float64(n)
			}
		}
	}
	lower, upper = make([]float64, n), make([]float64, n)
	xstar = make([]float64, n)
	gstar := make([]float64, n)
	for i := 0; i < n; i++ {
		lower[i] = -1 - rng.Float64()
		upper[i] = 1 + rng.Float64()
		switch i % 3 {
		case 0:
			xstar[i], gstar[i] = lower[i], 0.1+rng.Float64()
		case 1:
			xstar[i], gstar[i] = upper[i], -0.1-rng.Float64()
		default:
			xstar[i] = lower[i] + (upper[i]-lower[i])*(0.1+0.8*rng.Float64())
		}
	}
	c := make([]float64, n)
	for i := 0; i < n; i++ {
		c[i] = dot(q[i*n:(i+1)*n], xstar) - gstar[i]
	}
	return quadratic(q, c), lower, upper, xstar
}

func maxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// exact switches the function-decrease test off so that runs end on the
// projected-gradient test.
var exact = Settings{MaxIter: 1000, FuncTol: 1e-300}

func TestMinimizeBoxQuadraticActiveBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 2, 5, 30, 200} {
		for _, cond := range []float64{1, 10, 1000} {
			f, lo, up, xs := boundedQuadratic(rng, n, cond)
			x := make([]float64, n)
			for i := range x {
				x[i] = 3 * rng.NormFloat64() // often outside the box
			}
			res, err := MinimizeBox(boxChecked(t, f, lo, up), x, lo, up, exact)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(x, xs); d > 1e-6 || res.Status != StatusGradient {
				t.Errorf("n=%d cond=%g: |x−x*|∞=%.3g, %+v", n, cond, d, res)
			}
			if g := make([]float64, n); math.Abs(f(x, g)-res.F) > 0 {
				t.Errorf("n=%d: Result.F=%v but f(x)=%v", n, res.F, f(x, g))
			}
		}
	}
}

func rosenbrock(x, g []float64) float64 {
	f := 0.0
	for i := range g {
		g[i] = 0
	}
	for i := 0; i+1 < len(x); i++ {
		a, b := 1-x[i], x[i+1]-x[i]*x[i]
		f += a*a + 100*b*b
		g[i] += -2*a - 400*b*x[i]
		g[i+1] += 200 * b
	}
	return f
}

func TestMinimizeBoxRosenbrockBounded(t *testing.T) {
	lo, up := []float64{-2, -2}, []float64{0.5, 2}
	for _, x0 := range [][]float64{{-1.2, 1}, {0, 0}, {-2, 2}, {0.5, -2}, {3, 3}} {
		x := append([]float64(nil), x0...)
		res, err := MinimizeBox(boxChecked(t, rosenbrock, lo, up), x, lo, up, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		// On x₁ = 0.5 the minimum over x₂ is at x₂ = 0.25, and ∂f/∂x₁ = −1 < 0 there.
		if x[0] != 0.5 || math.Abs(x[1]-0.25) > 1e-7 || math.Abs(res.F-0.25) > 1e-12 {
			t.Errorf("from %v: x=%v %+v", x0, x, res)
		}
	}
}

func TestMinimizeBoxUnbounded(t *testing.T) {
	inf := math.Inf(1)
	// Rosenbrock in 2 and 20 dimensions: minimum at (1, …, 1), f = 0.
	for _, n := range []int{2, 20} {
		x := fill(n, -1.2)
		for i := 1; i < n; i += 2 {
			x[i] = 1
		}
		lo, up := fill(n, -inf), fill(n, inf)
		res, err := MinimizeBox(rosenbrock, x, lo, up, Settings{MaxIter: 2000})
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(x, fill(n, 1)); d > 1e-6 || res.F > 1e-12 {
			t.Errorf("Rosenbrock n=%d: |x−1|∞=%.3g %+v", n, d, res)
		}
	}
	// A quadratic with a box that does not bind equals the unconstrained one.
	rng := rand.New(rand.NewPCG(13, 14))
	n := 50
	f, _, _, _ := boundedQuadratic(rng, n, 100)
	xa, xb := make([]float64, n), make([]float64, n)
	if _, err := MinimizeBox(f, xa, fill(n, -inf), fill(n, inf), exact); err != nil {
		t.Fatal(err)
	}
	if _, err := MinimizeBox(f, xb, fill(n, -1e6), fill(n, 1e6), exact); err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(xa, xb); d > 1e-7 {
		t.Errorf("unbounded vs loose box: differ by %v", d)
	}
	g := make([]float64, n)
	f(xa, g)
	if gm := maxDiff(g, make([]float64, n)); gm > 1e-8 {
		t.Errorf("unbounded quadratic: ‖∇f‖∞ = %v", gm)
	}
}

func TestMinimizeBoxFixedVariables(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 10
	f, lo, up, _ := boundedQuadratic(rng, n, 10)
	lo, up = append([]float64(nil), lo...), append([]float64(nil), up...)
	for i := 0; i < n; i += 2 {
		lo[i] = 0.3
		up[i] = 0.3
	}
	x := fill(n, 5)
	res, err := MinimizeBox(boxChecked(t, f, lo, up), x, lo, up, exact)
	if err != nil || res.Status != StatusGradient {
		t.Fatalf("%+v %v", res, err)
	}
	for i := 0; i < n; i += 2 {
		if x[i] != 0.3 {
			t.Errorf("fixed x[%d]=%v", i, x[i])
		}
	}
	// Projected gradient at the answer is small.
	g := make([]float64, n)
	f(x, g)
	for i := range x {
		if pg := math.Abs(clamp(x[i]-g[i], lo[i], up[i]) - x[i]); pg > 1e-8 {
			t.Errorf("projected gradient [%d] = %v", i, pg)
		}
	}
	// Every variable fixed: one evaluation, no iterations.
	x = fill(3, 9)
	res, err = MinimizeBox(boxChecked(t, rosenbrock, fill(3, 2), fill(3, 2)), x, fill(3, 2), fill(3, 2), Settings{})
	if err != nil || res.Evals != 1 || res.Iterations != 0 || res.Status != StatusGradient || maxDiff(x, fill(3, 2)) != 0 {
		t.Errorf("all fixed: x=%v %+v %v", x, res, err)
	}
	// Empty problem.
	if res, err := MinimizeBox(func(x, g []float64) float64 { return 1 }, nil, nil, nil, Settings{}); err != nil || res.Status != StatusGradient {
		t.Errorf("n=0: %+v %v", res, err)
	}
}

func TestMinimizeBoxStops(t *testing.T) {
	inf := math.Inf(1)
	lo, up := fill(2, -inf), fill(2, inf)
	x := []float64{-1.2, 1}
	res, err := MinimizeBox(rosenbrock, x, lo, up, Settings{MaxIter: 3})
	if err != nil || res.Status != StatusIterations || res.Iterations != 3 {
		t.Errorf("MaxIter: %+v %v", res, err)
	}
	x = []float64{-1.2, 1}
	res, err = MinimizeBox(rosenbrock, x, lo, up, Settings{FuncTol: 1e-3})
	if err != nil || res.Status != StatusFunction {
		t.Errorf("FuncTol: %+v %v", res, err)
	}
	// A function that is NaN away from the start: the line search fails
	// without an error, and x stays at the best point.
	x = []float64{1}
	res, err = MinimizeBox(func(x, g []float64) float64 {
		if x[0] != 1 {
			g[0] = math.NaN()
			return math.NaN()
		}
		g[0] = 1
		return 0
	}, x, fill(1, -inf), fill(1, inf), Settings{})
	if err != nil || res.Status != StatusLineSearch || x[0] != 1 || res.F != 0 {
		t.Errorf("NaN region: x=%v %+v %v", x, res, err)
	}
	// Non-smooth |x|: must not error, ends near 0.
	x = []float64{3.7}
	res, err = MinimizeBox(func(x, g []float64) float64 {
		g[0] = math.Copysign(1, x[0])
		return math.Abs(x[0])
	}, x, fill(1, -inf), fill(1, inf), Settings{})
	if err != nil || math.Abs(x[0]) > 1e-6 {
		t.Errorf("|x|: x=%v %+v %v", x, res, err)
	}
}

func TestMinimizeBoxBadArgs(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := func(x, g []float64) float64 { return 0 }
	for _, c := range []struct {
		name             string
		f                Func
		x, lower, upper  []float64
		s                Settings
		wantErrSubstring string
	}{
		{"nil f", nil, []float64{0}, []float64{0}, []float64{1}, Settings{}, "nil"},
		{"short lower", ok, []float64{0, 0}, []float64{0}, []float64{1, 1}, Settings{}, "length"},
		{"short upper", ok, []float64{0, 0}, []float64{0, 0}, []float64{1}, Settings{}, "length"},
		{"lower>upper", ok, []float64{0}, []float64{1}, []float64{0}, Settings{}, ">"},
		{"NaN x", ok, []float64{nan}, []float64{0}, []float64{1}, Settings{}, "NaN"},
		{"NaN lower", ok, []float64{0}, []float64{nan}, []float64{1}, Settings{}, "NaN"},
		{"NaN upper", ok, []float64{0}, []float64{0}, []float64{nan}, Settings{}, "NaN"},
		{"Inf x unbounded", ok, []float64{inf}, []float64{-inf}, []float64{inf}, Settings{}, "infinite"},
		{"negative MaxIter", ok, []float64{0}, []float64{0}, []float64{1}, Settings{MaxIter: -1}, "settings"},
		{"NaN GradTol", ok, []float64{0}, []float64{0}, []float64{1}, Settings{GradTol: nan}, "settings"},
		{"NaN at start", func(x, g []float64) float64 { return nan }, []float64{0}, []float64{0}, []float64{1}, Settings{}, "NaN"},
		{"NaN gradient at start", func(x, g []float64) float64 { g[0] = nan; return 0 }, []float64{0}, []float64{-1}, []float64{1}, Settings{}, "NaN"},
	} {
		_, err := MinimizeBox(c.f, c.x, c.lower, c.upper, c.s)
		if err == nil || !strings.Contains(err.Error(), c.wantErrSubstring) {
			t.Errorf("%s: err=%v, want one mentioning %q", c.name, err, c.wantErrSubstring)
		}
	}
	// An infinite start inside a half-bounded box is projected, not rejected.
	x := []float64{inf}
	if _, err := MinimizeBox(func(x, g []float64) float64 { g[0] = 2 * x[0]; return x[0] * x[0] }, x, []float64{-1}, []float64{inf}, Settings{}); err == nil {
		t.Errorf("x=+Inf with upper=+Inf: want error")
	}
	x = []float64{inf}
	if _, err := MinimizeBox(func(x, g []float64) float64 { g[0] = 2 * x[0]; return x[0] * x[0] }, x, []float64{-1}, []float64{4}, Settings{}); err != nil || math.Abs(x[0]) > 1e-8 {
		t.Errorf("x=+Inf with upper=4: x=%v err=%v", x, err)
	}
}

func TestMinimizeBoxWorkspaceNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	n := 100
	f, lo, up, _ := boundedQuadratic(rng, n, 100)
	x := make([]float64, n)
	var ws BoxWorkspace
	run := func() {
		for i := range x {
			x[i] = 0
		}
		ws.MinimizeBox(f, x, lo, up, Settings{})
	}
	run()
	if a := testing.AllocsPerRun(10, run); a != 0 {
		t.Errorf("BoxWorkspace.MinimizeBox allocates %v times per call", a)
	}
}

func BenchmarkMinimizeBox(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 20))
	n := 100
	f, lo, up, _ := boundedQuadratic(rng, n, 100)
	x := make([]float64, n)
	b.ReportAllocs()
	var res Result
	for b.Loop() {
		for i := range x {
			x[i] = 0
		}
		var err error
		if res, err = MinimizeBox(f, x, lo, up, Settings{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Evals), "evals/op")
	b.ReportMetric(float64(res.Iterations), "iters/op")
}

func TestMinimizeBoxRosenbrockManyBounds(t *testing.T) {
	// 20-dimensional Rosenbrock on [−2, 0.8]^20: the optimum (1, …, 1)
	// is cut off, several bounds bind. Compare with a long projected
	// gradient run as reference by checking the first-order conditions.
	n := 20
	lo, up := fill(n, -2), fill(n, 0.8)
	x := fill(n, -1)
	res, err := MinimizeBox(boxChecked(t, rosenbrock, lo, up), x, lo, up, Settings{MaxIter: 5000, FuncTol: 1e-300})
	if err != nil || res.Status != StatusGradient {
		t.Fatalf("%+v %v", res, err)
	}
	g := make([]float64, n)
	rosenbrock(x, g)
	active := 0
	for i := range x {
		if pg := math.Abs(clamp(x[i]-g[i], lo[i], up[i]) - x[i]); pg > 1e-8 {
			t.Errorf("projected gradient [%d] = %v", i, pg)
		}
		if x[i] == up[i] {
			active++
		}
	}
	if active == 0 {
		t.Errorf("no bound active at %v", x)
	}
}

func TestConcurrentPools(t *testing.T) {
	done := make(chan bool)
	for w := 0; w < 4; w++ {
		go func(seed uint64) {
			rng := rand.New(rand.NewPCG(seed, 1))
			for it := 0; it < 20; it++ {
				m, k := 50+rng.IntN(50), 1+rng.IntN(20)
				a, b := randMat(rng, m, k), randVec(rng, m)
				x := make([]float64, k)
				if _, err := NNLS(a, m, k, b, x); err != nil {
					t.Error(err)
				}
				n := 1 + rng.IntN(30)
				f, lo, up, xs := boundedQuadratic(rng, n, 10)
				y := make([]float64, n)
				if _, err := MinimizeBox(f, y, lo, up, exact); err != nil || maxDiff(y, xs) > 1e-6 {
					t.Errorf("concurrent MinimizeBox: %v %v", maxDiff(y, xs), err)
				}
			}
			done <- true
		}(uint64(w))
	}
	for w := 0; w < 4; w++ {
		<-done
	}
}
