package solver

import (
	"math"
	"math/rand/v2"

	"github.com/clkit/clkit/rff"
)

// KMeansOptions configure KMeans. Zero values mean defaults.
type KMeansOptions struct {
	// Lower and Upper bound the data, per dimension: centroids are searched
	// inside this box. Default: the sketch's own box (rff.Sketch.Box);
	// required when the sketch has none.
	Lower, Upper []float64
	Replicates   int // independent CL-OMPR runs, the best kept; default 5
	Workers      int // goroutines over replicates; ≤ 0 means GOMAXPROCS
	Seed         uint64
	// Each atom search screens Candidates random points (default: about
	// 2.5e5/m, between 64 and 4096) by
	// their correlation with the residual and runs L-BFGS from the best
	// AtomStarts (default 3). AtomIter and RefineIter cap the L-BFGS
	// iterations of an atom search and of each global refinement (the final
	// refinement gets 5×RefineIter); defaults 100 and 60.
	Candidates, AtomStarts, AtomIter, RefineIter int
}

func (o KMeansOptions) omp() ompOptions {
	return ompOptions{replicates: o.Replicates, workers: o.Workers, seed: o.Seed,
		candidates: o.Candidates, atomStarts: o.AtomStarts, atomIter: o.AtomIter, refineIter: o.RefineIter}
}

// KMeansResult is the decoded clustering.
type KMeansResult struct {
	Centroids []float64 // K×d row-major
	Weights   []float64 // mixture weights α_k, normalised to sum to 1
	// Residual is ‖z − Σ α_k A(δ_{c_k})‖ / ‖z‖ of the kept replicate, and
	// Residuals that of every replicate (in order).
	Residual   float64
	Residuals  []float64
	Replicate  int // index of the kept replicate
	Iterations int // CL-OMPR steps (2K)
}

// KMeans decodes K centroids from the sketch s by CL-OMPR (Keriven et al.):
// 2K steps, each adding the atom most correlated with the residual (L-BFGS
// from random starts in the box), dropping back to K atoms by non-negative
// least squares on the normalised atoms when there are more, refitting the
// weights by NNLS, and refining all centroids and weights jointly
// (box-constrained L-BFGS). Replicates run in parallel; the one with the
// smallest sketch residual wins. Deterministic for a given Seed.
func KMeans(s *rff.Sketch, K int, o KMeansOptions) (KMeansResult, error) {
	o.Lower, o.Upper = sketchBox(s, o.Lower, o.Upper)
	z, span, err := checkSketch(s, K, func(d int) int { return d + 1 }, o.Lower, o.Upper)
	if err != nil {
		return KMeansResult{}, err
	}
	newFam := func() atomFamily { return newDiracFamily(z.f, o.Lower, span) }
	res, err := clompr(z, newFam, K, o.omp())
	if err != nil {
		return KMeansResult{}, err
	}
	return KMeansResult{
		Centroids: newFam().toData(res.best.θ), Weights: normalised(res.best.alpha),
		Residual: res.best.resid, Residuals: res.residuals, Replicate: res.index, Iterations: 2 * K,
	}, nil
}

// diracFamily: θ = u, the centre in box coordinates.
type diracFamily struct {
	f           *rff.Frequencies
	d           int
	sqrtM       float64
	lower, span []float64
	c, gc       []float64 // buffers
}

func newDiracFamily(f *rff.Frequencies, lower, span []float64) *diracFamily {
	return &diracFamily{f: f, d: f.D(), sqrtM: math.Sqrt(float64(f.M())), lower: lower, span: span}
}

func (a *diracFamily) params() int { return a.d }

func (a *diracFamily) bounds(lo, hi []float64) {
	for i := range lo {
		lo[i], hi[i] = 0, 1
	}
}

func (a *diracFamily) start(r *rand.Rand, θ []float64) {
	for i := range θ {
		θ[i] = r.Float64()
	}
}

// centres converts θ (k×d) into a.c (data units), growing the buffers.
func (a *diracFamily) centres(θ []float64) []float64 {
	if cap(a.c) < len(θ) {
		a.c, a.gc = make([]float64, len(θ)), make([]float64, len(θ))
	}
	c := a.c[:len(θ)]
	for i, v := range θ {
		c[i] = a.lower[i%a.d] + v*a.span[i%a.d]
	}
	return c
}

func (a *diracFamily) toData(θ []float64) []float64 { return append([]float64(nil), a.centres(θ)...) }

func (a *diracFamily) sketches(θ, re, im []float64) {
	must(rff.DiracSketches(a.f, a.centres(θ), re, im))
}

func (a *diracFamily) vjps(θ, re, im, rRe, rIm, vals, grads []float64) {
	must(rff.DiracVJPsFromSketches(a.f, re, im, rRe, rIm, vals, grads))
	for i := range grads {
		grads[i] *= a.span[i%a.d]
	}
}

func (a *diracFamily) corr(θ, rRe, rIm, grad []float64) float64 {
	c := a.centres(θ)
	v, err := rff.DiracVJP(a.f, c, rRe, rIm, grad)
	must(err)
	for i := range grad {
		grad[i] *= a.span[i] / a.sqrtM
	}
	return v / a.sqrtM
}

func (a *diracFamily) norms(θ, out []float64) {
	for i := range out {
		out[i] = a.sqrtM // |A_j| = 1 for every frequency
	}
}

// must turns an error that only a bug can cause (buffer lengths are fixed
// by the engine) into a panic.
func must(err error) {
	if err != nil {
		panic("solver: internal error: " + err.Error())
	}
}
