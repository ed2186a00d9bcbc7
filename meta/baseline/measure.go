package baseline

import (
	"errors"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// quadOp is the measurement operator 𝒜(C)_j = a_jᵀ C a_j on symmetric w×w
// matrices, written on v = svec(C) (upper triangle, row by row, off-diagonal
// entries times √2) so that ‖v‖ = ‖C‖_F and projections in v are the
// Frobenius projections that the eigen-truncation also makes.
type quadOp struct {
	w, q, n int
	phi     *mat.Dense // q×n: row j is svec(a_j a_jᵀ)
	pinv    *mat.Dense // n×q: Φ⁺, small singular values cut
}

// rcond is the relative singular-value cut of Φ⁺. Measurements of the
// sample covariance are exact, but the part a rank-k model cannot express
// acts as noise, which directions of tiny singular value would amplify.
const rcond = 1e-6

func newQuadOp(a []float64, q, w int) (*quadOp, error) {
	n := tri(w)
	op := &quadOp{w: w, q: q, n: n, phi: mat.NewDense(q, n, nil)}
	row := make([]float64, n)
	for j := 0; j < q; j++ {
		aj := a[j*w : (j+1)*w]
		k := 0
		for i := 0; i < w; i++ {
			for l := i; l < w; l++ {
				if i == l {
					row[k] = aj[i] * aj[i]
				} else {
					row[k] = math.Sqrt2 * aj[i] * aj[l]
				}
				k++
			}
		}
		op.phi.SetRow(j, row)
	}
	var svd mat.SVD
	if !svd.Factorize(op.phi, mat.SVDThin) {
		return nil, errors.New("baseline: SVD of the measurement operator failed")
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	for i := range s {
		if s[i] > rcond*s[0] {
			s[i] = 1 / s[i]
		} else {
			s[i] = 0
		}
	}
	// Φ⁺ = V diag(1/s) Uᵀ
	vs := mat.NewDense(n, len(s), nil)
	vs.Apply(func(i, j int, x float64) float64 { return x * s[j] }, &v)
	op.pinv = mat.NewDense(n, q, nil)
	op.pinv.Mul(vs, u.T())
	return op, nil
}

// quadOp returns the design's measurement operator, built once.
func (g *Design) quadOp() (*quadOp, error) {
	g.opOnce.Do(func() { g.op, g.opErr = newQuadOp(g.a, g.parts.Second, g.width) })
	return g.op, g.opErr
}

func svecTo(v []float64, c *mat.SymDense) {
	w, k := c.SymmetricDim(), 0
	for i := 0; i < w; i++ {
		for l := i; l < w; l++ {
			if i == l {
				v[k] = c.At(i, i)
			} else {
				v[k] = math.Sqrt2 * c.At(i, l)
			}
			k++
		}
	}
}

func smatTo(c *mat.SymDense, v []float64) {
	w, k := c.SymmetricDim(), 0
	for i := 0; i < w; i++ {
		for l := i; l < w; l++ {
			if i == l {
				c.SetSym(i, i, v[k])
			} else {
				c.SetSym(i, l, v[k]/math.Sqrt2)
			}
			k++
		}
	}
}

// eig returns the eigenvalues of c in descending order and the matching
// eigenvectors as the columns of vecs.
func eig(c *mat.SymDense) (vals []float64, vecs *mat.Dense, err error) {
	var es mat.EigenSym
	if !es.Factorize(c, true) {
		return nil, nil, errors.New("baseline: eigendecomposition failed")
	}
	w := c.SymmetricDim()
	asc := es.Values(nil)
	var v mat.Dense
	es.VectorsTo(&v)
	idx := make([]int, w)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return asc[idx[a]] > asc[idx[b]] })
	vals = make([]float64, w)
	vecs = mat.NewDense(w, w, nil)
	for j, i := range idx {
		vals[j] = asc[i]
		for r := 0; r < w; r++ {
			vecs.Set(r, j, v.At(r, i))
		}
	}
	return vals, vecs, nil
}

// projection is a constraint set for the iterations: it maps a symmetric
// matrix's spectrum (descending) to the spectrum of its projection, with
// the same eigenvectors.
type projection func(vals []float64)

// spiked keeps the top r eigenvalues and replaces the others by their
// mean, clipped at 0: the nearest "r spikes plus isotropic floor" matrix,
// PSD. The floor absorbs the noise and trailing variance that a pure
// rank-r model would have to fold into its spikes.
func spiked(r int) projection {
	return func(vals []float64) {
		w := len(vals)
		if r >= w {
			for i := range vals {
				vals[i] = max(vals[i], 0)
			}
			return
		}
		var tail float64
		for _, v := range vals[r:] {
			tail += v
		}
		tau := max(tail/float64(w-r), 0)
		for i := range vals[:r] {
			vals[i] = max(vals[i], tau)
		}
		for i := r; i < w; i++ {
			vals[i] = tau
		}
	}
}

// rankPSD keeps the top r eigenvalues, clipped at 0, and zeroes the rest:
// the nearest PSD matrix of rank ≤ r.
func rankPSD(r int) projection {
	return func(vals []float64) {
		for i := range vals {
			if i < r {
				vals[i] = max(vals[i], 0)
			} else {
				vals[i] = 0
			}
		}
	}
}

// iterOptions tunes solve; the zero value is the default.
type iterOptions struct {
	maxIter  int
	tol      float64
	gradient bool // plain projected gradient with step 1/‖Φ‖² instead of Φ⁺
}

// solve recovers a symmetric matrix C from y ≈ 𝒜(C) within the set that
// proj projects onto, by iterating
//
//	C ← Proj(C + Φ⁺(y − 𝒜(C))),
//
// iterative hard thresholding preconditioned by the pseudo-inverse: the
// step maps C to the nearest matrix that fits the measurements (an
// orthogonal projection, so the step size is 1/‖Φ⁺Φ‖ = 1), and Proj maps
// that back into the constraint set: alternating projections. Plain IHT,
// C ← Proj(C + Φᵀ(y − ΦC)/‖Φ‖²), did worse on PCAFamily data (median
// ratio 1.23 vs 1.04 at d = 20, m = 128, 500 iterations each): the a_j a_jᵀ
// share a large component along I, so ‖Φ‖ is set by the trace direction
// and the step is short in every other one. Projecting on rank r alone
// instead of r spikes plus a floor gave 1.18.
// It returns the spectrum of the projected iterate (descending) and its
// eigenvectors, which beyond the r spikes are those of the last
// measurement fit.
func (op *quadOp) solve(y []float64, proj projection, o iterOptions) ([]float64, *mat.Dense, error) {
	if o.maxIter <= 0 {
		o.maxIter = 500
	}
	if o.tol <= 0 {
		o.tol = 1e-9
	}
	step := 1.0
	if o.gradient {
		var svd mat.SVD
		if !svd.Factorize(op.phi, mat.SVDNone) {
			return nil, nil, errors.New("baseline: SVD of the measurement operator failed")
		}
		s := svd.Values(nil)[0]
		step = 1 / (s * s)
	}
	v := mat.NewVecDense(op.n, nil)
	next := mat.NewVecDense(op.n, nil)
	r := mat.NewVecDense(op.q, nil)
	yv := mat.NewVecDense(op.q, y)
	c := mat.NewSymDense(op.w, nil)
	var vals []float64
	var vecs *mat.Dense
	for it := 0; it < o.maxIter; it++ {
		r.MulVec(op.phi, v)
		r.SubVec(yv, r)
		if o.gradient {
			next.MulVec(op.phi.T(), r)
			next.AddScaledVec(v, step, next)
		} else {
			next.MulVec(op.pinv, r)
			next.AddVec(v, next)
		}
		smatTo(c, next.RawVector().Data)
		var err error
		vals, vecs, err = eig(c)
		if err != nil {
			return nil, nil, err
		}
		proj(vals)
		rebuild(c, vals, vecs)
		svecTo(next.RawVector().Data, c)
		next.SubVec(next, v)
		change := mat.Norm(next, 2)
		next.AddVec(next, v)
		v, next = next, v
		if change <= o.tol*mat.Norm(v, 2) {
			break
		}
	}
	return vals, vecs, nil
}

// rebuild sets c = V diag(vals) Vᵀ.
func rebuild(c *mat.SymDense, vals []float64, vecs *mat.Dense) {
	w := len(vals)
	var vs, p mat.Dense
	vs.Apply(func(i, j int, x float64) float64 { return x * vals[j] }, vecs)
	p.Mul(&vs, vecs.T())
	for i := 0; i < w; i++ {
		for l := i; l < w; l++ {
			c.SetSym(i, l, (p.At(i, l)+p.At(l, i))/2)
		}
	}
}
