package ae

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/nn"
	"gonum.org/v1/gonum/mat"
)

// The exact population loss of c = sign(Bx), x̂ = A c + β (notes §2–3).
//
// Conditional on the support mask s (the set S of non-zero coordinates;
// all of them for a Gaussian source), x_S ~ N(0, σ²I) with σ² = 1/p, so
// with b_i^S the part of row i on S, ν_i = ‖b_i^S‖ and ρ_ij the cosine of
// b_i^S and b_j^S,
//
//	E[x c_i | s]   = √(2/π)·σ·b_i^S/ν_i          (on S, zero elsewhere)
//	E[c_i c_j | s] = (2/π)·arcsin ρ_ij,  1 on the diagonal
//	E[c_i | s]     = 0
//
// A row that sees no active coordinate (ν_i = 0) has Bx = 0 exactly: its
// code is +1 (TiePlus: E[x c_i] = 0, E[c_i c_j] = E[c_j], E c_i = 1) or 0
// (TieZero: every moment 0). With the moments averaged over masks (Monte
// Carlo, a fixed number per evaluation; one exact "mask" for a Gaussian),
//
//	R = (1/d)·(E‖x‖² − 2⟨A, E[x cᵀ]⟩ + ⟨AᵀA, E[c cᵀ]⟩ + 2βᵀA E[c] + ‖β‖²),
//
// smooth in (A, β, B) with exact gradients. The moments are invariant to
// positive scaling of B's rows, so their gradients are tangent to the rows'
// spheres: for a loss whose derivatives are G_C = ∂R/∂E[x cᵀ] and
// G_K = ∂R/∂E[c cᵀ], with b̂_i = b_i^S/ν_i,
//
//	∂/∂b_i^S ⟨G_C, E[x cᵀ]⟩ = √(2/π)·σ/ν_i·(g_i − (g_i·b̂_i) b̂_i),  g_i = G_C[S, i]
//	∂/∂b_i^S ⟨G_K, E[c cᵀ]⟩ = (2/ν_i)·Σ_j W_ij (b̂_j − ρ_ij b̂_i),
//	W_ij = G_K,ij·(2/π)/√(1 − ρ_ij²)  (i ≠ j)
//
// (‖b̂_j − ρ_ij b̂_i‖ = √(1 − ρ_ij²), so each term stays bounded as rows
// align; 1 − ρ² is floored for the division only). Tie rows get no
// gradient: the code does not change when they move a little.

// Tie is the value given to sign(0).
type Tie int

const (
	// TiePlus: sign(0) = +1, a true 1-bit code (the default).
	TiePlus Tie = iota
	// TieZero: sign(0) = 0, a ternary code (numpy's and torch's sign):
	// codes carry a second bit plane, the support of Bx.
	TieZero
)

func (t Tie) String() string {
	if t == TieZero {
		return "zero"
	}
	return "plus"
}

// moments are the population moments of the code, averaged over masks.
type moments struct {
	d, n int
	exx  float64   // E‖x‖²
	cxc  []float64 // d×n, E[x cᵀ]
	k    []float64 // n×n, E[c cᵀ]
	mc   []float64 // n, E[c]
	gB   []float64 // n×d, ∂R/∂B for the G_C, G_K given to the evaluation
}

func newMoments(d, n int, grad bool) *moments {
	m := &moments{d: d, n: n, cxc: make([]float64, d*n), k: make([]float64, n*n), mc: make([]float64, n)}
	if grad {
		m.gB = make([]float64, n*d)
	}
	return m
}

func (m *moments) add(o *moments) {
	m.exx += o.exx
	addTo(m.cxc, o.cxc)
	addTo(m.k, o.k)
	addTo(m.mc, o.mc)
	if m.gB != nil {
		addTo(m.gB, o.gB)
	}
}

func (m *moments) scale(s float64) {
	m.exx *= s
	for _, v := range [][]float64{m.cxc, m.k, m.mc, m.gB} {
		for i := range v {
			v[i] *= s
		}
	}
}

func addTo(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

// popChunks is the number of pieces the masks of one evaluation are cut
// into, whatever the number of workers: each piece is summed in mask order
// and the pieces in piece order, so results do not depend on Workers.
const popChunks = 8

// population evaluates the moments of a source's code.
type population struct {
	src     Source
	tie     Tie
	d, n    int
	workers int
}

func newPopulation(src Source, tie Tie, d, n, workers int) (*population, error) {
	if err := src.validate(); err != nil {
		return nil, err
	}
	if src.Law == SparseRademacher {
		return nil, fmt.Errorf("ae: the exact population loss needs Gaussian conditionals (gauss, bg), not %s: train on samples", src.Law)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &population{src: src, tie: tie, d: d, n: n, workers: min(workers, popChunks)}, nil
}

// drawMasks draws count support masks (the active coordinates, ascending)
// from r; a Gaussian source has the one full mask. The masks' sizes are
// stratified: mask c has the size at the quantile (c + u_c)/count of
// Binomial(d, p), u_c uniform, and a uniformly random support of that
// size. Mask c's size is confined to its quantile stratum, so no single
// mask is distributed as the source's support; but the mixture over c (c
// uniform) is the source's law, so the average over the masks is
// unbiased, and the loss, which grows with the number of active
// coordinates, no longer carries the binomial's spread of |S| as noise.
func (p *population) drawMasks(count int, r *prng.Stream) [][]int {
	perm := make([]int, p.d)
	for i := range perm {
		perm[i] = i
	}
	if p.src.Law == Gaussian {
		return [][]int{perm}
	}
	cdf := binomialCDF(p.d, p.src.P)
	masks := make([][]int, count)
	for c := range masks {
		u := (float64(c) + r.Uniform()) / float64(count)
		size, _ := slices.BinarySearch(cdf, u) // smallest k with CDF(k) ≥ u
		size = min(size, p.d)
		for i := range size { // partial Fisher–Yates
			j := i + r.IntN(p.d-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		masks[c] = slices.Sorted(slices.Values(perm[:size]))
	}
	return masks
}

// binomialCDF is P(K ≤ k) for K ~ Binomial(d, p), k = 0…d.
func binomialCDF(d int, p float64) []float64 {
	cdf := make([]float64, d+1)
	lp, lq := math.Log(p), math.Log1p(-p)
	var s float64
	for k := range cdf {
		lg := lgamma(d+1) - lgamma(k+1) - lgamma(d-k+1)
		if p < 1 {
			s += math.Exp(lg + float64(k)*lp + float64(d-k)*lq)
		} else if k == d {
			s = 1
		}
		cdf[k] = s
	}
	cdf[d] = math.Inf(1) // every u < 1 lands at or below d
	return cdf
}

func lgamma(n int) float64 {
	v, _ := math.Lgamma(float64(n))
	return v
}

// eval returns the moments of the code sign(Bx) averaged over the masks,
// and, if gc and gk are given (∂R/∂E[x cᵀ], d×n, and ∂R/∂E[c cᵀ], n×n,
// symmetric), the gradient of R with respect to B through them.
func (p *population) eval(b []float64, masks [][]int, gc, gk []float64) *moments {
	grad := gc != nil
	chunks := min(popChunks, len(masks))
	parts := make([]*moments, chunks)
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := range chunks {
		next <- c
	}
	close(next)
	for range min(p.workers, chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &maskWork{}
			for c := range next {
				part := newMoments(p.d, p.n, grad)
				for _, s := range masks[c*len(masks)/chunks : (c+1)*len(masks)/chunks] {
					p.maskTerms(b, s, gc, gk, part, w)
				}
				parts[c] = part
			}
		}()
	}
	wg.Wait()
	out := parts[0]
	for _, part := range parts[1:] {
		out.add(part)
	}
	out.scale(1 / float64(len(masks)))
	return out
}

// maskWork is one worker's scratch.
type maskWork struct {
	bh, rho, w, wb, gs []float64
	nu                 []float64
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// maskTerms adds the moments given the support s (and their gradient) to acc.
func (p *population) maskTerms(b []float64, s []int, gc, gk []float64, acc *moments, w *maskWork) {
	d, n, ns := p.d, p.n, len(s)
	sigma := 1 / math.Sqrt(p.src.p())
	acc.exx += float64(ns) / p.src.p()
	w.nu = grow(w.nu, n)
	w.bh = grow(w.bh, n*ns)
	for i := range n {
		row, bh := b[i*d:(i+1)*d], w.bh[i*ns:(i+1)*ns]
		var ss float64
		for q, k := range s {
			bh[q] = row[k]
			ss += row[k] * row[k]
		}
		nu := math.Sqrt(ss)
		w.nu[i] = nu
		if nu > 0 {
			for q := range bh {
				bh[q] /= nu
			}
		}
	}
	tie := func(i int) bool { return w.nu[i] == 0 }
	// E[c cᵀ | s] and E[c | s]
	w.rho = grow(w.rho, n*n)
	if ns > 0 {
		nn.Gemm(false, true, n, n, ns, 1, w.bh, ns, w.bh, ns, 0, w.rho, n)
	} else {
		clear(w.rho)
	}
	const twoPi = 2 / math.Pi
	grad := gc != nil && ns > 0
	if grad {
		w.w = grow(w.w, n*n)
		clear(w.w)
	}
	for i := range n {
		ki := acc.k[i*n : (i+1)*n]
		if tie(i) {
			if p.tie == TiePlus {
				acc.mc[i]++
				for j := range n {
					if tie(j) {
						ki[j]++ // both +1
					}
				}
			}
			continue
		}
		ki[i]++
		for j := i + 1; j < n; j++ {
			if tie(j) {
				continue
			}
			r := clampUnit(w.rho[i*n+j])
			v := twoPi * asin(r)
			ki[j] += v
			acc.k[j*n+i] += v
			if grad { // W_ij, symmetric
				g := gk[i*n+j] * twoPi / math.Sqrt(max(1-r*r, 1e-24))
				w.w[i*n+j], w.w[j*n+i] = g, g
			}
		}
	}
	// E[x cᵀ | s]: column i is √(2/π)·σ·b̂_i on S
	cx := math.Sqrt(twoPi) * sigma
	for i := range n {
		if tie(i) {
			continue
		}
		bh := w.bh[i*ns : (i+1)*ns]
		for q, k := range s {
			acc.cxc[k*n+i] += cx * bh[q]
		}
	}
	if !grad {
		return
	}
	// the gradient with respect to b_i^S, into w.gs (n×ns)
	w.gs = grow(w.gs, n*ns)
	w.wb = grow(w.wb, n*ns)
	nn.Gemm(false, false, n, ns, n, 1, w.w, n, w.bh, ns, 0, w.wb, ns)
	for i := range n {
		gs := w.gs[i*ns : (i+1)*ns]
		if tie(i) {
			clear(gs)
			continue
		}
		bh, wb := w.bh[i*ns:(i+1)*ns], w.wb[i*ns:(i+1)*ns]
		var dot, sw float64
		for q, k := range s {
			gs[q] = gc[k*n+i]
			dot += gs[q] * bh[q]
		}
		wi := w.w[i*n : (i+1)*n]
		for j, v := range wi {
			sw += v * w.rho[i*n+j]
		}
		fc, fk := cx/w.nu[i], 2/w.nu[i]
		for q := range gs {
			gs[q] = fc*(gs[q]-dot*bh[q]) + fk*(wb[q]-sw*bh[q])
		}
	}
	for i := range n {
		gs, gb := w.gs[i*ns:(i+1)*ns], acc.gB[i*d:(i+1)*d]
		for q, k := range s {
			gb[k] += gs[q]
		}
	}
}

func clampUnit(r float64) float64 { return max(-1, min(1, r)) }

// loss is R(A, β) for the moments (β may be nil: no bias), per coordinate.
func (m *moments) loss(a, beta []float64) float64 { return m.lossGrad(a, beta, nil, nil) }

// lossGrad is loss, and if ga is not nil it also writes ∂R/∂A (d×n) and,
// with a bias, ∂R/∂β (d) into ga and gbeta:
//
//	∂R/∂A = (2/d)(A K − E[x cᵀ] + β E[c]ᵀ),  ∂R/∂β = (2/d)(A E[c] + β).
func (m *moments) lossGrad(a, beta, ga, gbeta []float64) float64 {
	d, n := m.d, m.n
	ak := ga
	if ak == nil {
		ak = make([]float64, d*n)
	}
	nn.Gemm(false, false, d, n, n, 1, a, n, m.k, n, 0, ak, n) // A K, K symmetric
	var r float64
	inv := 2 / float64(d)
	for i := range d {
		ai, aki, ci := a[i*n:(i+1)*n], ak[i*n:(i+1)*n], m.cxc[i*n:(i+1)*n]
		r += dot(ai, aki) - 2*dot(ai, ci)
		var am float64
		if beta != nil {
			am = dot(ai, m.mc)
			r += 2*beta[i]*am + beta[i]*beta[i]
		}
		if ga == nil {
			continue
		}
		for j := range aki {
			g := aki[j] - ci[j]
			if beta != nil {
				g += beta[i] * m.mc[j]
			}
			aki[j] = inv * g
		}
		if beta != nil {
			gbeta[i] = inv * (am + beta[i])
		}
	}
	return (m.exx + r) / float64(d)
}

// lossGrads are G_C = ∂R/∂E[x cᵀ] = −2A/d and G_K = ∂R/∂E[c cᵀ] = AᵀA/d,
// what eval needs for the gradient with respect to B.
func lossGrads(a []float64, d, n int) (gc, gk []float64) {
	gc = make([]float64, d*n)
	for i, v := range a {
		gc[i] = -2 * v / float64(d)
	}
	gk = make([]float64, n*n)
	nn.Gemm(true, false, n, n, d, 1/float64(d), a, n, a, n, 0, gk, n)
	return gc, gk
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// leastSquares is the best decoder for the moments: A = E[x cᵀ]E[c cᵀ]⁻¹,
// or with a bias the best affine one (the system augmented by the constant
// code 1; E x = 0 for every source here). A tiny ridge keeps it solvable
// when codes repeat (tied or parallel rows). Non-finite moments (a
// diverged training) are an error.
func (m *moments) leastSquares(affine bool) (a, beta []float64, err error) {
	d, n := m.d, m.n
	for _, v := range [][]float64{m.k, m.mc, m.cxc} {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil, fmt.Errorf("ae: the code moments are not finite (training diverged: lower the learning rate)")
			}
		}
	}
	na := n
	if affine {
		na++
	}
	k := mat.NewSymDense(na, nil)
	var tr float64
	for i := range n {
		for j := i; j < n; j++ {
			k.SetSym(i, j, m.k[i*n+j])
		}
		tr += m.k[i*n+i]
		if affine {
			k.SetSym(i, n, m.mc[i])
		}
	}
	if affine {
		k.SetSym(n, n, 1)
		tr++
	}
	ridge := 1e-10 * max(tr/float64(na), 1e-300)
	var chol mat.Cholesky
	for !chol.Factorize(k) {
		for i := range na {
			k.SetSym(i, i, k.At(i, i)+ridge)
		}
		ridge *= 10
	}
	rhs := mat.NewDense(na, d, nil) // (E[x c̃ᵀ])ᵀ, solved as K̃ X = rhs
	for i := range d {
		for j := range n {
			rhs.Set(j, i, m.cxc[i*n+j])
		}
	}
	var sol mat.Dense
	if err := chol.SolveTo(&sol, rhs); err != nil {
		return nil, nil, fmt.Errorf("ae: least squares: %w", err)
	}
	a = make([]float64, d*n)
	for i := range d {
		for j := range n {
			a[i*n+j] = sol.At(j, i)
		}
	}
	if affine {
		beta = make([]float64, d)
		for i := range d {
			beta[i] = sol.At(n, i)
		}
	}
	return a, beta, nil
}

// channels are the scalar channels of the decoder's linear estimate
// y = A c + β (notes §5), one per coordinate: μ_i = E[x_i y_i],
// σ_i² = E y_i² − μ_i².
func (m *moments) channels(a, beta []float64) []Channel {
	d, n := m.d, m.n
	ak := make([]float64, d*n)
	nn.Gemm(false, false, d, n, n, 1, a, n, m.k, n, 0, ak, n)
	ch := make([]Channel, d)
	for i := range d {
		ai := a[i*n : (i+1)*n]
		ey2 := dot(ai, ak[i*n:(i+1)*n])
		if beta != nil {
			ey2 += 2*beta[i]*dot(ai, m.mc) + beta[i]*beta[i]
		}
		ch[i] = newChannel(dot(ai, m.cxc[i*n:(i+1)*n]), ey2)
	}
	return ch
}
