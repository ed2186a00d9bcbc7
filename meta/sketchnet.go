package meta

import (
	"errors"
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/nn"
	"github.com/clkit/clkit/rff"
)

// SketchConfig describes a Sketch-Network f: R^D → R^M.
//
// A row x is first standardised by constants fixed with the model,
// u = (x − Shift)/Scale (never per data set: that would break merging).
// Its output has two parts:
//
//   - direct: u itself (Moments) and the quadratic measurements (a_jᵀu)²
//     (Quadratic of them, a_j trained), scaled by 1/R and 1/R² with
//     R = 2√D. Averaged over the rows they are the mean and linear
//     measurements of the second moments: with frozen random a_j exactly
//     the compressive-PCA baseline's sketch, which the learned model thus
//     contains.
//   - learned: a Fourier branch [cos(Ωu + ξ); sin(Ωu + ξ)] (Fourier
//     frequencies, drawn from a frequency law and trained, or frozen) and
//     the quadratic measurements, through a trunk Dense(Width) → act →
//     Blocks × Residual(Dense(Width) → act) → Dense(the rest of M).
//
// Each part is bounded, which makes one row's contribution to the sketch
// known (differential privacy needs it): "l2" clips each part's output to
// ‖·‖₂ ≤ Clip, "tanh" keeps every entry in (−1, 1).
type SketchConfig struct {
	D, M          int
	Fourier       int       // frequencies of the Fourier branch (default 128; < 0 for none)
	Moments       int       // 1: the direct part holds u (default when M ≥ D+4); −1: not
	Cross         int       // 1: the moments also hold the last column times the others (ridge: y·x); −1: not; 0: on for ridge (NewModel)
	Quadratic     int       // quadratic measurements (default half of what the moments leave; < 0: none)
	Width         int       // trunk width (default 256)
	Blocks        int       // residual blocks of the trunk (default 1; < 0 for none)
	Law           rff.Law   // initial frequencies (default folded Gaussian)
	Sigma         float64   // their scale on standardised rows (default 1)
	FrozenFourier bool      // keep the initial frequencies
	Bound         string    // "l2" (default) or "tanh"
	Clip          float64   // the l2 bound C (default 1)
	Shift, Scale  []float64 // standardisation: D values each, or nil (0 and 1)
}

func (c *SketchConfig) defaults() error {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	def(&c.Fourier, 128)
	if c.Cross == 0 {
		c.Cross = -1
	}
	if c.Moments == 0 {
		c.Moments = -1
		if c.M >= c.momentDimsIf()+4 {
			c.Moments = 1
		}
	}
	if c.Quadratic == 0 {
		c.Quadratic = max(1, (c.M-c.momentDims())/2)
	} else if c.Quadratic < 0 {
		c.Quadratic = 0
	}
	def(&c.Width, 256)
	def(&c.Blocks, 1)
	if c.Law == 0 {
		c.Law = rff.FoldedGaussian
	}
	if c.Sigma == 0 {
		c.Sigma = 1
	}
	if c.Bound == "" {
		c.Bound = "l2"
	}
	if c.Clip == 0 {
		c.Clip = 1
	}
	if c.Shift == nil {
		c.Shift = make([]float64, c.D)
	}
	if c.Scale == nil {
		c.Scale = make([]float64, c.D)
		for i := range c.Scale {
			c.Scale[i] = 1
		}
	}
	switch {
	case c.D < 1 || c.M < 1:
		return fmt.Errorf("meta: sketch network of d=%d, m=%d", c.D, c.M)
	case c.Fourier == 0 && c.Quadratic == 0:
		return errors.New("meta: the sketch network needs a Fourier or a quadratic branch")
	case c.trunkOut() < 1:
		return fmt.Errorf("meta: m=%d leaves nothing for the learned part after %d moments and %d quadratic measurements", c.M, c.momentDims(), c.Quadratic)
	case c.Width < 1:
		return fmt.Errorf("meta: trunk width %d", c.Width)
	case c.Bound != "l2" && c.Bound != "tanh":
		return fmt.Errorf("meta: bound %q (want l2 or tanh)", c.Bound)
	case !(c.Clip > 0) || !(c.Sigma > 0):
		return fmt.Errorf("meta: clip %v and sigma %v must be positive", c.Clip, c.Sigma)
	case len(c.Shift) != c.D || len(c.Scale) != c.D:
		return fmt.Errorf("meta: standardisation of %d and %d values for d=%d", len(c.Shift), len(c.Scale), c.D)
	}
	for i, s := range c.Scale {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(c.Shift[i]) || math.IsInf(c.Shift[i], 0) {
			return fmt.Errorf("meta: standardisation of dimension %d: shift %v, scale %v", i, c.Shift[i], s)
		}
	}
	return nil
}

// momentDimsIf is the size the moments block would have.
func (c *SketchConfig) momentDimsIf() int {
	if c.Cross > 0 {
		return 2*c.D - 1
	}
	return c.D
}

func (c *SketchConfig) momentDims() int {
	if c.Moments <= 0 {
		return 0
	}
	if c.Cross > 0 {
		return 2*c.D - 1
	}
	return c.D
}

// direct is the size of the direct part, trunkOut that of the learned.
func (c *SketchConfig) direct() int   { return c.momentDims() + c.Quadratic }
func (c *SketchConfig) trunkOut() int { return c.M - c.direct() }

// directScale is R: u/R and q/R² have entries of order 1/√D and 1/D.
func (c *SketchConfig) directScale() float64 { return 2 * math.Sqrt(float64(c.D)) }

// SketchNet is a Sketch-Network. Its parameters are two blocks: the
// branches' (Ω, ξ, then the quadratic directions, as one slice) and the
// trunk's (an nn.Net). The Fourier branch runs on rff's feature kernels
// and the trunk on nn's matrix product, float32 by default.
type SketchNet[T nn.Float] struct {
	cfg   SketchConfig
	head  []T // Ω (Fourier×D), ξ (Fourier), A (Quadratic×D)
	trunk *nn.Net[T]
	freq  *rff.Frequencies // Ω, ξ of head, for the kernels (refresh)
}

// NewSketchNet builds the network of c with initial parameters from seed.
func NewSketchNet[T nn.Float](c SketchConfig, seed uint64) (*SketchNet[T], error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	in := 2*c.Fourier + c.Quadratic
	layers := []nn.Layer[T]{nn.Dense[T](in, c.Width), nn.Act[T](trunkAct)}
	for range c.Blocks {
		layers = append(layers, nn.Residual(nn.Dense[T](c.Width, c.Width), nn.Act[T](trunkAct)))
	}
	layers = append(layers, nn.Dense[T](c.Width, c.trunkOut()), boundLayer[T](c))
	trunk, err := nn.NewNet(layers...)
	if err != nil {
		return nil, err
	}
	trunk.Init(seed)
	s := &SketchNet[T]{cfg: c, trunk: trunk, head: make([]T, c.Fourier*c.D+c.Fourier+c.Quadratic*c.D)}

	if c.Fourier > 0 {
		f, err := rff.NewFrequencies(rff.Params{Law: c.Law, D: c.D, M: c.Fourier, Sigma: []float64{c.Sigma}, Seed: seed})
		if err != nil {
			return nil, err
		}
		for i, v := range f.OmegaMatrix() {
			s.head[i] = T(v)
		}
		for j, v := range f.Xi() {
			s.head[c.Fourier*c.D+j] = T(v)
		}
	}
	// Quadratic directions: unit-variance projections of the standardised
	// rows (a_j ~ N(0, I/D)), as the compressive-PCA baseline draws them.
	r := prng.New(seed, 0x9a)
	a := s.quad()
	for i := range a {
		a[i] = T(r.Normal() / math.Sqrt(float64(c.D)))
	}
	return s, s.refresh()
}

// boundLayer is the bound of the learned part (it follows a Dense layer,
// whose width it takes).
func boundLayer[T nn.Float](c SketchConfig) nn.Layer[T] {
	if c.Bound == "l2" {
		return nn.L2Clip[T](c.Clip)
	}
	return nn.Act[T](nn.Tanh)
}

// boundFwd bounds one block of the direct part: out = v·min(1, C/‖v‖)
// (l2) or tanh(v).
func boundFwd[T nn.Float](c *SketchConfig, v, out []T) {
	if c.Bound == "tanh" {
		for i, x := range v {
			out[i] = T(math.Tanh(float64(x)))
		}
		return
	}
	var r2 float64
	for _, x := range v {
		r2 += float64(x) * float64(x)
	}
	sc := T(1)
	if r := math.Sqrt(r2); r > c.Clip {
		sc = T(c.Clip / r)
	}
	for i, x := range v {
		out[i] = sc * x
	}
}

// boundBwd is boundFwd's backward: dv from dout.
func boundBwd[T nn.Float](c *SketchConfig, v, dout, dv []T) {
	if c.Bound == "tanh" {
		for i, x := range v {
			t := math.Tanh(float64(x))
			dv[i] = dout[i] * T(1-t*t)
		}
		return
	}
	var r2, vd float64
	for i, x := range v {
		r2 += float64(x) * float64(x)
		vd += float64(x) * float64(dout[i])
	}
	r := math.Sqrt(r2)
	if r <= c.Clip {
		copy(dv, dout)
		return
	}
	sc := c.Clip / r
	for i, x := range v {
		dv[i] = T(sc * (float64(dout[i]) - float64(x)*vd/r2))
	}
}

// trunkAct is the trunk's activation: a LeakyReLU, which costs nothing
// beside the matrix products, where GELU's erf would cost more than they
// do per row at these widths (the Sketch-Network runs on every row).
var trunkAct = nn.LeakyReLU(0.01)

func (s *SketchNet[T]) omega() []T { return s.head[:s.cfg.Fourier*s.cfg.D] }
func (s *SketchNet[T]) xi() []T {
	o := s.cfg.Fourier * s.cfg.D
	return s.head[o : o+s.cfg.Fourier]
}
func (s *SketchNet[T]) quad() []T { return s.head[s.cfg.Fourier*(s.cfg.D+1):] }

// refresh rebuilds the kernels' frequencies from the parameters; call it
// after changing them.
func (s *SketchNet[T]) refresh() error {
	if s.cfg.Fourier == 0 {
		return nil
	}
	om, xi := make([]float64, s.cfg.Fourier*s.cfg.D), make([]float64, s.cfg.Fourier)
	for i, v := range s.omega() {
		om[i] = float64(v)
	}
	for i, v := range s.xi() {
		xi[i] = float64(v)
	}
	f, err := rff.NewCustomFrequencies(om, xi, s.cfg.D)
	if err != nil {
		return fmt.Errorf("meta: Fourier branch: %w", err)
	}
	s.freq = f
	return nil
}

// Config returns the network's configuration (with defaults filled in).
func (s *SketchNet[T]) Config() SketchConfig { return s.cfg }

// D and M are the input and output sizes.
func (s *SketchNet[T]) D() int { return s.cfg.D }
func (s *SketchNet[T]) M() int { return s.cfg.M }

// Blocks returns the parameter blocks (branches, trunk), aliasing the
// network: an optimiser updates them in place, then calls Refresh.
func (s *SketchNet[T]) Blocks() [][]T { return [][]T{s.head, s.trunk.Params()} }

// Refresh must follow every change of the parameters.
func (s *SketchNet[T]) Refresh() error { return s.refresh() }

// Sensitivity is the largest norm of one row's output: ‖f(x)‖₂ ≤ L2 and
// ‖f(x)‖₁ ≤ L1, which bound a row's effect on the summed sketch.
func (s *SketchNet[T]) Sensitivity() (l1, l2 float64) {
	m := float64(s.cfg.M)
	if s.cfg.Bound == "tanh" {
		return m, math.Sqrt(m)
	}
	// Each part is clipped (to a few ulps of the element type).
	c := s.cfg.Clip * (1 + 1e-5)
	parts := 1.0 // the learned part, and each block of the direct one
	if s.cfg.momentDims() > 0 {
		parts++
	}
	if s.cfg.Quadratic > 0 {
		parts++
	}
	return c * math.Sqrt(m) * math.Sqrt(parts), c * math.Sqrt(parts)
}

// Work is the workspace of one batch through the network: Forward's
// intermediate values, kept for Backward. One per goroutine; it grows to
// the largest batch and then does not allocate.
type Work[T nn.Float] struct {
	u, feat, f, p []T // standardised rows, Fourier features, trunk input, projections
	dir, out      []T // the direct part before its bound; the output rows
	ahat, anorm   []T // the quadratic directions normalised, and their norms
	df, ddir      []T
	gt, h, dp     []T // trunk gradient; ∂L/∂t of the Fourier branch; ∂L/∂p
	dtrunk, dhat  []T // the learned part's gradient; ∂L/∂Â
	trunk         nn.Workspace[T]
	n             int
}

// Forward computes f(x) for the n rows of x (n×D, row-major) and returns
// them (n×M, owned by w). A non-finite input is an error.
func (s *SketchNet[T]) Forward(w *Work[T], x []float64, n int) ([]T, error) {
	c := s.cfg
	if len(x) != n*c.D {
		return nil, fmt.Errorf("meta: %d values for %d rows of d=%d", len(x), n, c.D)
	}
	in := 2*c.Fourier + c.Quadratic
	w.u, w.f = grow(w.u, n*c.D), grow(w.f, n*in)
	w.n = n
	for i, v := range x {
		k := i % c.D
		w.u[i] = T((v - c.Shift[k]) / c.Scale[k])
	}
	if c.Fourier > 0 {
		w.feat = grow(w.feat, n*2*c.Fourier)
		var err error
		switch u := any(w.u).(type) {
		case []float32:
			err = s.freq.FeaturesF32(u, any(w.feat).([]float32), 1)
		case []float64:
			err = s.freq.FeaturesF64(u, any(w.feat).([]float64), 1)
		}
		if err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
		for i := range n {
			copy(w.f[i*in:i*in+2*c.Fourier], w.feat[i*2*c.Fourier:(i+1)*2*c.Fourier])
		}
	}
	if c.Quadratic > 0 {
		// Unit directions â_j = a_j/‖a_j‖: (âᵀu)² cannot grow with a_j,
		// so the bound does not have to shrink the measurements.
		q := c.Quadratic
		a := s.quad()
		w.ahat, w.anorm = grow(w.ahat, q*c.D), grow(w.anorm, q)
		for j := range q {
			var n2 float64
			for _, v := range a[j*c.D : (j+1)*c.D] {
				n2 += float64(v) * float64(v)
			}
			w.anorm[j] = T(math.Sqrt(n2))
			for k, v := range a[j*c.D : (j+1)*c.D] {
				w.ahat[j*c.D+k] = v / w.anorm[j]
			}
		}
		w.p = grow(w.p, n*q)
		nn.Gemm(false, true, n, q, c.D, 1, w.u, c.D, w.ahat, c.D, 0, w.p, q)
		for i := range n {
			row := w.f[i*in+2*c.Fourier : (i+1)*in]
			for j, v := range w.p[i*q : (i+1)*q] {
				row[j] = v * v
			}
		}
	}
	t := s.trunk.Forward(&w.trunk, w.f, n)
	nd, nt := c.direct(), c.trunkOut()
	w.out = grow(w.out, n*c.M)
	if nd > 0 {
		// The direct part: [u/R, q/R²], then its bound.
		R := T(c.directScale())
		md := c.momentDims()
		w.dir = grow(w.dir, n*nd)
		for i := range n {
			row := w.dir[i*nd : (i+1)*nd]
			for k := range min(md, c.D) {
				row[k] = w.u[i*c.D+k] / R
			}
			if c.Cross > 0 && md > 0 {
				// Cross moments with the last column (ridge: y·x_k).
				y := w.u[i*c.D+c.D-1]
				for k := range c.D - 1 {
					row[c.D+k] = y * w.u[i*c.D+k] / (R * R)
				}
			}
			for j := range c.Quadratic {
				p := w.p[i*c.Quadratic+j]
				row[md+j] = p * p / (R * R)
			}
		}
		for i := range n {
			v, o := w.dir[i*nd:(i+1)*nd], w.out[i*c.M:i*c.M+nd]
			if md > 0 {
				boundFwd(&c, v[:md], o[:md])
			}
			if c.Quadratic > 0 {
				boundFwd(&c, v[md:], o[md:])
			}
		}
	}
	for i := range n {
		copy(w.out[i*c.M+nd:(i+1)*c.M], t[i*nt:(i+1)*nt])
	}
	return w.out, nil
}

// Backward takes ∂L/∂f(x) (n×M) for the rows of the last Forward and ADDS
// ∂L/∂θ into the blocks of grad (shaped as Blocks()).
func (s *SketchNet[T]) Backward(w *Work[T], dOut []T, grad [][]T) {
	c, n := s.cfg, w.n
	in := 2*c.Fourier + c.Quadratic
	nd, nt := c.direct(), c.trunkOut()
	w.df = grow(w.df, n*in)
	w.dtrunk = grow(w.dtrunk, n*nt)
	for i := range n {
		copy(w.dtrunk[i*nt:(i+1)*nt], dOut[i*c.M+nd:(i+1)*c.M])
	}
	gt := grad[1]
	// nn's Backward overwrites its gradient: sum through a scratch block.
	w.gt = grow(w.gt, len(gt))
	s.trunk.Backward(&w.trunk, w.dtrunk, w.gt, w.df)
	for i, v := range w.gt {
		gt[i] += v
	}
	gh := grad[0]
	if c.Fourier > 0 && !c.FrozenFourier {
		// t_ij = ω_jᵀu_i + ξ_j: ∂/∂t of the branch is h = cos·∂S − sin·∂C,
		// so ∂L/∂Ω = hᵀU and ∂L/∂ξ = Σ_i h_i.
		mf := c.Fourier
		w.h = grow(w.h, n*mf)
		h := w.h
		for i := range n {
			fr, dr := w.f[i*in:], w.df[i*in:]
			for j := range mf {
				h[i*mf+j] = fr[j]*dr[mf+j] - fr[mf+j]*dr[j]
			}
		}
		nn.Gemm(true, false, mf, c.D, n, 1, h, mf, w.u, c.D, 1, gh[:mf*c.D], c.D)
		dxi := gh[mf*c.D : mf*(c.D+1)]
		for i := range n {
			for j, v := range h[i*mf : (i+1)*mf] {
				dxi[j] += v
			}
		}
	}
	if c.Quadratic > 0 {
		// q_j = p_j², p = Âu, into the trunk and, as q/R², the direct part:
		// ∂L/∂Â = (2p ∘ ∂q)ᵀ U, then through the normalisation
		// ∂L/∂a_j = (∂L/∂â_j − â_j·(â_jᵀ∂L/∂â_j))/‖a_j‖.
		q := c.Quadratic
		w.dp = grow(w.dp, n*q)
		dp := w.dp
		var dq []T
		md := c.momentDims()
		R2 := T(c.directScale() * c.directScale())
		if nd > 0 {
			w.ddir = grow(w.ddir, n*nd)
			for i := range n {
				boundBwd(&c, w.dir[i*nd+md:(i+1)*nd], dOut[i*c.M+md:i*c.M+nd], w.ddir[i*nd+md:(i+1)*nd])
			}
			dq = w.ddir
		}
		for i := range n {
			for j := range q {
				g := w.df[i*in+2*c.Fourier+j]
				if dq != nil {
					g += dq[i*nd+md+j] / R2
				}
				dp[i*q+j] = 2 * w.p[i*q+j] * g
			}
		}
		w.dhat = grow(w.dhat, q*c.D)
		nn.Gemm(true, false, q, c.D, n, 1, dp, q, w.u, c.D, 0, w.dhat, c.D)
		ga := gh[c.Fourier*(c.D+1):]
		for j := range q {
			ah, dh := w.ahat[j*c.D:(j+1)*c.D], w.dhat[j*c.D:(j+1)*c.D]
			var dot T
			for k := range ah {
				dot += ah[k] * dh[k]
			}
			for k := range ah {
				ga[j*c.D+k] += (dh[k] - ah[k]*dot) / w.anorm[j]
			}
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// FlopsPerRow is the floating-point work of one row's forward pass in the
// matrix products and the Fourier phases (2 per multiply-add), for
// throughput figures.
func (s *SketchNet[T]) FlopsPerRow() float64 {
	c := s.cfg
	in := 2*c.Fourier + c.Quadratic
	macs := c.Fourier*c.D + c.Quadratic*c.D + in*c.Width + c.Blocks*c.Width*c.Width + c.Width*c.trunkOut()
	return 2 * float64(macs)
}
