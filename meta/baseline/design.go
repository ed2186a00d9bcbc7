package baseline

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/clkit/clkit/internal/prng"
)

// Task is what a sketch is for. It fixes the row layout: x ∈ R^d for PCA,
// (x, y) ∈ R^{d+1} with y last for ridge.
type Task int

const (
	PCA Task = iota + 1
	Ridge
)

func (t Task) String() string {
	switch t {
	case PCA:
		return "pca"
	case Ridge:
		return "ridge"
	}
	return fmt.Sprintf("Task(%d)", int(t))
}

// Layout is how a sketch spends its budget of M numbers. Every layout
// stores exact first moments, which centre the second ones in the same
// pass; they differ in how they measure the second moments.
type Layout int

const (
	// Auto is Exact when the exact statistics fit in M, else Quadratic for
	// PCA and Projected for ridge (the better decoder of each task at a
	// fixed M; see Params).
	Auto Layout = iota
	// Exact stores the means and the upper triangle of the second-moment
	// matrix: PCA d + d(d+1)/2 numbers, ridge 2d + 2 + d(d+1)/2 (x̄, ȳ,
	// E[xxᵀ], E[xy], E[y²]). Decoding is then exact.
	Exact
	// Quadratic stores the means (x̄, and ȳ for ridge) and, for the rest,
	// z_j = (1/n) Σ (a_jᵀu_i)² along frozen Gaussian directions a_j ~ N(0, I/w),
	// u = x (w = d) or u = (x, y) (w = d+1): linear measurements a_jᵀ E[uuᵀ] a_j
	// of the second moments (compressive PCA, Gribonval et al.). Decoded by
	// iterative hard thresholding.
	Quadratic
	// Projected stores the exact moments of s = Pᵀx, P a frozen random
	// d×p matrix with orthonormal columns, p as large as M allows: PCA x̄
	// and E[ssᵀ] (d + p(p+1)/2 numbers); ridge E[s], ȳ, E[ssᵀ], E[s y] and
	// E[y²] (2p + 2 + p(p+1)/2). For ridge this is compressed least squares
	// (regression on random projections of x). At p = d it is Exact.
	Projected
)

func (l Layout) String() string {
	switch l {
	case Auto:
		return "auto"
	case Exact:
		return "exact"
	case Quadratic:
		return "quadratic"
	case Projected:
		return "projected"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// Params determine a Design completely: the same Params give the same
// directions, bit for bit, on every platform, so sketches made apart merge.
//
// Why ridge defaults to Projected: β = (C_xx + λI)⁻¹ c_xy inverts the
// covariance, so a C_xx recovered from too few quadratic measurements
// (spikes plus a floor, or minimum-norm) has eigenvalues off by large
// factors and β is amplified along them; quadratic measurements also pay
// d + 1 numbers for x̄, ȳ before measuring anything. The projected layout
// spends the budget on exact moments inside a random subspace: β is the
// ridge fit within that subspace (its training objective never worse than
// predicting ȳ), and close to exact when Cov(x) has a decaying spectrum,
// since Σ^{1/2}P still spans Σ's leading directions. On RidgeFamily data
// (d = 20, 20 data sets) the median held-out MSE ratio was 1.43, 1.19,
// 1.08, 1.02 at M = 32, 64, 128, 200 for Projected against 2.16, 1.77,
// 1.52, 1.42 for Quadratic on u = (x, y); TestRidgeLayouts checks it.
// For PCA the target is low rank and μ must be output in full, and
// Quadratic wins: 2.7 at M = 128 for Projected against 1.04.
type Params struct {
	Task   Task
	D      int // dimension of x
	M      int // budget: numbers in the sketch (at most M are used)
	Seed   uint64
	Layout Layout
}

// Parts is how a design splits its budget.
type Parts struct {
	Mean   int // exact first moments: x̄ (PCA); x̄, ȳ (ridge Quadratic); Pᵀx̄, ȳ (ridge Projected, Exact)
	Second int // second moments of x (or of (x, y) for ridge Quadratic): measurements or upper triangle
	Cross  int // E[s y], s = Pᵀx (ridge Projected, Exact)
	YY     int // E[y²] (ridge Projected, Exact)
	P      int // dimension of s = Pᵀx (Projected; d for Exact; 0 for Quadratic)
}

// Len is the number of values the parts hold.
func (p Parts) Len() int { return p.Mean + p.Second + p.Cross + p.YY }

// Design is a frozen set of directions and the per-row feature map they
// define. It is read-only after NewDesign, so goroutines may share it.
// A row's features (and so a sketch's Values), in order, with s = Pᵀx
// (s = x for Exact) and upper triangles row by row:
//
//	PCA Quadratic:            x, (a_jᵀx)²
//	PCA Projected, Exact:     x, upper(s sᵀ)
//	ridge Quadratic:          x, y, (a_jᵀ(x, y))²
//	ridge Projected, Exact:   s, y, upper(s sᵀ), s·y, y²
type Design struct {
	p     Params // Layout resolved: never Auto
	width int    // row width: d, or d+1 for ridge
	parts Parts
	a     []float64 // Quadratic: Second×width directions, row-major
	proj  []float64 // Projected: d×P, orthonormal columns, row-major (nil for Exact: P = I)

	opOnce sync.Once
	op     *quadOp // Quadratic: the measurement operator, built on first decode
	opErr  error
}

// Streams of a design's seed.
const (
	streamQuad = 1
	streamProj = 2
)

// ErrMismatch is returned (wrapped) when sketches of different designs are merged.
var ErrMismatch = errors.New("baseline: sketches of different designs")

// NewDesign checks p, resolves Auto and draws the directions.
func NewDesign(p Params) (*Design, error) {
	d := p.D
	if p.Task != PCA && p.Task != Ridge {
		return nil, fmt.Errorf("baseline: unknown task %v", p.Task)
	}
	if d < 1 {
		return nil, fmt.Errorf("baseline: D = %d, need ≥ 1", d)
	}
	width, meanLen, exactLen := d, d, d+tri(d)
	if p.Task == Ridge {
		width, meanLen, exactLen = d+1, d+1, 2*d+2+tri(d)
	}
	switch p.Layout {
	case Auto:
		switch {
		case p.M >= exactLen:
			p.Layout = Exact
		case p.Task == PCA:
			p.Layout = Quadratic
		default:
			p.Layout = Projected
		}
	case Exact, Quadratic, Projected:
	default:
		return nil, fmt.Errorf("baseline: unknown layout %v", p.Layout)
	}
	g := &Design{p: p, width: width}
	switch p.Layout {
	case Exact:
		if p.M < exactLen {
			return nil, fmt.Errorf("baseline: exact %v statistics for d = %d need M ≥ %d, got %d", p.Task, d, exactLen, p.M)
		}
		g.parts = projectedParts(p.Task, d, d)
	case Quadratic:
		if p.M <= meanLen {
			return nil, fmt.Errorf("baseline: M = %d is too small for the mean and one measurement (%v, d = %d: M ≥ %d)", p.M, p.Task, d, meanLen+1)
		}
		q := p.M - meanLen
		g.parts = Parts{Mean: meanLen, Second: q}
		r := prng.New(p.Seed, streamQuad)
		s := 1 / math.Sqrt(float64(width))
		g.a = make([]float64, q*width)
		for i := range g.a {
			g.a[i] = float64(s * r.Normal())
		}
	case Projected:
		pd := 0
		for pd < d && projectedParts(p.Task, d, pd+1).Len() <= p.M {
			pd++
		}
		if pd == 0 {
			return nil, fmt.Errorf("baseline: M = %d is too small for the mean (%v, d = %d: M ≥ %d)", p.M, p.Task, d, projectedParts(p.Task, d, 1).Len())
		}
		if pd == d {
			g.p.Layout = Exact
			g.parts = projectedParts(p.Task, d, d)
			break
		}
		g.parts = projectedParts(p.Task, d, pd)
		q := haar(prng.New(p.Seed, streamProj), d)
		g.proj = make([]float64, d*pd)
		for i := 0; i < d; i++ {
			for j := 0; j < pd; j++ {
				g.proj[i*pd+j] = q.At(i, j)
			}
		}
	}
	return g, nil
}

// projectedParts is the split of the Projected layout at projection
// dimension p (the Exact layout at p = d). PCA keeps x̄ in full: μ is part
// of the answer.
func projectedParts(t Task, d, p int) Parts {
	if t == PCA {
		return Parts{Mean: d, Second: tri(p), P: p}
	}
	return Parts{Mean: p + 1, Second: tri(p), Cross: p, YY: 1, P: p}
}

func tri(p int) int { return p * (p + 1) / 2 }

// Params returns the design's parameters, with Layout resolved.
func (g *Design) Params() Params { return g.p }

// Parts returns the split of the budget.
func (g *Design) Parts() Parts { return g.parts }

// Len is the number of values per sketch (≤ M).
func (g *Design) Len() int { return g.parts.Len() }

// Width is the number of columns of a row: d for PCA, d+1 (x, then y) for ridge.
func (g *Design) Width() int { return g.width }

// Directions returns a copy of the quadratic directions a_j (Second×Width,
// row-major) of a Quadratic design, or nil.
func (g *Design) Directions() []float64 { return append([]float64(nil), g.a...) }

// Projection returns a copy of P (d×p, row-major, orthonormal columns) of a
// Projected design, or nil (Exact: P = I).
func (g *Design) Projection() []float64 { return append([]float64(nil), g.proj...) }

// features writes the row's features into out (len Len()); scratch holds
// at least P values.
func (g *Design) features(row, out, scratch []float64) {
	d := g.p.D
	switch g.p.Layout {
	case Quadratic:
		k := copy(out, row) // x̄ (and ȳ): the first moments
		w := g.width
		for j := 0; j < g.parts.Second; j++ {
			t := dot(g.a[j*w:(j+1)*w], row)
			out[k+j] = float64(t * t)
		}
	default:
		pd := g.parts.P
		s := scratch[:pd]
		if g.proj == nil {
			copy(s, row[:d])
		} else {
			for j := range s {
				s[j] = 0
			}
			for i := 0; i < d; i++ {
				axpy(row[i], g.proj[i*pd:(i+1)*pd], s)
			}
		}
		k := 0
		if g.p.Task == PCA {
			k = copy(out, row[:d])
		} else {
			k = copy(out, s)
			out[k] = row[d]
			k++
		}
		for i := range s {
			for j := i; j < pd; j++ {
				out[k] = float64(s[i] * s[j])
				k++
			}
		}
		if g.p.Task == Ridge {
			y := row[d]
			for i := range s {
				out[k] = float64(s[i] * y)
				k++
			}
			out[k] = float64(y * y)
		}
	}
}
