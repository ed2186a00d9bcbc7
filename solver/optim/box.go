package optim

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// Func evaluates f(x) and writes ∇f(x) into grad (len(grad) == len(x)).
//
// The slices passed by MinimizeBox are its own scratch buffers: read x
// and fill grad during the call, but do not keep them.
type Func func(x, grad []float64) float64

// Settings for MinimizeBox. Zero values mean defaults.
type Settings struct {
	MaxIter int     // default 200
	GradTol float64 // stop when ‖P(x − ∇f) − x‖_∞ ≤ GradTol (projected gradient); default 1e-8
	FuncTol float64 // stop when relative decrease of f over an iteration < FuncTol; default 1e-12
	Memory  int     // L-BFGS memory; default 10
}

// Result of MinimizeBox.
type Result struct {
	F          float64 // f at the returned x
	Iterations int
	Evals      int
	Status     string // why it stopped: "gradient", "function", "iterations", "linesearch"
}

// Stop reasons reported in Result.Status.
const (
	StatusGradient   = "gradient"
	StatusFunction   = "function"
	StatusIterations = "iterations"
	StatusLineSearch = "linesearch"
)

// BoxWorkspace holds the scratch memory of MinimizeBox. The zero value is
// ready to use; it grows to the largest problem seen and is reused, so a
// workspace kept by the caller makes repeated minimisations
// allocation-free. A workspace must not be used by two goroutines at
// once, nor re-entered from inside f.
type BoxWorkspace struct {
	xc, gc, xt, gt, d, q []float64
	s, y                 []float64 // mem×n ring of correction pairs
	alpha                []float64 // mem
	free                 []bool
}

var boxPool = sync.Pool{New: func() any { return new(BoxWorkspace) }}

// MinimizeBox minimises f over the box lower ≤ x ≤ upper (elementwise;
// use ±Inf for unbounded) starting from x (projected into the box first),
// overwriting x with the solution. Projected L-BFGS (L-BFGS-B-like:
// generalized Cauchy point or projected search direction with backtracking
// Armijo line search along the projected path; variables at an active
// bound with gradient pointing outward are held fixed in the subspace
// step). Returns an error only for bad arguments (length mismatch,
// lower > upper, NaN) or if f returns NaN at the start; a line-search
// failure after progress is not an error (Status "linesearch").
//
// MinimizeBox takes its scratch memory from an internal pool; use a
// BoxWorkspace to manage it yourself.
func MinimizeBox(f Func, x, lower, upper []float64, s Settings) (Result, error) {
	ws := boxPool.Get().(*BoxWorkspace)
	defer boxPool.Put(ws)
	return ws.MinimizeBox(f, x, lower, upper, s)
}

// MinimizeBox is the package-level MinimizeBox using the scratch memory
// of ws.
//
// Method: each iteration fixes the variables that sit on a bound with the
// gradient pointing out of the box (and those with lower == upper), builds
// the L-BFGS direction −H g on the remaining free variables (two-loop
// recursion with inner products restricted to the free set, pairs whose
// restricted curvature is not positive skipped), zeroes components that
// would immediately leave the box, and backtracks (safeguarded quadratic
// interpolation) along the projected path P(x + α d) until
// f(P(x+αd)) ≤ f(x) + 1e-4·∇f(x)ᵀ(P(x+αd) − x). If the quasi-Newton
// direction is not a descent direction or its line search fails, the
// memory is cleared and the projected steepest-descent path is used; only
// a failure on that path stops with Status "linesearch". When the change
// of f is within rounding of f itself, the step is instead accepted if the
// trapezoid estimate ½(∇f(x) + ∇f(x⁺))ᵀ(x⁺ − x) of the change meets the
// Armijo bound (Hager–Zhang approximate Wolfe test), so that GradTol is
// reachable even where f is large compared with its variation.
// The function-decrease test is Δ < FuncTol·max(|f_old|, |f_new|, 1), Δ
// being f_old − f_new, or the trapezoid estimate for such steps.
func (ws *BoxWorkspace) MinimizeBox(f Func, x, lower, upper []float64, set Settings) (Result, error) {
	n := len(x)
	if f == nil {
		return Result{}, errors.New("optim: MinimizeBox: nil function")
	}
	if len(lower) != n || len(upper) != n {
		return Result{}, fmt.Errorf("optim: MinimizeBox: bad lengths len(x)=%d len(lower)=%d len(upper)=%d", n, len(lower), len(upper))
	}
	if set.MaxIter < 0 || set.Memory < 0 || !(set.GradTol >= 0) || !(set.FuncTol >= 0) {
		return Result{}, fmt.Errorf("optim: MinimizeBox: bad settings %+v", set)
	}
	maxIter, gtol, ftol, mem := set.MaxIter, set.GradTol, set.FuncTol, set.Memory
	if maxIter == 0 {
		maxIter = 200
	}
	if gtol == 0 {
		gtol = 1e-8
	}
	if ftol == 0 {
		ftol = 1e-12
	}
	if mem == 0 {
		mem = 10
	}
	for i := 0; i < n; i++ {
		lo, up := lower[i], upper[i]
		if math.IsNaN(lo) || math.IsNaN(up) || math.IsNaN(x[i]) {
			return Result{}, fmt.Errorf("optim: MinimizeBox: NaN at index %d (x=%v lower=%v upper=%v)", i, x[i], lo, up)
		}
		if lo > up {
			return Result{}, fmt.Errorf("optim: MinimizeBox: lower[%d]=%v > upper[%d]=%v", i, lo, i, up)
		}
	}

	ws.xc = grow(ws.xc, n)
	ws.gc = grow(ws.gc, n)
	ws.xt = grow(ws.xt, n)
	ws.gt = grow(ws.gt, n)
	ws.d = grow(ws.d, n)
	ws.q = grow(ws.q, n)
	ws.s = grow(ws.s, mem*n)
	ws.y = grow(ws.y, mem*n)
	ws.alpha = grow(ws.alpha, mem)
	if cap(ws.free) < n {
		ws.free = make([]bool, n)
	}
	free := ws.free[:n]
	xc, gc, xt, gt, d := ws.xc, ws.gc, ws.xt, ws.gt, ws.d

	for i := 0; i < n; i++ {
		xc[i] = clamp(x[i], lower[i], upper[i])
		if math.IsInf(xc[i], 0) {
			return Result{}, fmt.Errorf("optim: MinimizeBox: x[%d]=%v is infinite after projection into the box", i, xc[i])
		}
	}
	fx := f(xc, gc)
	res := Result{F: fx, Evals: 1}
	if math.IsNaN(fx) {
		return res, errors.New("optim: MinimizeBox: f is NaN at the starting point")
	}
	for i, g := range gc {
		if math.IsNaN(g) {
			return res, fmt.Errorf("optim: MinimizeBox: gradient[%d] is NaN at the starting point", i)
		}
	}

	head, count := 0, 0 // ring of correction pairs: newest at head-1
	smallDecrease := false
	const c1 = 1e-4
	const maxTrials = 40

	for {
		// Projected-gradient test.
		pg := 0.0
		for i := 0; i < n; i++ {
			pg = math.Max(pg, math.Abs(clamp(xc[i]-gc[i], lower[i], upper[i])-xc[i]))
		}
		if pg <= gtol {
			res.Status = StatusGradient
			break
		}
		if smallDecrease {
			res.Status = StatusFunction
			break
		}
		if res.Iterations >= maxIter {
			res.Status = StatusIterations
			break
		}

		// Free set: not pinned to a bound by an outward gradient.
		for i := 0; i < n; i++ {
			lo, up, xi, g := lower[i], upper[i], xc[i], gc[i]
			free[i] = !(lo == up || (xi <= lo && g > 0) || (xi >= up && g < 0))
		}

		accepted := false
		var ft, decrease float64
		for attempt := 0; attempt < 2 && !accepted; attempt++ {
			steep := count == 0
			if !steep {
				ws.twoLoop(n, mem, head, count)
				steep = !ws.prepareDirection(n, lower, upper)
				if steep {
					count = 0
				}
			}
			if steep {
				for i := 0; i < n; i++ {
					if free[i] {
						d[i] = -gc[i]
					} else {
						d[i] = 0
					}
				}
				ws.prepareDirection(n, lower, upper)
			}
			alpha := 1.0
			if steep {
				dmax := 0.0
				for _, v := range d {
					dmax = math.Max(dmax, math.Abs(v))
				}
				if dmax > 1 {
					alpha = 1 / dmax
				}
			}
			// Backtracking along the projected path.
			for trial := 0; trial < maxTrials; trial++ {
				moved := false
				dec := 0.0
				for i := 0; i < n; i++ {
					v := clamp(xc[i]+alpha*d[i], lower[i], upper[i])
					xt[i] = v
					if v != xc[i] {
						moved = true
					}
					dec += gc[i] * (v - xc[i])
				}
				if !moved {
					break
				}
				if !(dec < 0) {
					alpha *= 0.5
					continue
				}
				ft = f(xt, gt)
				res.Evals++
				// Near the minimum f stops resolving the decrease; when the
				// change is within rounding of f, test instead the trapezoid
				// estimate of the decrease from the two directional
				// derivatives (the approximate Wolfe test of Hager and Zhang).
				if math.Abs(ft-fx) <= 64*0x1p-52*math.Abs(fx) {
					dect := 0.0
					for i := 0; i < n; i++ {
						dect += gt[i] * (xt[i] - xc[i])
					}
					if est := 0.5 * (dec + dect); est <= c1*dec {
						accepted = true
						decrease = -est
						break
					}
				} else if ft <= fx+c1*dec {
					accepted = true
					decrease = fx - ft
					break
				}
				if math.IsNaN(ft) || math.IsInf(ft, 0) {
					alpha *= 0.1
					continue
				}
				// Minimiser of the quadratic through f(x), slope dec/α and f(xt).
				an := -dec * alpha / (2 * (ft - fx - dec))
				alpha = math.Min(math.Max(an, 0.1*alpha), 0.5*alpha)
			}
			if !accepted {
				if steep {
					break
				}
				count = 0 // drop the memory and retry with steepest descent
			}
		}
		if !accepted {
			res.Status = StatusLineSearch
			break
		}

		// Store the correction pair s = xt − xc, y = gt − gc.
		sv := ws.s[head*n : (head+1)*n]
		yv := ws.y[head*n : (head+1)*n]
		sy, yy := 0.0, 0.0
		for i := 0; i < n; i++ {
			sv[i] = xt[i] - xc[i]
			yv[i] = gt[i] - gc[i]
			sy += sv[i] * yv[i]
			yy += yv[i] * yv[i]
		}
		if sy > 0x1p-52*yy {
			head = (head + 1) % mem
			count = min(count+1, mem)
		}

		fold := fx
		fx = ft
		ws.xc, ws.xt = xt, xc
		ws.gc, ws.gt = gt, gc
		xc, gc, xt, gt = ws.xc, ws.gc, ws.xt, ws.gt
		res.Iterations++
		res.F = fx
		smallDecrease = decrease < ftol*math.Max(math.Max(math.Abs(fold), math.Abs(fx)), 1)
	}
	copy(x, xc)
	res.F = fx
	return res, nil
}

// twoLoop writes d = −H g restricted to the free variables, H the L-BFGS
// inverse-Hessian approximation from the stored pairs with all inner
// products taken over the free set.
func (ws *BoxWorkspace) twoLoop(n, mem, head, count int) {
	q, d, free, g := ws.q[:n], ws.d[:n], ws.free[:n], ws.gc[:n]
	for i := 0; i < n; i++ {
		if free[i] {
			q[i] = g[i]
		} else {
			q[i] = 0
		}
	}
	gamma := 0.0
	// Newest to oldest.
	for t := 0; t < count; t++ {
		idx := (head - 1 - t + mem) % mem
		s, y := ws.s[idx*n:(idx+1)*n], ws.y[idx*n:(idx+1)*n]
		sy, yy, sq := 0.0, 0.0, 0.0
		for i := 0; i < n; i++ {
			if free[i] {
				sy += s[i] * y[i]
				yy += y[i] * y[i]
				sq += s[i] * q[i]
			}
		}
		if !(sy > 0x1p-52*yy) || yy == 0 {
			ws.alpha[idx] = math.NaN() // skipped pair
			continue
		}
		if gamma == 0 {
			gamma = sy / yy
		}
		a := sq / sy
		ws.alpha[idx] = a
		for i := 0; i < n; i++ {
			if free[i] {
				q[i] -= a * y[i]
			}
		}
	}
	if gamma == 0 {
		gamma = 1
	}
	for i := 0; i < n; i++ {
		q[i] *= gamma
	}
	// Oldest to newest.
	for t := count - 1; t >= 0; t-- {
		idx := (head - 1 - t + mem) % mem
		a := ws.alpha[idx]
		if math.IsNaN(a) {
			continue
		}
		s, y := ws.s[idx*n:(idx+1)*n], ws.y[idx*n:(idx+1)*n]
		sy, yr := 0.0, 0.0
		for i := 0; i < n; i++ {
			if free[i] {
				sy += s[i] * y[i]
				yr += y[i] * q[i]
			}
		}
		b := yr / sy
		for i := 0; i < n; i++ {
			if free[i] {
				q[i] += (a - b) * s[i]
			}
		}
	}
	for i := 0; i < n; i++ {
		d[i] = -q[i]
	}
}

// prepareDirection zeroes the components of d that point out of the box
// from a variable already on that bound, and reports whether the result
// is a finite descent direction.
func (ws *BoxWorkspace) prepareDirection(n int, lower, upper []float64) bool {
	d, x, g := ws.d[:n], ws.xc[:n], ws.gc[:n]
	gd := 0.0
	for i := 0; i < n; i++ {
		if (d[i] < 0 && x[i] <= lower[i]) || (d[i] > 0 && x[i] >= upper[i]) {
			d[i] = 0
		}
		gd += g[i] * d[i]
	}
	return gd < 0 && !math.IsInf(gd, 0)
}

func clamp(v, lo, up float64) float64 {
	if v < lo {
		return lo
	}
	if v > up {
		return up
	}
	return v
}
