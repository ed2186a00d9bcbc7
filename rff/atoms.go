package rff

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Atom sketches: the sketches of parametric models that decoders (CL-OMPR
// compressive k-means, GMM fitting) match to a data sketch, with their
// derivatives.
//
// Conventions (the same as the data sketch): for frequencies ω_j ∈ R^d and
// dither ξ_j, the sketch of a probability law P is the complex vector
//
//	A(P)_j = E_{x~P} exp(i(ω_jᵀx + ξ_j)),   j = 0..m−1,
//
// with no 1/√m factor, held as two real vectors re = Re A, im = Im A of
// length m. Two families are provided:
//
//   - Dirac at c ∈ R^d:  A_j = exp(i(ω_jᵀc + ξ_j)). This is exactly the
//     sketch of a data set made of the single point c.
//   - Diagonal Gaussian N(μ, diag(s²)), parameterised by the mean μ and the
//     variances s² (not the standard deviations), both of length d:
//     A_j = exp(i(ω_jᵀμ + ξ_j))·exp(−½ Σ_k ω_jk² s²_k). With s² = 0 it is
//     the Dirac at μ.
//
// Derivatives: ∂A_j/∂c_k = i·ω_jk·A_j (so ∂Re A_j/∂c_k = −ω_jk·Im A_j and
// ∂Im A_j/∂c_k = ω_jk·Re A_j), the same for μ, and ∂A_j/∂s²_k = −½ω_jk²·A_j.
//
// Decoders need gradients of objectives of the form
//
//	Re⟨A(θ), v⟩ = Σ_j (Re A_j·Re v_j + Im A_j·Im v_j)
//
// (the real inner product of [re; im] with [Re v; Im v]) for a given complex
// v: correlation with the residual r when selecting an atom, and, since
// ∇_{θ_k} ‖z − Σ_l α_l A(θ_l)‖² = −2α_k·∇_{θ_k} Re⟨A(θ_k), r⟩ with
// r = z − Σ_l α_l A(θ_l), the global refinement. The *VJP functions compute
// this value and its gradient Jᵀv in one pass over Ω without forming the
// m×d Jacobian; the *Jacobian functions form it for tests and other uses.
// When the atoms' sketches are at hand already (the refinement computes them
// to form r), the *FromSketches functions give the same gradients with no
// trigonometry at all.
//
// Layouts: a batch of K atoms is flat and row-major: centres or means K×d
// (atom k at [k·d, (k+1)·d)), variances K×d, sketches K×m (atom k's re at
// re[k·m:(k+1)·m]), gradients K×d. A batch with K = 1 is just one atom's
// slices. Jacobians are m×d (Dirac) or m×2d (Gaussian: the d columns for μ,
// then the d columns for s²), row-major: entry (j, p) at [j·cols + p].
//
// Errors: every function checks its slice lengths against f.D() and f.M()
// and returns an error (having written nothing) if one is wrong, if f is
// nil, or if a variance is negative, NaN or infinite; none panics on bad
// arguments. NaN or infinite centres and means are not rejected: they
// propagate to NaN outputs. Outputs are overwritten, never accumulated
// into, and must not overlap the inputs or each other.
//
// Cost and concurrency: one pass over Ω per call, O(m·d) multiply-adds per
// atom plus one sincos (and for Gaussians one exp) per atom·frequency, and
// no allocation. Functions keep no state and are safe for concurrent use
// (with distinct outputs). Batched functions split a batch across up to
// GOMAXPROCS goroutines when each gets at least about a million
// multiply-adds' worth of work (K·m·(d+24) ≥ 2²¹ for Dirac sketches), which
// then costs a few small allocations; results are bit-identical however the
// batch is split. Phases up to fastLimit64 = 2¹⁸ in magnitude use the
// package's fast sincos (≲ 1 ulp), larger ones math.Sincos.

// atomParallelWork is the work, in atom·frequency·(d+24) units (≈ one
// multiply-add each, the 24 standing for sincos), that a goroutine must get
// before a batch is split.
const atomParallelWork = 1 << 20

// ---- Validation ------------------------------------------------------------

func atomErrNilFreq(fn string) error { return fmt.Errorf("rff: %s: nil *Frequencies", fn) }

func atomErrLen(fn, name string, got int, want string, wantN int) error {
	return fmt.Errorf("rff: %s: len(%s) = %d, want %s = %d", fn, name, got, want, wantN)
}

// atomCheckLen checks len(s[i]) == want for each named slice.
func atomCheckLen(fn string, want int, wantName string, names []string, s ...[]float64) error {
	for i, v := range s {
		if len(v) != want {
			return atomErrLen(fn, names[i], len(v), wantName, want)
		}
	}
	return nil
}

func atomCheckVariances(fn string, s2 []float64) error {
	for k, v := range s2 {
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("rff: %s: variances[%d] = %v, want finite and ≥ 0", fn, k, v)
		}
	}
	return nil
}

// atomBatchSize returns K for a flat batch of atoms of size `per` each.
func atomBatchSize(fn, name string, n, per int, perName string) (int, error) {
	if n%per != 0 {
		return 0, fmt.Errorf("rff: %s: len(%s) = %d is not a multiple of %s = %d", fn, name, n, perName, per)
	}
	return n / per, nil
}

// ---- Block primitives --------------------------------------------------------
//
// They work on one block of blockFreqs frequencies in the packed layout of
// Frequencies (om64: within block b, dimension k holds ω_{16b+l,k}, l < 16;
// zero-padded past m), so the 16 phases accumulate independently.

// atomBlockOmega returns the packed Ω of block b (d·blockFreqs values).
func (f *Frequencies) atomBlockOmega(b int) []float64 {
	n := f.p.D * blockFreqs
	return f.om64[b*n : (b+1)*n : (b+1)*n]
}

// atomBlockLen is the number of real frequencies in block b (< 16 only for the
// last block).
func (f *Frequencies) atomBlockLen(b int) int { return min(blockFreqs, f.p.M-b*blockFreqs) }

// atomPhases sets t_l = ξ_l + Σ_k c_k·ω_lk for the block.
func atomPhases(omb []float64, xib *[blockFreqs]float64, c []float64, t *[blockFreqs]float64) {
	*t = *xib
	omb = omb[:len(c)*blockFreqs]
	for k, ck := range c {
		o := (*[blockFreqs]float64)(omb[k*blockFreqs:])
		for l := range t {
			t[l] += ck * o[l]
		}
	}
}

// atomPhasesQuad sets the phases t_l as atomPhases does, and
// q_l = Σ_k s²_k·ω_lk².
func atomPhasesQuad(omb []float64, xib *[blockFreqs]float64, mu, s2 []float64, t, q *[blockFreqs]float64) {
	*t = *xib
	*q = [blockFreqs]float64{}
	omb = omb[:len(mu)*blockFreqs]
	s2 = s2[:len(mu)]
	for k, ck := range mu {
		sk := s2[k]
		o := (*[blockFreqs]float64)(omb[k*blockFreqs:])
		for l := range t {
			ol := o[l]
			t[l] += ck * ol
			q[l] += sk * (ol * ol)
		}
	}
}

// atomSincosBlock sets s_l, c_l = sin t_l, cos t_l: the kernels' block
// sincos, redone with math.Sincos for lanes beyond fastLimit64 (and NaN, ±Inf).
func atomSincosBlock(t, s, c *[blockFreqs]float64) {
	sincos64x16(t, s, c)
	for l, tl := range t {
		if !(math.Abs(tl) <= fastLimit64) {
			s[l], c[l] = math.Sincos(tl)
		}
	}
}

// atomGaussAmp turns q into the Gaussian amplitudes exp(−q/2), in place.
func atomGaussAmp(q *[blockFreqs]float64) {
	for l, ql := range q {
		q[l] = math.Exp(-0.5 * ql)
	}
}

// atomAccumGrad adds Σ_l g_l·ω_lk to grad[k] for each k.
func atomAccumGrad(omb []float64, g *[blockFreqs]float64, grad []float64) {
	omb = omb[:len(grad)*blockFreqs]
	for k := range grad {
		o := (*[blockFreqs]float64)(omb[k*blockFreqs:])
		s0 := g[0]*o[0] + g[4]*o[4] + g[8]*o[8] + g[12]*o[12]
		s1 := g[1]*o[1] + g[5]*o[5] + g[9]*o[9] + g[13]*o[13]
		s2 := g[2]*o[2] + g[6]*o[6] + g[10]*o[10] + g[14]*o[14]
		s3 := g[3]*o[3] + g[7]*o[7] + g[11]*o[11] + g[15]*o[15]
		grad[k] += (s0 + s1) + (s2 + s3)
	}
}

// atomAccumGradQuad adds Σ_l g_l·ω_lk to gm[k] and Σ_l h_l·ω_lk² to gv[k].
func atomAccumGradQuad(omb []float64, g, h *[blockFreqs]float64, gm, gv []float64) {
	omb = omb[:len(gm)*blockFreqs]
	gv = gv[:len(gm)]
	for k := range gm {
		o := (*[blockFreqs]float64)(omb[k*blockFreqs:])
		var ga, gb, ha, hb float64
		for l := 0; l < blockFreqs; l += 2 {
			o0, o1 := o[l], o[l+1]
			ga += g[l] * o0
			gb += g[l+1] * o1
			ha += h[l] * (o0 * o0)
			hb += h[l+1] * (o1 * o1)
		}
		gm[k] += ga + gb
		gv[k] += ha + hb
	}
}

// atomInBlock returns v's block starting at j0 as an array: v itself when the
// block is whole, else tmp holding v[j0:] zero-padded.
func atomInBlock(v []float64, j0 int, tmp *[blockFreqs]float64) *[blockFreqs]float64 {
	if j0+blockFreqs <= len(v) {
		return (*[blockFreqs]float64)(v[j0:])
	}
	*tmp = [blockFreqs]float64{}
	copy(tmp[:], v[j0:])
	return tmp
}

// atomOutBlock returns where to write v's block at j0: v itself when whole,
// else tmp, to be copied back with atomFlushBlock.
func atomOutBlock(v []float64, j0 int, tmp *[blockFreqs]float64) *[blockFreqs]float64 {
	if j0+blockFreqs <= len(v) {
		return (*[blockFreqs]float64)(v[j0:])
	}
	return tmp
}

func atomFlushBlock(v []float64, j0 int, p, tmp *[blockFreqs]float64) {
	if p == tmp {
		copy(v[j0:], tmp[:])
	}
}

// ---- Parallel split ----------------------------------------------------------

// atomWorkers is how many goroutines to split n items of total work
// across: < 2 means run serially. The serial path is kept apart from
// atomParallel by the callers so that it allocates no closure.
func atomWorkers(n int, work float64) int {
	return min(runtime.GOMAXPROCS(0), n, int(work/atomParallelWork))
}

// atomParallel calls fn concurrently on p contiguous ranges partitioning
// [0, n), one of them in the calling goroutine.
func atomParallel(n, p int, fn func(lo, hi int)) {
	var wg sync.WaitGroup
	wg.Add(p - 1)
	for i := 1; i < p; i++ {
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(i*n/p, (i+1)*n/p)
	}
	fn(0, n/p)
	wg.Wait()
}

// atomWork estimates the work of K atoms at m frequencies costing perFreq
// multiply-adds each (a sincos counts as about 24, an exp as about 16).
func atomWork(K, m, perFreq int) float64 { return float64(K) * float64(m) * float64(perFreq) }

// ---- Single atoms ------------------------------------------------------------

// DiracSketch writes the sketch of the Dirac at c: re_j + i·im_j =
// exp(i(ω_jᵀc + ξ_j)). len(c) = D, len(re) = len(im) = M.
func DiracSketch(f *Frequencies, c, re, im []float64) error {
	const fn = "DiracSketch"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	if err := atomCheckLen(fn, f.p.D, "d", []string{"c"}, c); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"re", "im"}, re, im); err != nil {
		return err
	}
	atomDiracSketchBlocks(f, c, 1, re, im, 0, f.mp/blockFreqs)
	return nil
}

// GaussianSketch writes the sketch of N(mu, diag(variances)): re_j + i·im_j
// = exp(i(ω_jᵀmu + ξ_j) − ½ Σ_k ω_jk²·variances_k). len(mu) =
// len(variances) = D, len(re) = len(im) = M.
func GaussianSketch(f *Frequencies, mu, variances, re, im []float64) error {
	const fn = "GaussianSketch"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	if err := atomCheckLen(fn, f.p.D, "d", []string{"mu", "variances"}, mu, variances); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"re", "im"}, re, im); err != nil {
		return err
	}
	if err := atomCheckVariances(fn, variances); err != nil {
		return err
	}
	atomGaussSketchBlocks(f, mu, variances, 1, re, im, 0, f.mp/blockFreqs)
	return nil
}

// DiracVJP returns Re⟨A(δ_c), v⟩ = Σ_j (Re A_j·vRe_j + Im A_j·vIm_j) and
// writes its gradient with respect to c into grad:
// grad_k = Σ_j ω_jk·(−Im A_j·vRe_j + Re A_j·vIm_j).
// len(c) = len(grad) = D, len(vRe) = len(vIm) = M.
func DiracVJP(f *Frequencies, c, vRe, vIm, grad []float64) (float64, error) {
	const fn = "DiracVJP"
	if f == nil {
		return 0, atomErrNilFreq(fn)
	}
	if err := atomCheckLen(fn, f.p.D, "d", []string{"c", "grad"}, c, grad); err != nil {
		return 0, err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"vRe", "vIm"}, vRe, vIm); err != nil {
		return 0, err
	}
	p := atomVJPScratch.Get().(*[]float64)
	*p = grow(*p, vjpScratch(f.p.D)+1)
	val := (*p)[len(*p)-1:] // in pooled memory: a local would escape to the heap
	atomVJPRows(f, c, vRe, vIm, val, grad, (*p)[:len(*p)-1])
	v := val[0]
	atomVJPScratch.Put(p)
	return v, nil
}

// GaussianVJP returns Re⟨A(N(mu, diag(variances))), v⟩ and writes its
// gradients with respect to mu and to the variances:
// gradMu_k = Σ_j ω_jk·(−Im A_j·vRe_j + Re A_j·vIm_j),
// gradVar_k = −½ Σ_j ω_jk²·(Re A_j·vRe_j + Im A_j·vIm_j).
// len(mu) = len(variances) = len(gradMu) = len(gradVar) = D,
// len(vRe) = len(vIm) = M. For a flat parameter vector θ = [μ; s²] pass
// gradMu = g[:D], gradVar = g[D:].
func GaussianVJP(f *Frequencies, mu, variances, vRe, vIm, gradMu, gradVar []float64) (float64, error) {
	const fn = "GaussianVJP"
	if f == nil {
		return 0, atomErrNilFreq(fn)
	}
	if err := atomCheckLen(fn, f.p.D, "d", []string{"mu", "variances", "gradMu", "gradVar"}, mu, variances, gradMu, gradVar); err != nil {
		return 0, err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"vRe", "vIm"}, vRe, vIm); err != nil {
		return 0, err
	}
	if err := atomCheckVariances(fn, variances); err != nil {
		return 0, err
	}
	var val [1]float64
	atomGaussVJPAtoms(f, mu, variances, vRe, vIm, val[:], gradMu, gradVar, 0, 1)
	return val[0], nil
}

// GaussianSqNorm returns ‖A‖² = Σ_j exp(−Σ_k ω_jk²·variances_k), the
// squared norm of a Gaussian atom's sketch (it does not depend on the mean;
// a Dirac's is M), and writes its gradient with respect to the variances
// into gradVar (skipped if gradVar is nil). Decoders that select atoms by
// normalised correlation Re⟨A, r⟩/‖A‖ need it.
func GaussianSqNorm(f *Frequencies, variances, gradVar []float64) (float64, error) {
	const fn = "GaussianSqNorm"
	if f == nil {
		return 0, atomErrNilFreq(fn)
	}
	if err := atomCheckLen(fn, f.p.D, "d", []string{"variances"}, variances); err != nil {
		return 0, err
	}
	if gradVar != nil {
		if err := atomCheckLen(fn, f.p.D, "d", []string{"gradVar"}, gradVar); err != nil {
			return 0, err
		}
	}
	if err := atomCheckVariances(fn, variances); err != nil {
		return 0, err
	}
	clear(gradVar)
	d := f.p.D
	var norm float64
	var q, h [blockFreqs]float64
	for b := 0; b < f.mp/blockFreqs; b++ {
		omb := f.atomBlockOmega(b)
		q = [blockFreqs]float64{}
		for k, sk := range variances {
			o := (*[blockFreqs]float64)(omb[k*blockFreqs:])
			for l := range q {
				q[l] += sk * (o[l] * o[l])
			}
		}
		n := f.atomBlockLen(b)
		var s float64
		for l := range q {
			e := 0.0
			if l < n {
				e = math.Exp(-q[l])
			}
			s += e
			h[l] = -e
		}
		norm += s
		if gradVar != nil {
			for k := 0; k < d; k++ {
				o := (*[blockFreqs]float64)(omb[k*blockFreqs:])
				var a float64
				for l := range h {
					a += h[l] * (o[l] * o[l])
				}
				gradVar[k] += a
			}
		}
	}
	return norm, nil
}

// DiracJacobian writes the Jacobian of the Dirac's sketch with respect to c:
// jRe[j·D+k] = ∂Re A_j/∂c_k = −ω_jk·Im A_j and jIm[j·D+k] = ∂Im A_j/∂c_k =
// ω_jk·Re A_j (M×D, row-major). Prefer DiracVJP when only Jᵀv is needed.
func DiracJacobian(f *Frequencies, c, jRe, jIm []float64) error {
	const fn = "DiracJacobian"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	if err := atomCheckLen(fn, f.p.D, "d", []string{"c"}, c); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M*f.p.D, "m·d", []string{"jRe", "jIm"}, jRe, jIm); err != nil {
		return err
	}
	d := f.p.D
	var t, s, co [blockFreqs]float64
	for b := 0; b < f.mp/blockFreqs; b++ {
		atomPhases(f.atomBlockOmega(b), (*[blockFreqs]float64)(f.xi64[b*blockFreqs:]), c, &t)
		atomSincosBlock(&t, &s, &co)
		for l := range f.atomBlockLen(b) {
			j := b*blockFreqs + l
			w := f.omega[j*d : (j+1)*d]
			rr, ri := jRe[j*d:(j+1)*d], jIm[j*d:(j+1)*d]
			for k, wk := range w {
				rr[k] = -wk * s[l]
				ri[k] = wk * co[l]
			}
		}
	}
	return nil
}

// GaussianJacobian writes the Jacobian of the Gaussian's sketch with respect
// to θ = [μ; s²] (M×2D, row-major): for p < D, jRe[j·2D+p] = −ω_jp·Im A_j
// and jIm[j·2D+p] = ω_jp·Re A_j; for the variance columns p = D+k,
// jRe[j·2D+p] = −½ω_jk²·Re A_j and jIm[j·2D+p] = −½ω_jk²·Im A_j.
// Prefer GaussianVJP when only Jᵀv is needed.
func GaussianJacobian(f *Frequencies, mu, variances, jRe, jIm []float64) error {
	const fn = "GaussianJacobian"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	if err := atomCheckLen(fn, f.p.D, "d", []string{"mu", "variances"}, mu, variances); err != nil {
		return err
	}
	if err := atomCheckLen(fn, 2*f.p.M*f.p.D, "2·m·d", []string{"jRe", "jIm"}, jRe, jIm); err != nil {
		return err
	}
	if err := atomCheckVariances(fn, variances); err != nil {
		return err
	}
	d := f.p.D
	var t, q, s, co [blockFreqs]float64
	for b := 0; b < f.mp/blockFreqs; b++ {
		atomPhasesQuad(f.atomBlockOmega(b), (*[blockFreqs]float64)(f.xi64[b*blockFreqs:]), mu, variances, &t, &q)
		atomSincosBlock(&t, &s, &co)
		atomGaussAmp(&q)
		for l := range f.atomBlockLen(b) {
			j := b*blockFreqs + l
			ar, ai := q[l]*co[l], q[l]*s[l]
			w := f.omega[j*d : (j+1)*d]
			rr, ri := jRe[2*j*d:2*(j+1)*d], jIm[2*j*d:2*(j+1)*d]
			for k, wk := range w {
				rr[k] = -wk * ai
				ri[k] = wk * ar
				h := -0.5 * (wk * wk)
				rr[d+k] = h * ar
				ri[d+k] = h * ai
			}
		}
	}
	return nil
}

// ---- Batches -----------------------------------------------------------------

// DiracSketches writes the sketches of K Diracs: centers is K×D, re and im
// K×M (atom k's sketch at [k·M, (k+1)·M)).
func DiracSketches(f *Frequencies, centers, re, im []float64) error {
	const fn = "DiracSketches"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "centers", len(centers), f.p.D, "d")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.M, "K·m", []string{"re", "im"}, re, im); err != nil {
		return err
	}
	if p := atomWorkers(f.mp/blockFreqs, atomWork(K, f.p.M, f.p.D+24)); p < 2 {
		atomDiracSketchBlocks(f, centers, K, re, im, 0, f.mp/blockFreqs)
	} else {
		atomParallel(f.mp/blockFreqs, p, func(b0, b1 int) {
			atomDiracSketchBlocks(f, centers, K, re, im, b0, b1)
		})
	}
	return nil
}

// GaussianSketches writes the sketches of K diagonal Gaussians: mus and
// variances are K×D, re and im K×M.
func GaussianSketches(f *Frequencies, mus, variances, re, im []float64) error {
	const fn = "GaussianSketches"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "mus", len(mus), f.p.D, "d")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.D, "K·d", []string{"variances"}, variances); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.M, "K·m", []string{"re", "im"}, re, im); err != nil {
		return err
	}
	if err := atomCheckVariances(fn, variances); err != nil {
		return err
	}
	if p := atomWorkers(f.mp/blockFreqs, atomWork(K, f.p.M, 2*f.p.D+40)); p < 2 {
		atomGaussSketchBlocks(f, mus, variances, K, re, im, 0, f.mp/blockFreqs)
	} else {
		atomParallel(f.mp/blockFreqs, p, func(b0, b1 int) {
			atomGaussSketchBlocks(f, mus, variances, K, re, im, b0, b1)
		})
	}
	return nil
}

// DiracMixture writes Σ_k alpha_k·A(δ_{c_k}) into re and im (length M),
// without forming the individual sketches. centers is K×D, len(alpha) = K.
func DiracMixture(f *Frequencies, alpha, centers, re, im []float64) error {
	const fn = "DiracMixture"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "centers", len(centers), f.p.D, "d")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K, "K", []string{"alpha"}, alpha); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"re", "im"}, re, im); err != nil {
		return err
	}
	if p := atomWorkers(f.mp/blockFreqs, atomWork(K, f.p.M, f.p.D+24)); p < 2 {
		atomMixtureBlocks(f, alpha, centers, nil, re, im, 0, f.mp/blockFreqs)
	} else {
		atomParallel(f.mp/blockFreqs, p, func(b0, b1 int) {
			atomMixtureBlocks(f, alpha, centers, nil, re, im, b0, b1)
		})
	}
	return nil
}

// GaussianMixture writes Σ_k alpha_k·A(N(mu_k, diag(variances_k))) into re
// and im (length M). mus and variances are K×D, len(alpha) = K.
func GaussianMixture(f *Frequencies, alpha, mus, variances, re, im []float64) error {
	const fn = "GaussianMixture"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "mus", len(mus), f.p.D, "d")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K, "K", []string{"alpha"}, alpha); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.D, "K·d", []string{"variances"}, variances); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"re", "im"}, re, im); err != nil {
		return err
	}
	if err := atomCheckVariances(fn, variances); err != nil {
		return err
	}
	if p := atomWorkers(f.mp/blockFreqs, atomWork(K, f.p.M, 2*f.p.D+40)); p < 2 {
		atomMixtureBlocks(f, alpha, mus, variances, re, im, 0, f.mp/blockFreqs)
	} else {
		atomParallel(f.mp/blockFreqs, p, func(b0, b1 int) {
			atomMixtureBlocks(f, alpha, mus, variances, re, im, b0, b1)
		})
	}
	return nil
}

// DiracVJPs is DiracVJP for K atoms and one v: values[k] = Re⟨A(δ_{c_k}), v⟩
// and grads[k·D:(k+1)·D] its gradient with respect to c_k. centers and
// grads are K×D, len(values) = K, len(vRe) = len(vIm) = M.
func DiracVJPs(f *Frequencies, centers, vRe, vIm, values, grads []float64) error {
	const fn = "DiracVJPs"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "centers", len(centers), f.p.D, "d")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.D, "K·d", []string{"grads"}, grads); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K, "K", []string{"values"}, values); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"vRe", "vIm"}, vRe, vIm); err != nil {
		return err
	}
	atomDiracVJPAtoms(f, centers, vRe, vIm, values, grads)
	return nil
}

// GaussianVJPs is GaussianVJP for K atoms and one v. mus, variances,
// gradMus and gradVars are K×D, len(values) = K, len(vRe) = len(vIm) = M.
func GaussianVJPs(f *Frequencies, mus, variances, vRe, vIm, values, gradMus, gradVars []float64) error {
	const fn = "GaussianVJPs"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "mus", len(mus), f.p.D, "d")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.D, "K·d", []string{"variances", "gradMus", "gradVars"}, variances, gradMus, gradVars); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K, "K", []string{"values"}, values); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"vRe", "vIm"}, vRe, vIm); err != nil {
		return err
	}
	if err := atomCheckVariances(fn, variances); err != nil {
		return err
	}
	if p := atomWorkers(K, atomWork(K, f.p.M, 4*f.p.D+40)); p < 2 {
		atomGaussVJPAtoms(f, mus, variances, vRe, vIm, values, gradMus, gradVars, 0, K)
	} else {
		atomParallel(K, p, func(k0, k1 int) {
			atomGaussVJPAtoms(f, mus, variances, vRe, vIm, values, gradMus, gradVars, k0, k1)
		})
	}
	return nil
}

// DiracVJPsFromSketches gives the same values and gradients as DiracVJPs,
// but from the atoms' sketches re, im (K×M, as DiracSketches writes them)
// instead of their centres: it needs no sincos, only one pass over Ω. Use it
// when the sketches were computed anyway (e.g. to form the residual v).
func DiracVJPsFromSketches(f *Frequencies, re, im, vRe, vIm, values, grads []float64) error {
	const fn = "DiracVJPsFromSketches"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "re", len(re), f.p.M, "m")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.M, "K·m", []string{"im"}, im); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.D, "K·d", []string{"grads"}, grads); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K, "K", []string{"values"}, values); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"vRe", "vIm"}, vRe, vIm); err != nil {
		return err
	}
	if p := atomWorkers(K, atomWork(K, f.p.M, f.p.D+4)); p < 2 {
		atomVJPFromSketches(f, re, im, vRe, vIm, values, grads, nil, 0, K)
	} else {
		atomParallel(K, p, func(k0, k1 int) {
			atomVJPFromSketches(f, re, im, vRe, vIm, values, grads, nil, k0, k1)
		})
	}
	return nil
}

// GaussianVJPsFromSketches gives the same values and gradients as
// GaussianVJPs from the atoms' sketches re, im (K×M, as GaussianSketches
// writes them), with no sincos or exp: gradMus and gradVars are K×D.
func GaussianVJPsFromSketches(f *Frequencies, re, im, vRe, vIm, values, gradMus, gradVars []float64) error {
	const fn = "GaussianVJPsFromSketches"
	if f == nil {
		return atomErrNilFreq(fn)
	}
	K, err := atomBatchSize(fn, "re", len(re), f.p.M, "m")
	if err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.M, "K·m", []string{"im"}, im); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K*f.p.D, "K·d", []string{"gradMus", "gradVars"}, gradMus, gradVars); err != nil {
		return err
	}
	if err := atomCheckLen(fn, K, "K", []string{"values"}, values); err != nil {
		return err
	}
	if err := atomCheckLen(fn, f.p.M, "m", []string{"vRe", "vIm"}, vRe, vIm); err != nil {
		return err
	}
	if p := atomWorkers(K, atomWork(K, f.p.M, 2*f.p.D+4)); p < 2 {
		atomVJPFromSketches(f, re, im, vRe, vIm, values, gradMus, gradVars, 0, K)
	} else {
		atomParallel(K, p, func(k0, k1 int) {
			atomVJPFromSketches(f, re, im, vRe, vIm, values, gradMus, gradVars, k0, k1)
		})
	}
	return nil
}

// ---- Workers -----------------------------------------------------------------

// atomDiracSketchBlocks writes blocks [b0, b1) of the sketches of the K Diracs.
func atomDiracSketchBlocks(f *Frequencies, centers []float64, K int, re, im []float64, b0, b1 int) {
	d, m := f.p.D, f.p.M
	var t, tr, ti [blockFreqs]float64
	for b := b0; b < b1; b++ {
		omb := f.atomBlockOmega(b)
		xib := (*[blockFreqs]float64)(f.xi64[b*blockFreqs:])
		for k := range K {
			j0 := b * blockFreqs
			rk, ik := re[k*m:(k+1)*m], im[k*m:(k+1)*m]
			atomPhases(omb, xib, centers[k*d:(k+1)*d], &t)
			pr, pi := atomOutBlock(rk, j0, &tr), atomOutBlock(ik, j0, &ti)
			atomSincosBlock(&t, pi, pr)
			atomFlushBlock(rk, j0, pr, &tr)
			atomFlushBlock(ik, j0, pi, &ti)
		}
	}
}

// atomGaussSketchBlocks writes blocks [b0, b1) of the sketches of K Gaussians.
func atomGaussSketchBlocks(f *Frequencies, mus, s2 []float64, K int, re, im []float64, b0, b1 int) {
	d, m := f.p.D, f.p.M
	var t, q, tr, ti [blockFreqs]float64
	for b := b0; b < b1; b++ {
		omb := f.atomBlockOmega(b)
		xib := (*[blockFreqs]float64)(f.xi64[b*blockFreqs:])
		for k := range K {
			j0 := b * blockFreqs
			rk, ik := re[k*m:(k+1)*m], im[k*m:(k+1)*m]
			atomPhasesQuad(omb, xib, mus[k*d:(k+1)*d], s2[k*d:(k+1)*d], &t, &q)
			pr, pi := atomOutBlock(rk, j0, &tr), atomOutBlock(ik, j0, &ti)
			atomSincosBlock(&t, pi, pr)
			atomGaussAmp(&q)
			for l := range q {
				pr[l] *= q[l]
				pi[l] *= q[l]
			}
			atomFlushBlock(rk, j0, pr, &tr)
			atomFlushBlock(ik, j0, pi, &ti)
		}
	}
}

// atomMixtureBlocks writes blocks [b0, b1) of Σ_k α_k A_k (Gaussians if s2 is
// not nil, else Diracs).
func atomMixtureBlocks(f *Frequencies, alpha, mus, s2 []float64, re, im []float64, b0, b1 int) {
	d := f.p.D
	var t, q, s, c, tr, ti [blockFreqs]float64
	for b := b0; b < b1; b++ {
		omb := f.atomBlockOmega(b)
		xib := (*[blockFreqs]float64)(f.xi64[b*blockFreqs:])
		j0 := b * blockFreqs
		pr, pi := atomOutBlock(re, j0, &tr), atomOutBlock(im, j0, &ti)
		*pr, *pi = [blockFreqs]float64{}, [blockFreqs]float64{}
		for k, a := range alpha {
			if s2 == nil {
				atomPhases(omb, xib, mus[k*d:(k+1)*d], &t)
				atomSincosBlock(&t, &s, &c)
				for l := range c {
					pr[l] += a * c[l]
					pi[l] += a * s[l]
				}
			} else {
				atomPhasesQuad(omb, xib, mus[k*d:(k+1)*d], s2[k*d:(k+1)*d], &t, &q)
				atomSincosBlock(&t, &s, &c)
				atomGaussAmp(&q)
				for l := range c {
					w := a * q[l]
					pr[l] += w * c[l]
					pi[l] += w * s[l]
				}
			}
		}
		atomFlushBlock(re, j0, pr, &tr)
		atomFlushBlock(im, j0, pi, &ti)
	}
}

// atomDiracVJPAtoms computes values[k] and grads[k] for all atoms: the
// feature VJP (vjp.go) with the atoms' centres as rows, in the default
// kernel, with goroutines by the same work rule as the other batches. NaN
// or infinite centres go through its exact path and give NaN.
func atomDiracVJPAtoms(f *Frequencies, centers, vRe, vIm, values, grads []float64) {
	p := atomVJPScratch.Get().(*[]float64)
	*p = grow(*p, vjpScratch(f.p.D))
	atomVJPRows(f, centers, vRe, vIm, values, grads, *p)
	atomVJPScratch.Put(p)
}

func atomVJPRows(f *Frequencies, centers, vRe, vIm, values, grads, scratch []float64) {
	_ = vjpRows(kernels[0], f, centers, vRe, vIm, vRe, vIm, values, grads, 0, false, scratch)
}

// atomVJPScratch holds kernel scratch between calls, so that single-atom
// calls in a decoder's inner loop do not allocate.
var atomVJPScratch = sync.Pool{New: func() any { return new([]float64) }}

// atomGaussVJPAtoms computes values[k] and the gradients for atoms
// [k0, k1), blocks of frequencies outermost.
func atomGaussVJPAtoms(f *Frequencies, mus, s2, vRe, vIm, values, gradMus, gradVars []float64, k0, k1 int) {
	d := f.p.D
	clear(values[k0:k1])
	clear(gradMus[k0*d : k1*d])
	clear(gradVars[k0*d : k1*d])
	var t, q, s, c, g, h, tr, ti [blockFreqs]float64
	for b := 0; b < f.mp/blockFreqs; b++ {
		omb := f.atomBlockOmega(b)
		xib := (*[blockFreqs]float64)(f.xi64[b*blockFreqs:])
		j0 := b * blockFreqs
		vr, vi := atomInBlock(vRe, j0, &tr), atomInBlock(vIm, j0, &ti)
		for k := k0; k < k1; k++ {
			atomPhasesQuad(omb, xib, mus[k*d:(k+1)*d], s2[k*d:(k+1)*d], &t, &q)
			atomSincosBlock(&t, &s, &c)
			atomGaussAmp(&q)
			var v0 float64
			for l := range g {
				ar, ai := q[l]*c[l], q[l]*s[l]
				p := ar*vr[l] + ai*vi[l]
				v0 += p
				g[l] = ar*vi[l] - ai*vr[l]
				h[l] = -0.5 * p
			}
			values[k] += v0
			atomAccumGradQuad(omb, &g, &h, gradMus[k*d:(k+1)*d], gradVars[k*d:(k+1)*d])
		}
	}
}

// atomVJPFromSketches computes values and gradients for atoms [k0, k1) from
// their sketches; gradVars == nil means Diracs (no variance gradient).
func atomVJPFromSketches(f *Frequencies, re, im, vRe, vIm, values, gradMus, gradVars []float64, k0, k1 int) {
	d, m := f.p.D, f.p.M
	clear(values[k0:k1])
	clear(gradMus[k0*d : k1*d])
	if gradVars != nil {
		clear(gradVars[k0*d : k1*d])
	}
	var g, h, tr, ti, ar, ai [blockFreqs]float64
	for b := 0; b < f.mp/blockFreqs; b++ {
		omb := f.atomBlockOmega(b)
		j0 := b * blockFreqs
		vr, vi := atomInBlock(vRe, j0, &tr), atomInBlock(vIm, j0, &ti)
		for k := k0; k < k1; k++ {
			pr, pi := atomInBlock(re[k*m:(k+1)*m], j0, &ar), atomInBlock(im[k*m:(k+1)*m], j0, &ai)
			var v0 float64
			for l := range g {
				p := pr[l]*vr[l] + pi[l]*vi[l]
				v0 += p
				g[l] = pr[l]*vi[l] - pi[l]*vr[l]
				h[l] = -0.5 * p
			}
			values[k] += v0
			if gradVars == nil {
				atomAccumGrad(omb, &g, gradMus[k*d:(k+1)*d])
			} else {
				atomAccumGradQuad(omb, &g, &h, gradMus[k*d:(k+1)*d], gradVars[k*d:(k+1)*d])
			}
		}
	}
}
