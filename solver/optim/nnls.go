package optim

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// ErrNotConverged is returned (wrapped) by NNLS when the active-set
// iteration does not finish within its iteration budget.
var ErrNotConverged = errors.New("optim: did not converge")

// NNLSWorkspace holds the scratch memory of NNLS. The zero value is ready
// to use; it grows to the largest problem seen and is then reused, so a
// workspace kept by the caller makes repeated solves allocation-free.
// A workspace must not be used by two goroutines at once.
type NNLSWorkspace struct {
	qr      []float64 // m×k copy of A, Householder QR in place
	tau     []float64 // Householder scalars of qr
	c       []float64 // Qᵀb (length m)
	sub     []float64 // r×p passive columns of R, factored in place
	subTau  []float64
	rhs     []float64 // r
	res     []float64 // r, then m for the final residual
	w       []float64 // k, dual vector Rᵀ(c − R x)
	z       []float64 // k, passive least-squares solution
	passive []int     // indices of the passive set, in order of entry
	inP     []bool    // k
	reject  []bool    // k, columns refused since x last changed
}

var nnlsPool = sync.Pool{New: func() any { return new(NNLSWorkspace) }}

// NNLS solves min ‖A x − b‖₂ subject to x ≥ 0 (Lawson–Hanson active set).
// A is m×k column-major: column j is a[j*m:(j+1)*m]. x (len k) receives the
// solution. Returns the residual norm ‖A x − b‖₂. Errors on bad lengths,
// non-finite input, or if it fails to converge in 3k outer iterations.
//
// NNLS takes its scratch memory from an internal pool; use an
// NNLSWorkspace to manage it yourself.
func NNLS(a []float64, m, k int, b, x []float64) (float64, error) {
	ws := nnlsPool.Get().(*NNLSWorkspace)
	defer nnlsPool.Put(ws)
	return ws.NNLS(a, m, k, b, x)
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// NNLS is the package-level NNLS using the scratch memory of ws.
//
// Method: A is reduced once by a Householder QR to R (min(m,k)×k, upper
// trapezoidal) and c = Qᵀb, so ‖A x − b‖² = ‖R x − c₁‖² + ‖c₂‖². The
// Lawson–Hanson iteration then runs on the small problem, solving each
// passive-set least-squares subproblem by a fresh QR of the passive
// columns of R (never by normal equations, so conditioning is not
// squared). A column that is numerically dependent on the passive set is
// refused, which keeps rank-deficient and m < k problems well defined.
// The returned residual is recomputed from A, b and x.
func (ws *NNLSWorkspace) NNLS(a []float64, m, k int, b, x []float64) (float64, error) {
	if m < 0 || k < 0 {
		return 0, fmt.Errorf("optim: NNLS: negative dimension m=%d k=%d", m, k)
	}
	if len(a) != m*k || len(b) != m || len(x) != k {
		return 0, fmt.Errorf("optim: NNLS: bad lengths len(a)=%d (want m*k=%d), len(b)=%d (want %d), len(x)=%d (want %d)",
			len(a), m*k, len(b), m, len(x), k)
	}
	for i, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("optim: NNLS: non-finite a[%d]=%v", i, v)
		}
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("optim: NNLS: non-finite b[%d]=%v", i, v)
		}
	}
	for j := range x {
		x[j] = 0
	}
	if k == 0 || m == 0 {
		return nrm2(b), nil
	}
	r := min(m, k)

	ws.qr = grow(ws.qr, m*k)
	copy(ws.qr, a)
	ws.tau = grow(ws.tau, r)
	ws.c = grow(ws.c, m)
	copy(ws.c, b)
	ws.sub = grow(ws.sub, r*k)
	ws.subTau = grow(ws.subTau, r)
	ws.rhs = grow(ws.rhs, r)
	ws.res = grow(ws.res, m)
	ws.w = grow(ws.w, k)
	ws.z = grow(ws.z, k)
	if cap(ws.passive) < k {
		ws.passive = make([]int, 0, k)
		ws.inP = make([]bool, k)
		ws.reject = make([]bool, k)
	}
	passive := ws.passive[:0]
	inP := ws.inP[:k]
	reject := ws.reject[:k]
	for j := 0; j < k; j++ {
		inP[j] = false
		reject[j] = false
	}

	// Column scale of A and ‖b‖ for the tolerances.
	maxCol := 0.0
	for j := 0; j < k; j++ {
		maxCol = math.Max(maxCol, nrm2(a[j*m:(j+1)*m]))
	}
	bnorm := nrm2(b)
	const eps = 0x1p-52
	tol := 10 * eps * float64(max(m, k)) * maxCol * bnorm
	depTol := 100 * eps * float64(r)

	householderQR(ws.qr, m, r, k, ws.tau)
	applyQT(ws.qr, m, r, ws.tau, ws.c)
	qr, c := ws.qr, ws.c[:r]
	w, z := ws.w, ws.z

	// dual computes w = Rᵀ(c − R x) on the free set.
	dual := func() {
		res := ws.res[:r]
		copy(res, c)
		for j := 0; j < k; j++ {
			if xj := x[j]; xj != 0 {
				col := qr[j*m:]
				for i := 0; i <= min(j, r-1); i++ {
					res[i] -= col[i] * xj
				}
			}
		}
		for j := 0; j < k; j++ {
			col := qr[j*m:]
			s := 0.0
			for i := 0; i <= min(j, r-1); i++ {
				s += col[i] * res[i]
			}
			w[j] = s
		}
	}

	// solveP solves min ‖R_P z_P − c‖ for the passive set into z. If
	// checkLast, it reports false when the last passive column is
	// numerically dependent on the others.
	solveP := func(checkLast bool) bool {
		p := len(passive)
		if p > r {
			return false
		}
		sub := ws.sub[:r*p]
		for t, j := range passive {
			col := sub[t*r : (t+1)*r]
			src := qr[j*m:]
			for i := 0; i < r; i++ {
				if i <= j {
					col[i] = src[i]
				} else {
					col[i] = 0
				}
			}
		}
		lastNorm := 0.0
		if checkLast {
			lastNorm = nrm2(sub[(p-1)*r : p*r])
		}
		householderQR(sub, r, p, p, ws.subTau)
		if checkLast {
			d := math.Abs(sub[(p-1)*r+p-1])
			if !(d > depTol*lastNorm) {
				return false
			}
		}
		rhs := ws.rhs[:r]
		copy(rhs, c)
		applyQT(sub, r, p, ws.subTau, rhs)
		for t := p - 1; t >= 0; t-- {
			s := rhs[t]
			for u := t + 1; u < p; u++ {
				s -= sub[u*r+t] * rhs[u]
			}
			rhs[t] = s / sub[t*r+t]
		}
		for t, j := range passive {
			z[j] = rhs[t]
		}
		return true
	}

	maxOuter := 3 * k
	outer := 0
	for {
		dual()
		jmax, wmax := -1, tol
		for j := 0; j < k; j++ {
			if !inP[j] && !reject[j] && w[j] > wmax {
				jmax, wmax = j, w[j]
			}
		}
		if jmax < 0 {
			break
		}
		if outer >= maxOuter {
			ws.passive = passive
			return residual(a, m, k, b, x, ws.res), fmt.Errorf("optim: NNLS: %w in %d outer iterations", ErrNotConverged, maxOuter)
		}
		outer++

		passive = append(passive, jmax)
		inP[jmax] = true
		if !solveP(true) || !(z[jmax] > 0) {
			// Dependent column, or rounding makes the step useless:
			// refuse it until x changes.
			passive = passive[:len(passive)-1]
			inP[jmax] = false
			reject[jmax] = true
			continue
		}
		for inner := 0; ; inner++ {
			qmin, alpha := -1, math.Inf(1)
			for _, q := range passive {
				if z[q] <= 0 {
					if t := x[q] / (x[q] - z[q]); t < alpha {
						qmin, alpha = q, t
					}
				}
			}
			if qmin < 0 {
				break
			}
			if inner > 3*k {
				ws.passive = passive
				return residual(a, m, k, b, x, ws.res), fmt.Errorf("optim: NNLS: %w (inner loop)", ErrNotConverged)
			}
			kept := passive[:0]
			for _, q := range passive {
				x[q] += alpha * (z[q] - x[q])
				if q == qmin || x[q] <= 0 {
					x[q] = 0
					inP[q] = false
				} else {
					kept = append(kept, q)
				}
			}
			passive = kept
			if len(passive) == 0 {
				break
			}
			solveP(false)
		}
		for _, q := range passive {
			x[q] = z[q]
		}
		for j := 0; j < k; j++ {
			reject[j] = false
		}
	}
	ws.passive = passive
	return residual(a, m, k, b, x, ws.res), nil
}

// residual returns ‖A x − b‖₂, using buf (len ≥ m) as scratch.
func residual(a []float64, m, k int, b, x, buf []float64) float64 {
	res := buf[:m]
	for i := range res {
		res[i] = -b[i]
	}
	for j := 0; j < k; j++ {
		if xj := x[j]; xj != 0 {
			col := a[j*m : (j+1)*m]
			for i, v := range col {
				res[i] += v * xj
			}
		}
	}
	return nrm2(res)
}

// householderQR factors the first ncols columns of the m-row column-major
// matrix q in place, with reflectors for the first r columns (r ≤ min(m,
// ncols)). On return R is in the upper triangle and the reflector vectors
// (implicit leading 1) below the diagonal, as in LAPACK dgeqr2.
func householderQR(q []float64, m, r, ncols int, tau []float64) {
	for j := 0; j < r; j++ {
		col := q[j*m : (j+1)*m]
		alpha := col[j]
		xnorm := nrm2(col[j+1:])
		if xnorm == 0 {
			tau[j] = 0
			continue
		}
		beta := -math.Copysign(math.Hypot(alpha, xnorm), alpha)
		tau[j] = (beta - alpha) / beta
		scale := 1 / (alpha - beta)
		v := col[j+1:]
		for i := range v {
			v[i] *= scale
		}
		col[j] = beta
		t := tau[j]
		for l := j + 1; l < ncols; l++ {
			cl := q[l*m : (l+1)*m]
			s := cl[j] + dot(v, cl[j+1:])
			s *= t
			cl[j] -= s
			axpy(-s, v, cl[j+1:])
		}
	}
}

// applyQT overwrites c (len m) with Qᵀc for the reflectors in q, tau.
func applyQT(q []float64, m, r int, tau, c []float64) {
	for j := 0; j < r; j++ {
		if tau[j] == 0 {
			continue
		}
		v := q[j*m+j+1 : (j+1)*m]
		s := (c[j] + dot(v, c[j+1:])) * tau[j]
		c[j] -= s
		axpy(-s, v, c[j+1:])
	}
}

func dot(x, y []float64) float64 {
	y = y[:len(x)]
	s0, s1, s2, s3 := 0.0, 0.0, 0.0, 0.0
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy sets y += a*x.
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

// nrm2 returns the Euclidean norm of x without undue overflow/underflow.
func nrm2(x []float64) float64 {
	s := dot(x, x)
	if s > 1e-290 && s < 1e290 || s == 0 {
		return math.Sqrt(s)
	}
	scale, ssq := 0.0, 1.0
	for _, v := range x {
		if v == 0 {
			continue
		}
		av := math.Abs(v)
		if scale < av {
			ssq = 1 + ssq*(scale/av)*(scale/av)
			scale = av
		} else {
			ssq += (av / scale) * (av / scale)
		}
	}
	return scale * math.Sqrt(ssq)
}
