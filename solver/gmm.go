package solver

import (
	"math"
	"math/rand/v2"

	"github.com/clkit/clkit/rff"
)

// GMMOptions configure GMM. Zero values mean defaults; the fields shared
// with KMeansOptions mean the same.
type GMMOptions struct {
	Lower, Upper                                 []float64 // box of the data; default the sketch's (see KMeansOptions)
	Replicates, Workers                          int
	Seed                                         uint64
	Candidates, AtomStarts, AtomIter, RefineIter int
	// VarFloor is the smallest variance allowed, as a fraction of the box
	// width squared per dimension; default 1e-8.
	VarFloor float64
}

// GMMResult is a decoded mixture of Gaussians with diagonal covariances.
type GMMResult struct {
	Means      []float64 // K×d
	Variances  []float64 // K×d, the diagonal covariances
	Weights    []float64 // sum to 1
	Residual   float64   // relative sketch residual of the kept replicate
	Residuals  []float64
	Replicate  int
	Iterations int
}

// GMM decodes a K-component Gaussian mixture with diagonal covariances from
// the sketch s, by the CL-OMPR of KMeans with Gaussian atoms
// A_j = exp(i(ω_jᵀμ + ξ_j))·exp(−½ Σ_k ω_jk² s_k²): atoms are selected by
// their normalised correlation with the residual, and the variances are
// kept between VarFloor and the box width squared.
func GMM(s *rff.Sketch, K int, o GMMOptions) (GMMResult, error) {
	o.Lower, o.Upper = sketchBox(s, o.Lower, o.Upper)
	z, span, err := checkSketch(s, K, func(d int) int { return 2*d + 1 }, o.Lower, o.Upper)
	if err != nil {
		return GMMResult{}, err
	}
	if o.VarFloor <= 0 {
		o.VarFloor = 1e-8
	}
	newFam := func() atomFamily { return newGaussFamily(z.f, o.Lower, span, o.VarFloor) }
	res, err := clompr(z, newFam, K, ompOptions{replicates: o.Replicates, workers: o.Workers, seed: o.Seed,
		candidates: o.Candidates, atomStarts: o.AtomStarts, atomIter: o.AtomIter, refineIter: o.RefineIter})
	if err != nil {
		return GMMResult{}, err
	}
	d := z.f.D()
	all := newFam().toData(res.best.θ) // per atom: means then variances
	out := GMMResult{Means: make([]float64, K*d), Variances: make([]float64, K*d), Weights: normalised(res.best.alpha),
		Residual: res.best.resid, Residuals: res.residuals, Replicate: res.index, Iterations: 2 * K}
	for k := range K {
		copy(out.Means[k*d:], all[2*k*d:2*k*d+d])
		copy(out.Variances[k*d:], all[2*k*d+d:2*(k+1)*d])
	}
	return out, nil
}

// gaussFamily: θ = (u, v), the mean in box coordinates and the variances
// divided by span² (so both are of order one or less).
type gaussFamily struct {
	f                 *rff.Frequencies
	d                 int
	lower, span       []float64
	vFloor, v0        []float64
	mus, vars, gm, gv []float64 // buffers, k×d
	gs                []float64
}

func newGaussFamily(f *rff.Frequencies, lower, span []float64, floor float64) *gaussFamily {
	d := f.D()
	a := &gaussFamily{f: f, d: d, lower: lower, span: span, vFloor: make([]float64, d), v0: make([]float64, d), gs: make([]float64, d)}
	sig := f.Params().Sigma
	for i := range d {
		a.vFloor[i] = floor
		// Start at the frequencies' own scale: the size the sketch resolves.
		s := sig[min(i, len(sig)-1)]
		a.v0[i] = min(1, max(floor, s*s/(span[i]*span[i])))
	}
	return a
}

func (a *gaussFamily) params() int { return 2 * a.d }

func (a *gaussFamily) bounds(lo, hi []float64) {
	for i := range a.d {
		lo[i], hi[i] = 0, 1
		lo[a.d+i], hi[a.d+i] = a.vFloor[i], 1
	}
}

func (a *gaussFamily) start(r *rand.Rand, θ []float64) {
	for i := range a.d {
		θ[i] = r.Float64()
		θ[a.d+i] = a.v0[i]
	}
}

// split converts θ (k atoms) into means and variances in data units.
func (a *gaussFamily) split(θ []float64) (mus, vars []float64) {
	d := a.d
	k := len(θ) / (2 * d)
	if cap(a.mus) < k*d {
		a.mus, a.vars = make([]float64, k*d), make([]float64, k*d)
		a.gm, a.gv = make([]float64, k*d), make([]float64, k*d)
	}
	mus, vars = a.mus[:k*d], a.vars[:k*d]
	for j := range k {
		for i := range d {
			mus[j*d+i] = a.lower[i] + θ[2*j*d+i]*a.span[i]
			vars[j*d+i] = θ[2*j*d+d+i] * a.span[i] * a.span[i]
		}
	}
	return mus, vars
}

func (a *gaussFamily) toData(θ []float64) []float64 {
	d := a.d
	mus, vars := a.split(θ)
	out := make([]float64, len(θ))
	for j := range len(θ) / (2 * d) {
		copy(out[2*j*d:], mus[j*d:(j+1)*d])
		copy(out[2*j*d+d:], vars[j*d:(j+1)*d])
	}
	return out
}

func (a *gaussFamily) sketches(θ, re, im []float64) {
	mus, vars := a.split(θ)
	must(rff.GaussianSketches(a.f, mus, vars, re, im))
}

func (a *gaussFamily) vjps(θ, re, im, rRe, rIm, vals, grads []float64) {
	d := a.d
	k := len(θ) / (2 * d)
	a.split(θ)
	gm, gv := a.gm[:k*d], a.gv[:k*d]
	must(rff.GaussianVJPsFromSketches(a.f, re, im, rRe, rIm, vals, gm, gv))
	for j := range k {
		for i := range d {
			grads[2*j*d+i] = gm[j*d+i] * a.span[i]
			grads[2*j*d+d+i] = gv[j*d+i] * a.span[i] * a.span[i]
		}
	}
}

func (a *gaussFamily) corr(θ, rRe, rIm, grad []float64) float64 {
	d := a.d
	mus, vars := a.split(θ)
	gm, gv := a.gm[:d], a.gv[:d]
	v, err := rff.GaussianVJP(a.f, mus, vars, rRe, rIm, gm, gv)
	must(err)
	sq, err := rff.GaussianSqNorm(a.f, vars, a.gs)
	must(err)
	n := math.Sqrt(sq)
	// d(v/n) = dv/n − v·dS/(2n³), S = n².
	for i := range d {
		grad[i] = gm[i] * a.span[i] / n
		grad[d+i] = (gv[i]/n - v*a.gs[i]/(2*n*sq)) * a.span[i] * a.span[i]
	}
	return v / n
}

func (a *gaussFamily) norms(θ, out []float64) {
	d := a.d
	_, vars := a.split(θ)
	for j := range out {
		sq, err := rff.GaussianSqNorm(a.f, vars[j*d:(j+1)*d], nil)
		must(err)
		out[j] = math.Sqrt(sq)
	}
}
