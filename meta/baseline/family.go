package baseline

import (
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
	"gonum.org/v1/gonum/mat"
)

// The task families of meta-learning.md §3: each seed gives one task (its
// parameters), and a task gives as many rows as wanted, from numbered row
// streams, so a meta-learner can draw a training set and a held-out set of
// the same task. Everything is drawn from internal/prng and computed with
// explicit rounding (float64(a*b), no fused multiply-adds, a portable exp),
// so the same seed gives the same rows, bit for bit, on every platform.

// Streams of a task's seed: parameters on paramStream, rows on
// rowStreamBase + the caller's row stream.
const (
	paramStream   = 0
	rowStreamBase = 1 << 32
)

// PCAFamily is the PCA task family: rows x = μ + Q diag(λ)^{1/2} z + σ ε with
// Q Haar-orthogonal d×d, λ_j ∝ j^(−α) scaled so Σ_j λ_j = d (unit variance per
// coordinate on average, the scale of μ), α ~ U[AlphaMin, AlphaMax],
// μ ~ N(0, I), σ ~ U[SigmaMin, SigmaMax], z, ε ~ N(0, I).
type PCAFamily struct {
	D                  int
	AlphaMin, AlphaMax float64
	SigmaMin, SigmaMax float64
	// Shared, when positive, makes the family's data sets share structure:
	// Q is the orthonormalised Q₀ + Shared·G/√d with one Q₀ for the whole
	// family (drawn from SharedSeed) and G standard Gaussian per data set
	// (so each direction is tilted by about Shared radians), so the
	// principal directions of different data sets are near each other —
	// the situation where a sketch learned on the family can measure along
	// them, and a random one cannot. Zero (the notes' family) draws Q
	// uniformly (Haar).
	Shared     float64
	SharedSeed uint64
}

// DefaultPCAFamily is the family of the notes: α ~ U[0.5, 3], σ ~ U[0, 0.3].
func DefaultPCAFamily(d int) PCAFamily {
	return PCAFamily{D: d, AlphaMin: 0.5, AlphaMax: 3, SigmaMin: 0, SigmaMax: 0.3}
}

// PCATask is one data set's generating parameters.
type PCATask struct {
	D      int
	Mu     []float64  // mean, d
	Q      *mat.Dense // d×d orthogonal, columns are the principal directions
	Lambda []float64  // variances along Q's columns, descending, sum d
	Alpha  float64    // spectral decay
	Sigma  float64    // isotropic noise standard deviation
	seed   uint64
}

// Task draws the task of the given seed.
func (f PCAFamily) Task(seed uint64) (*PCATask, error) {
	if err := checkFamily("PCAFamily", f.D, f.AlphaMin, f.AlphaMax, f.SigmaMin, f.SigmaMax, f.Shared); err != nil {
		return nil, err
	}
	r := prng.New(seed, paramStream)
	t := &PCATask{D: f.D, seed: seed}
	t.Alpha = uniform(r, f.AlphaMin, f.AlphaMax)
	t.Sigma = uniform(r, f.SigmaMin, f.SigmaMax)
	t.Lambda = powerSpectrum(f.D, t.Alpha)
	t.Q = familyRotation(r, f.D, f.Shared, f.SharedSeed)
	t.Mu = make([]float64, f.D)
	for i := range t.Mu {
		t.Mu[i] = r.Normal()
	}
	return t, nil
}

// Rows draws n rows (n×d, row-major) from row stream `stream`; distinct
// streams are independent draws from the same task.
func (t *PCATask) Rows(n int, stream uint64) []float64 {
	d := t.D
	r := prng.New(t.seed, rowStreamBase+stream)
	q := t.Q.RawMatrix()
	sd := make([]float64, d)
	for j := range sd {
		sd[j] = math.Sqrt(t.Lambda[j])
	}
	w := make([]float64, d)
	x := make([]float64, n*d)
	for i := 0; i < n; i++ {
		for j := range w {
			w[j] = float64(sd[j] * r.Normal())
		}
		row := x[i*d : (i+1)*d]
		for a := range row {
			row[a] = t.Mu[a] + dot(q.Data[a*q.Stride:a*q.Stride+d], w) + float64(t.Sigma*r.Normal())
		}
	}
	return x
}

// RidgeFamily is the ridge task family: x ~ N(0, Σ), Σ = Q diag(λ) Qᵀ with
// Q and λ as in PCAFamily (α ~ U[AlphaMin, AlphaMax]), β ~ N(0, I/d),
// b ~ N(0, 1), y = xᵀβ + b + σ ε with σ ~ U[SigmaMin, SigmaMax].
type RidgeFamily struct {
	D                  int
	AlphaMin, AlphaMax float64
	SigmaMin, SigmaMax float64
	Shared             float64 // as in PCAFamily: Q near a Q₀ common to the family
	SharedSeed         uint64
}

// DefaultRidgeFamily is the family of the notes: α ~ U[0.5, 3], σ ~ U[0.05, 1].
func DefaultRidgeFamily(d int) RidgeFamily {
	return RidgeFamily{D: d, AlphaMin: 0.5, AlphaMax: 3, SigmaMin: 0.05, SigmaMax: 1}
}

// RidgeTask is one regression data set's generating parameters.
type RidgeTask struct {
	D      int
	Q      *mat.Dense // d×d orthogonal
	Lambda []float64  // eigenvalues of Cov(x), descending, sum d
	Beta   []float64  // true coefficients
	B      float64    // true intercept
	Alpha  float64
	Sigma  float64 // noise standard deviation of y
	seed   uint64
}

// Task draws the task of the given seed.
func (f RidgeFamily) Task(seed uint64) (*RidgeTask, error) {
	if err := checkFamily("RidgeFamily", f.D, f.AlphaMin, f.AlphaMax, f.SigmaMin, f.SigmaMax, f.Shared); err != nil {
		return nil, err
	}
	r := prng.New(seed, paramStream)
	t := &RidgeTask{D: f.D, seed: seed}
	t.Alpha = uniform(r, f.AlphaMin, f.AlphaMax)
	t.Sigma = uniform(r, f.SigmaMin, f.SigmaMax)
	t.Lambda = powerSpectrum(f.D, t.Alpha)
	t.Q = familyRotation(r, f.D, f.Shared, f.SharedSeed)
	t.Beta = make([]float64, f.D)
	s := 1 / math.Sqrt(float64(f.D))
	for i := range t.Beta {
		t.Beta[i] = float64(s * r.Normal())
	}
	t.B = r.Normal()
	return t, nil
}

// Rows draws n rows (n×(d+1), row-major: x, then y) from row stream `stream`.
func (t *RidgeTask) Rows(n int, stream uint64) []float64 {
	d := t.D
	r := prng.New(t.seed, rowStreamBase+stream)
	q := t.Q.RawMatrix()
	sd := make([]float64, d)
	for j := range sd {
		sd[j] = math.Sqrt(t.Lambda[j])
	}
	w := make([]float64, d)
	out := make([]float64, n*(d+1))
	for i := 0; i < n; i++ {
		for j := range w {
			w[j] = float64(sd[j] * r.Normal())
		}
		row := out[i*(d+1) : (i+1)*(d+1)]
		for a := 0; a < d; a++ {
			row[a] = dot(q.Data[a*q.Stride:a*q.Stride+d], w)
		}
		row[d] = dot(row[:d], t.Beta) + t.B + float64(t.Sigma*r.Normal())
	}
	return out
}

func checkFamily(name string, d int, amin, amax, smin, smax, shared float64) error {
	switch {
	case d < 1:
		return fmt.Errorf("baseline: %s.D = %d, need ≥ 1", name, d)
	case !(amin >= 0 && amin <= amax && amax <= 20):
		return fmt.Errorf("baseline: %s alpha range [%v, %v], need 0 ≤ min ≤ max ≤ 20", name, amin, amax)
	case !(smin >= 0 && smin <= smax && !math.IsInf(smax, 0)):
		return fmt.Errorf("baseline: %s sigma range [%v, %v], need 0 ≤ min ≤ max < ∞", name, smin, smax)
	case !(shared >= 0) || math.IsInf(shared, 0):
		return fmt.Errorf("baseline: %s: shared = %v, want finite and ≥ 0", name, shared)
	}
	return nil
}

func uniform(r *prng.Stream, lo, hi float64) float64 {
	return lo + float64((hi-lo)*r.Uniform())
}

// powerSpectrum is λ_j = j^(−α), j = 1..d, scaled to sum to d.
func powerSpectrum(d int, alpha float64) []float64 {
	l := make([]float64, d)
	var s float64
	for j := range l {
		l[j] = expPortable(float64(-alpha * prng.Log(float64(j+1))))
		s += l[j]
	}
	c := float64(d) / s
	for j := range l {
		l[j] = float64(l[j] * c)
	}
	return l
}

// haar is a Haar-distributed orthogonal d×d matrix: the Q of a Gaussian
// matrix's QR factorisation with R's diagonal made positive. Gram–Schmidt
// (modified, with one re-orthogonalisation pass) gives that positive
// diagonal directly and, unlike LAPACK, rounds the same on every platform.
// familyRotation is a data set's Q: Haar when shared is 0, else the
// Gram–Schmidt orthonormalisation (column order kept, so the leading
// directions stay near Q₀'s) of Q₀ + shared·G/√d, G drawn from r.
func familyRotation(r *prng.Stream, d int, shared float64, sharedSeed uint64) *mat.Dense {
	if !(shared > 0) {
		return haar(r, d)
	}
	q0 := haar(prng.New(sharedSeed, 0x51a7ed), d)
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, d)
		for i := range cols[j] {
			cols[j][i] = q0.At(i, j) + float64(shared*r.Normal())/math.Sqrt(float64(d))
		}
	}
	return orthonormalise(cols)
}

func haar(r *prng.Stream, d int) *mat.Dense {
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, d)
		for i := range cols[j] {
			cols[j][i] = r.Normal()
		}
	}
	return orthonormalise(cols)
}

// orthonormalise applies Gram–Schmidt twice to the columns, in order, and
// returns them as a d×d matrix.
func orthonormalise(cols [][]float64) *mat.Dense {
	d := len(cols)
	for j, v := range cols {
		for range 2 {
			for _, u := range cols[:j] {
				axpy(-dot(u, v), u, v)
			}
		}
		s := 1 / math.Sqrt(dot(v, v))
		for i := range v {
			v[i] = float64(v[i] * s)
		}
	}
	q := mat.NewDense(d, d, nil)
	for j, v := range cols {
		q.SetCol(j, v)
	}
	return q
}

// dot and axpy round every product, so no compiler fuses them into FMAs.
func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += float64(a[i] * b[i])
	}
	return s
}

func axpy(alpha float64, x, y []float64) {
	for i := range x {
		y[i] += float64(alpha * x[i])
	}
}

// expPortable is e^x by the classic reduction x = k ln2 + r and a
// rational approximation on r (FreeBSD's e_exp.c, as in Go's pure-Go
// math.Exp), with explicit rounding: math.Exp has assembly versions on
// amd64 and arm64 that may differ in the last bit.
func expPortable(x float64) float64 {
	const (
		ln2Hi  = 6.93147180369123816490e-01
		ln2Lo  = 1.90821492927058770002e-10
		log2e  = 1.44269504088896338700e+00
		p1     = 1.66666666666666657415e-01
		p2     = -2.77777777770155933842e-03
		p3     = 6.61375632143793436117e-05
		p4     = -1.65339022054652515390e-06
		p5     = 4.13813679705723846039e-08
		maxArg = 700
	)
	if !(math.Abs(x) <= maxArg) {
		return math.Exp(x) // unreachable from the families (|α ln j| ≤ 20 ln d)
	}
	var k int
	switch {
	case x < 0:
		k = int(float64(log2e*x) - 0.5)
	default:
		k = int(float64(log2e*x) + 0.5)
	}
	hi := x - float64(float64(k)*ln2Hi)
	lo := float64(float64(k) * ln2Lo)
	rr := hi - lo
	t := float64(rr * rr)
	c := rr - float64(t*float64(p1+float64(t*float64(p2+float64(t*float64(p3+float64(t*float64(p4+float64(t*p5)))))))))
	y := 1 - ((lo - float64(rr*c)/(2-c)) - hi)
	return math.Ldexp(y, k)
}
