package solver

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/clkit/clkit/rff"
	"github.com/clkit/clkit/solver/optim"
)

// CL-OMPR, shared by KMeans (Dirac atoms) and GMM (diagonal Gaussians).
//
// An atom family maps p parameters per atom, in box coordinates (means as
// u = (x − lower)/span ∈ [0,1]^d, variances divided by span²), to atom
// sketches. Working in box coordinates keeps every parameter of order one
// whatever the data's units, which L-BFGS needs.
type atomFamily interface {
	params() int                     // parameters per atom
	bounds(lo, hi []float64)         // per-atom parameter box (length params())
	start(r *rand.Rand, θ []float64) // a random initial atom
	// sketches writes the sketches of the k = len(θ)/params() atoms (k×m).
	sketches(θ, re, im []float64)
	// vjps writes vals[k] = Re⟨A_k, r⟩ and its gradient with respect to θ_k
	// (k×params()), given the atoms' sketches re, im.
	vjps(θ, re, im, rRe, rIm, vals, grads []float64)
	// corr returns Re⟨A/‖A‖, r⟩ for one atom and writes its gradient.
	corr(θ, rRe, rIm, grad []float64) float64
	// norms writes ‖A_k‖.
	norms(θ, out []float64)
	// toData converts parameters to data units (for results).
	toData(θ []float64) []float64
}

// ompOptions are the engine's settings (see KMeansOptions).
type ompOptions struct {
	replicates, workers              int
	seed                             uint64
	atomStarts, atomIter, refineIter int
	candidates                       int
}

func (o *ompOptions) defaults() {
	if o.replicates <= 0 {
		o.replicates = 5
	}
	if o.workers <= 0 {
		o.workers = runtime.GOMAXPROCS(0)
	}
	if o.atomStarts <= 0 {
		o.atomStarts = 3
	}
	if o.atomIter <= 0 {
		o.atomIter = 100
	}
	if o.refineIter <= 0 {
		o.refineIter = 60
	}
}

// candidateCount is how many random atoms a search screens: a fixed budget
// of about 2.5e5 atom·frequency evaluations (so 4096 at small m, 250 at
// m = 1000), unless set.
func (o ompOptions) candidateCount(m int) int {
	if o.candidates > 0 {
		return max(o.candidates, o.atomStarts)
	}
	return max(o.atomStarts, min(4096, max(64, 250000/m)))
}

// ompSketch is the normalised sketch every replicate fits.
type ompSketch struct {
	f        *rff.Frequencies
	m        int
	zRe, zIm []float64
	zz       []float64 // [zRe; zIm]
	zNorm    float64
}

// sketchBox returns lower, upper, or the sketch's box when both are nil
// and it has one.
func sketchBox(s *rff.Sketch, lower, upper []float64) ([]float64, []float64) {
	if lower == nil && upper == nil && s != nil {
		if lo, hi, ok := s.Box(); ok {
			return lo, hi
		}
	}
	return lower, upper
}

// checkSketch validates the common inputs: sketch, K, box. An atom has
// perAtom(d) unknowns (its weight included).
func checkSketch(s *rff.Sketch, K int, perAtom func(d int) int, lower, upper []float64) (*ompSketch, []float64, error) {
	if s == nil {
		return nil, nil, errors.New("solver: nil sketch")
	}
	f := s.Frequencies()
	d, m := f.D(), f.M()
	unknownsPerAtom := perAtom(d)
	if K <= 0 {
		return nil, nil, fmt.Errorf("solver: K=%d must be positive", K)
	}
	// 2m real measurements must at least match the unknowns.
	if K*unknownsPerAtom > 2*m {
		return nil, nil, fmt.Errorf("solver: K=%d atoms with %d parameters each need at least m=%d frequencies, the sketch has %d",
			K, unknownsPerAtom, (K*unknownsPerAtom+1)/2, m)
	}
	if !(s.Weight() > 0) {
		return nil, nil, errors.New("solver: the sketch is empty (zero total weight)")
	}
	if len(lower) != d || len(upper) != d {
		return nil, nil, fmt.Errorf("solver: bounds have %d and %d values, want d=%d (options Lower/Upper are required when the sketch has no box)", len(lower), len(upper), d)
	}
	span := make([]float64, d)
	for i := range d {
		if !(lower[i] <= upper[i]) || math.IsInf(lower[i], 0) || math.IsInf(upper[i], 0) {
			return nil, nil, fmt.Errorf("solver: bounds [%v, %v] of dimension %d are not a finite interval", lower[i], upper[i], i)
		}
		// A flat dimension still needs a non-zero unit.
		span[i] = max(upper[i]-lower[i], 1e-12*max(1, math.Abs(lower[i])))
	}
	z := &ompSketch{f: f, m: m}
	z.zRe, z.zIm = s.Z()
	var n2 float64
	for j := range m {
		if math.IsNaN(z.zRe[j]) || math.IsNaN(z.zIm[j]) || math.IsInf(z.zRe[j], 0) || math.IsInf(z.zIm[j], 0) {
			return nil, nil, fmt.Errorf("solver: sketch entry %d is not finite", j)
		}
		n2 += z.zRe[j]*z.zRe[j] + z.zIm[j]*z.zIm[j]
	}
	if z.zNorm = math.Sqrt(n2); z.zNorm == 0 {
		return nil, nil, errors.New("solver: the sketch is zero")
	}
	z.zz = append(slices.Clone(z.zRe), z.zIm...)
	return z, span, nil
}

// ompFit is one replicate's result.
type ompFit struct {
	θ, alpha []float64
	resid    float64 // ‖z − Σ α_k A_k‖ / ‖z‖
}

// ompResult gathers the replicates.
type ompResult struct {
	best      ompFit
	index     int
	residuals []float64
}

// clompr runs o.replicates independent CL-OMPR fits in parallel (each with
// its own family instance from newFam and its own random stream) and keeps
// the smallest residual.
func clompr(z *ompSketch, newFam func() atomFamily, K int, o ompOptions) (ompResult, error) {
	o.defaults()
	fits := make([]ompFit, o.replicates)
	errs := make([]error, o.replicates)
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.workers)
	for r := range fits {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rng := rand.New(rand.NewPCG(o.seed, uint64(r)+1))
			fits[r], errs[r] = newOMPRun(z, newFam(), K).run(rng, o)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return ompResult{}, err
	}
	res := ompResult{residuals: make([]float64, len(fits))}
	for r, f := range fits {
		res.residuals[r] = f.resid
	}
	res.index = slices.Index(res.residuals, slices.Min(res.residuals))
	res.best = fits[res.index]
	return res, nil
}

// ompRun is one replicate: its buffers, reused across steps.
type ompRun struct {
	z          *ompSketch
	fam        atomFamily
	K, p       int
	rRe, rIm   []float64 // residual
	aRe, aIm   []float64 // atoms' sketches, k×m
	vals, grad []float64
	norms      []float64
	mat        []float64 // NNLS matrix, 2m×k column-major
	lo, hi     []float64 // one atom's parameter box
}

func newOMPRun(z *ompSketch, fam atomFamily, K int) *ompRun {
	p, m := fam.params(), z.m
	r := &ompRun{z: z, fam: fam, K: K, p: p,
		rRe: slices.Clone(z.zRe), rIm: slices.Clone(z.zIm),
		aRe: make([]float64, (K+1)*m), aIm: make([]float64, (K+1)*m),
		vals: make([]float64, K+1), grad: make([]float64, (K+1)*p), norms: make([]float64, K+1),
		mat: make([]float64, 2*m*(K+1)), lo: make([]float64, p), hi: make([]float64, p)}
	fam.bounds(r.lo, r.hi)
	return r
}

func (r *ompRun) run(rng *rand.Rand, o ompOptions) (ompFit, error) {
	p, K := r.p, r.K
	var θ, alpha []float64 // support: k×p parameters, k weights
	for range 2 * K {
		// 1. The atom most correlated with the residual. The correlation
		// oscillates at the frequencies' scale, so a random start rarely
		// lies in the right basin: screen many random candidates and run
		// L-BFGS from the best few.
		best, bestVal := []float64(nil), math.Inf(1)
		for _, θ0 := range r.candidates(rng, o.candidateCount(r.z.m), o.atomStarts) {
			v, err := r.searchAtom(θ0, o.atomIter)
			if err != nil {
				return ompFit{}, err
			}
			if v < bestVal {
				best, bestVal = θ0, v
			}
		}
		θ = append(θ, best...)
		k := len(θ) / p
		// 2. Back to K atoms: drop the smallest NNLS coefficient on the
		// normalised atoms.
		if k > K {
			r.fam.norms(θ, r.norms[:k])
			beta, err := r.nnls(θ, r.norms[:k])
			if err != nil {
				return ompFit{}, err
			}
			drop := slices.Index(beta, slices.Min(beta))
			θ = slices.Delete(θ, drop*p, (drop+1)*p)
		}
		// 3. Weights by NNLS; 4. joint refinement (leaves the residual).
		var err error
		if alpha, err = r.nnls(θ, nil); err != nil {
			return ompFit{}, err
		}
		if err := r.refine(θ, alpha, o.refineIter); err != nil {
			return ompFit{}, err
		}
	}
	if err := r.refine(θ, alpha, 5*o.refineIter); err != nil {
		return ompFit{}, err
	}
	return ompFit{θ: θ, alpha: alpha, resid: r.residual(θ, alpha) / r.z.zNorm}, nil
}

// candidates draws n random atoms and returns the keep most correlated
// with the residual.
func (r *ompRun) candidates(rng *rand.Rand, n, keep int) [][]float64 {
	type cand struct {
		v float64
		θ []float64
	}
	cs := make([]cand, n)
	g := make([]float64, r.p)
	for i := range cs {
		cs[i].θ = make([]float64, r.p)
		r.fam.start(rng, cs[i].θ)
		cs[i].v = r.fam.corr(cs[i].θ, r.rRe, r.rIm, g)
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return cmp.Compare(b.v, a.v) })
	out := make([][]float64, keep)
	for i := range out {
		out[i] = cs[i].θ
	}
	return out
}

// searchAtom maximises the normalised correlation with the residual from θ
// (overwritten with the optimum) and returns minus the maximum.
func (r *ompRun) searchAtom(θ []float64, iters int) (float64, error) {
	obj := func(x, grad []float64) float64 {
		v := r.fam.corr(x, r.rRe, r.rIm, grad)
		for i := range grad {
			grad[i] = -grad[i]
		}
		return -v
	}
	res, err := optim.MinimizeBox(obj, θ, r.lo, r.hi, optim.Settings{MaxIter: iters, GradTol: 1e-9})
	return res.F, err
}

// nnls fits [zRe; zIm] by a non-negative combination of the atoms θ, each
// divided by norms[k] (nil: not divided), and returns the coefficients.
func (r *ompRun) nnls(θ, norms []float64) ([]float64, error) {
	m := r.z.m
	k := len(θ) / r.p
	r.fam.sketches(θ, r.aRe[:k*m], r.aIm[:k*m])
	a := r.mat[:2*m*k]
	for j := range k {
		s := 1.0
		if norms != nil {
			s = 1 / norms[j]
		}
		col := a[2*m*j : 2*m*(j+1)]
		for i := range m {
			col[i] = r.aRe[j*m+i] * s
			col[m+i] = r.aIm[j*m+i] * s
		}
	}
	x := make([]float64, k)
	_, err := optim.NNLS(a, 2*m, k, r.z.zz, x)
	return x, err
}

// residual sets r.rRe, r.rIm to z − Σ α_k A_k (the atoms' sketches stay in
// r.aRe, r.aIm) and returns its norm.
func (r *ompRun) residual(θ, alpha []float64) float64 {
	m := r.z.m
	k := len(alpha)
	r.fam.sketches(θ, r.aRe[:k*m], r.aIm[:k*m])
	copy(r.rRe, r.z.zRe)
	copy(r.rIm, r.z.zIm)
	for j, a := range alpha {
		are, aim := r.aRe[j*m:(j+1)*m], r.aIm[j*m:(j+1)*m]
		for i := range m {
			r.rRe[i] -= a * are[i]
			r.rIm[i] -= a * aim[i]
		}
	}
	var s float64
	for i := range m {
		s += r.rRe[i]*r.rRe[i] + r.rIm[i]*r.rIm[i]
	}
	return math.Sqrt(s)
}

// refine minimises ‖z − Σ α_k A_k‖² jointly over the atoms (in their box)
// and the weights (≥ 0), in place, leaving the residual in r.
func (r *ompRun) refine(θ, alpha []float64, iters int) error {
	p, m := r.p, r.z.m
	k := len(alpha)
	v := append(slices.Clone(θ), alpha...)
	lo, hi := make([]float64, len(v)), make([]float64, len(v))
	for j := range k {
		copy(lo[j*p:], r.lo)
		copy(hi[j*p:], r.hi)
		hi[k*p+j] = math.Inf(1)
	}
	vals, g := r.vals[:k], r.grad[:k*p]
	obj := func(x, grad []float64) float64 {
		θx, ax := x[:k*p], x[k*p:]
		res := r.residual(θx, ax)
		r.fam.vjps(θx, r.aRe[:k*m], r.aIm[:k*m], r.rRe, r.rIm, vals, g)
		for j := range k {
			grad[k*p+j] = -2 * vals[j]
			for i := range p {
				grad[j*p+i] = -2 * ax[j] * g[j*p+i]
			}
		}
		return res * res
	}
	if _, err := optim.MinimizeBox(obj, v, lo, hi, optim.Settings{MaxIter: iters}); err != nil {
		return err
	}
	copy(θ, v[:k*p])
	copy(alpha, v[k*p:])
	r.residual(θ, alpha)
	return nil
}

func normalised(alpha []float64) []float64 {
	var s float64
	for _, a := range alpha {
		s += a
	}
	w := make([]float64, len(alpha))
	for i, a := range alpha {
		w[i] = a / s
	}
	return w
}
