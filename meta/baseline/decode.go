package baseline

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// PCAModel is an affine k-dimensional subspace: x ≈ μ + UUᵀ(x − μ).
type PCAModel struct {
	U      *mat.Dense // d×k, orthonormal columns, leading direction first
	Mu     []float64  // d
	Values []float64  // variances along U's columns (Quadratic decoder: the fitted spikes, then the floor)
}

// PCAOptions tune DecodePCA's Quadratic decoder; the zero value is the default.
type PCAOptions struct {
	// Spikes is the number r ≤ k of leading variances the decoder fits
	// (the rest of U then comes from the measurement fit's next
	// eigenvectors). 0 picks SpikesFor(q, d, k), the most that the q
	// measurements determine, or k when q ≤ d.
	Spikes  int
	MaxIter int     // iterations (default 500)
	Tol     float64 // stop when an iteration changes the estimate by less than Tol, relative (default 1e-9)

	rankOnly bool // for TestPCADecoderVariants: project on rank-r PSD instead of r spikes + floor
	gradient bool // for TestPCADecoderVariants: plain IHT, step 1/‖Φ‖²
}

// SpikesFor is the default number of spikes fitted to q quadratic
// measurements of a w×w covariance: the largest r ≤ kmax with
// q ≥ 1.6·(r·w − r(r−1)/2 + 1), the dimension of "r spikes plus a floor",
// and at least 1; kmax once q ≥ w(w+1)/2 determines the matrix. Asking
// for more spikes than the measurements determine fits them to noise: on
// PCAFamily data (d = 20, k = 3, 40 data sets) one spike beats three
// up to q ≈ 60 (median ratio 1.83 vs 2.17 at q = 44), two win around
// q = 76, three from q ≈ 90 on; the factor 1.6 sits at those crossings.
func SpikesFor(q, w, kmax int) int {
	if q >= tri(w) {
		return kmax
	}
	r := 1
	for r < kmax && float64(q) >= 1.6*float64((r+1)*w-(r+1)*r/2+1) {
		r++
	}
	return r
}

// DecodePCA estimates the top-k principal subspace and the mean from the
// sketch alone.
//
// Exact and Projected layouts give the centred covariance of x (of Pᵀx)
// directly; its top-k eigenvectors (times P) are the answer, exact for
// Exact. The Quadratic layout gives y_j = z_j − (a_jᵀx̄)² = a_jᵀ C a_j,
// linear measurements of the centred covariance C, from which iterative
// hard thresholding (quadOp.solve) recovers a PSD matrix of r ≤ k
// spikes plus an isotropic floor (PCAOptions.Spikes); its top-k
// eigenvectors are U. That takes roughly q ≳ k·d measurements to work
// well (Gribonval et al.).
func DecodePCA(s *Sketch, k int, o PCAOptions) (*PCAModel, error) {
	if s.rows == 0 {
		return nil, errors.New("baseline: empty sketch")
	}
	return DecodePCAValues(s.g, s.Values(), k, o)
}

// DecodePCAValues is DecodePCA on a vector of sketch values (for example
// a noisy, differentially private release of Values()).
func DecodePCAValues(g *Design, z []float64, k int, o PCAOptions) (*PCAModel, error) {
	if g.p.Task != PCA {
		return nil, fmt.Errorf("baseline: DecodePCA on a %v design", g.p.Task)
	}
	if err := checkValues(g, z); err != nil {
		return nil, err
	}
	d := g.p.D
	if k < 1 || k > d {
		return nil, fmt.Errorf("baseline: k = %d, need 1 ≤ k ≤ d = %d", k, d)
	}
	mu := append([]float64(nil), z[:d]...)
	var (
		vals []float64
		vecs *mat.Dense
		err  error
	)
	if g.p.Layout == Quadratic {
		vals, vecs, err = decodeQuadratic(g, z, k, o)
	} else {
		vals, vecs, err = decodeProjected(g, mu, z[d:], k)
	}
	if err != nil {
		return nil, err
	}
	u := mat.NewDense(d, k, nil)
	u.Copy(vecs.Slice(0, d, 0, k))
	return &PCAModel{U: u, Mu: mu, Values: append([]float64(nil), vals[:k]...)}, nil
}

func decodeQuadratic(g *Design, z []float64, k int, o PCAOptions) ([]float64, *mat.Dense, error) {
	op, err := g.quadOp()
	if err != nil {
		return nil, nil, err
	}
	r := o.Spikes
	switch q := g.parts.Second; {
	case r > 0:
	case q <= g.width:
		// Not even one spike is determined; fitting all k keeps the
		// iterates near the minimum-norm fit, whose leading eigenvectors
		// guess better (median ratio 4.5 vs 5.3 with one spike at d = 20,
		// q = 12).
		r = k
	default:
		r = SpikesFor(q, g.width, k)
	}
	if r > k {
		return nil, nil, fmt.Errorf("baseline: %d spikes for k = %d", r, k)
	}
	proj := spiked(r)
	if o.rankOnly {
		proj = rankPSD(r)
	}
	return op.solve(centred(g, z), proj, iterOptions{maxIter: o.MaxIter, tol: o.Tol, gradient: o.gradient})
}

// decodeProjected returns the spectrum of the centred covariance of
// s = Pᵀx and its top-k eigenvectors lifted to R^d.
func decodeProjected(g *Design, mu, z2 []float64, k int) ([]float64, *mat.Dense, error) {
	pd := g.parts.P
	if k > pd {
		return nil, nil, fmt.Errorf("baseline: k = %d exceeds the projection dimension %d (M = %d)", k, pd, g.p.M)
	}
	sbar := g.project(mu)
	c := secondMoments(z2, pd)
	centre(c, sbar)
	vals, vecs, err := eig(c)
	if err != nil {
		return nil, nil, err
	}
	return vals, g.lift(vecs, k), nil
}

// centred returns the Quadratic measurements of the centred second moment,
// z_j − (a_jᵀū)², ū the stored means.
func centred(g *Design, z []float64) []float64 {
	w, m := g.width, g.parts.Mean
	ubar := z[:m]
	y := make([]float64, g.parts.Second)
	for j := range y {
		t := dot(g.a[j*w:(j+1)*w], ubar)
		y[j] = z[m+j] - t*t
	}
	return y
}

// secondMoments reads the upper triangle (row by row) of a p×p matrix.
func secondMoments(z []float64, p int) *mat.SymDense {
	c := mat.NewSymDense(p, nil)
	k := 0
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			c.SetSym(i, j, z[k])
			k++
		}
	}
	return c
}

// centre subtracts a aᵀ from c.
func centre(c *mat.SymDense, a []float64) {
	for i := range a {
		for j := i; j < len(a); j++ {
			c.SetSym(i, j, c.At(i, j)-a[i]*a[j])
		}
	}
}

// project returns Pᵀx (x itself for Exact).
func (g *Design) project(x []float64) []float64 {
	if g.proj == nil {
		return append([]float64(nil), x[:g.p.D]...)
	}
	pd := g.parts.P
	s := make([]float64, pd)
	for i := 0; i < g.p.D; i++ {
		for j := range s {
			s[j] += g.proj[i*pd+j] * x[i]
		}
	}
	return s
}

// lift maps the first k columns of v (p×·) to P v (d×k); Exact: v itself.
func (g *Design) lift(v *mat.Dense, k int) *mat.Dense {
	if g.proj == nil {
		return v
	}
	p := mat.NewDense(g.p.D, g.parts.P, g.proj)
	out := mat.NewDense(g.p.D, k, nil)
	out.Mul(p, v.Slice(0, g.parts.P, 0, k))
	return out
}

func checkValues(g *Design, z []float64) error {
	if len(z) != g.Len() {
		return fmt.Errorf("baseline: %d sketch values for a design of %d", len(z), g.Len())
	}
	for j, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("baseline: sketch value %d is %v", j, v)
		}
	}
	return nil
}

// RidgeModel is a linear predictor y ≈ xᵀβ + b.
type RidgeModel struct {
	Beta []float64
	B    float64
}

// DefaultLambda is the ridge penalty of the notes, on the scale of
// (1/n)‖y − Xβ − b‖² + λ‖β‖².
const DefaultLambda = 1e-2

// DecodeRidge estimates the ridge fit minimising
// (1/n)‖y − Xβ − b‖² + λ‖β‖² from the sketch alone:
// β = (Ĉ_xx + λI)⁻¹ ĉ_xy and b = ȳ − x̄ᵀβ.
//
// Exact: Ĉ_xx and ĉ_xy are the centred moments, so the fit is exact ridge.
// Projected: Ĉ_xx = P C_ss Pᵀ and ĉ_xy = P c_sy, the minimum-norm
// matrices consistent with the moments of s = Pᵀx, which gives
// β = P (C_ss + λI)⁻¹ c_sy: ridge on the projected features.
// Quadratic: the centred second moment of u = (x, y) is recovered from
// its measurements as spikes plus an isotropic floor (quadOp.solve), and
// Ĉ_xx, ĉ_xy are its blocks.
func DecodeRidge(s *Sketch, lambda float64) (*RidgeModel, error) {
	if s.rows == 0 {
		return nil, errors.New("baseline: empty sketch")
	}
	return DecodeRidgeValues(s.g, s.Values(), lambda)
}

// DecodeRidgeValues is DecodeRidge on a vector of sketch values.
func DecodeRidgeValues(g *Design, z []float64, lambda float64) (*RidgeModel, error) {
	if g.p.Task != Ridge {
		return nil, fmt.Errorf("baseline: DecodeRidge on a %v design", g.p.Task)
	}
	if !(lambda >= 0) || math.IsInf(lambda, 0) {
		return nil, fmt.Errorf("baseline: λ = %v, need a finite λ ≥ 0", lambda)
	}
	if err := checkValues(g, z); err != nil {
		return nil, err
	}
	d := g.p.D
	if g.p.Layout == Quadratic {
		op, err := g.quadOp()
		if err != nil {
			return nil, err
		}
		w := g.width
		vals, vecs, err := op.solve(centred(g, z), spiked(SpikesFor(g.parts.Second, w, w)), iterOptions{})
		if err != nil {
			return nil, err
		}
		m := mat.NewSymDense(w, nil)
		rebuild(m, vals, vecs)
		cxx := mat.NewSymDense(d, nil)
		cxy := make([]float64, d)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				cxx.SetSym(i, j, m.At(i, j))
			}
			cxy[i] = m.At(i, d)
		}
		beta, err := ridgeSolve(cxx, cxy, lambda)
		if err != nil {
			return nil, err
		}
		return &RidgeModel{Beta: beta, B: z[d] - dot(z[:d], beta)}, nil
	}
	pd := g.parts.P
	sbar, ybar := z[:pd], z[pd]
	k := pd + 1
	css := secondMoments(z[k:], pd)
	k += tri(pd)
	centre(css, sbar)
	csy := make([]float64, pd)
	for i := range csy {
		csy[i] = z[k+i] - sbar[i]*ybar
	}
	bp, err := ridgeSolve(css, csy, lambda)
	if err != nil {
		return nil, err
	}
	b := ybar - dot(sbar, bp)
	beta := bp
	if g.proj != nil {
		beta = make([]float64, d)
		for i := range beta {
			beta[i] = dot(g.proj[i*pd:(i+1)*pd], bp)
		}
	}
	return &RidgeModel{Beta: beta, B: b}, nil
}

// ridgeSolve returns (C + λI)⁻¹ c, or an error if C + λI is singular.
func ridgeSolve(c *mat.SymDense, rhs []float64, lambda float64) ([]float64, error) {
	n := c.SymmetricDim()
	a := mat.NewSymDense(n, nil)
	a.CopySym(c)
	for i := 0; i < n; i++ {
		a.SetSym(i, i, a.At(i, i)+lambda)
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		return nil, fmt.Errorf("baseline: C_xx + λI is not positive definite (λ = %v); use λ > 0", lambda)
	}
	var x mat.VecDense
	if err := ch.SolveVecTo(&x, mat.NewVecDense(n, append([]float64(nil), rhs...))); err != nil {
		return nil, fmt.Errorf("baseline: ridge solve: %w", err)
	}
	return append([]float64(nil), x.RawVector().Data...), nil
}
