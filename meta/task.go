package meta

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/meta/baseline"
	"github.com/clkit/clkit/solver"
	"gonum.org/v1/gonum/mat"
)

// Task is a family of data sets and the model its Query-Network predicts
// for each: how to draw a data set, the training loss of a prediction
// (on the data set's own rows and statistics) with its gradient, the
// reported error ratio, and what a prediction means.
type Task interface {
	Name() string
	// RowDim is the width of a row the Sketch-Network sees (ridge rows
	// are (x, y)).
	RowDim() int
	// Out is the size of the Query-Network's raw prediction.
	Out() int
	// Draw returns a data set of the family with n rows (seeded).
	Draw(seed uint64, n int) (*Dataset, error)
	// Loss returns the training loss of prediction out on ds, using the
	// rows ds.LossRows when it needs rows, and writes ∂loss/∂out.
	Loss(ds *Dataset, out, grad []float64) float64
	// Metric is the reported error ratio of out on ds (1 = as good as
	// the exact solution on the full data).
	Metric(ds *Dataset, out []float64) (float64, error)
}

// Dataset is one data set of a task family, with what its loss and metric
// need precomputed.
type Dataset struct {
	X        []float64 // rows, N×RowDim
	N        int
	LossRows []float64 // rows the training loss uses (a subset of X), or nil
	Test     []float64 // held-out rows of the same task (ridge's metric; see TestRows)
	testRows func() []float64
	mean     []float64 // of the features (PCA, AE: x; ridge: x)
	cov      []float64 // centred covariance of x, d×d
	eig      []float64 // its eigenvalues, descending
	ridge    *ridgeStats
	refSSE   float64 // k-means: SSE per row at the generating means
}

// TaskByName returns the default task of that name at dimension d: "pca"
// (k = 3), "ridge" (λ = 1e-2), "kmeans" (K = 5), "ae" (a linear
// autoencoder with 3 hidden units).
func TaskByName(name string, d int) (Task, error) {
	switch name {
	case "pca":
		return NewPCATask(d, 3)
	case "ridge":
		return NewRidgeTask(d, 1e-2)
	case "kmeans":
		return NewKMeansTask(d, 5)
	case "ae":
		return NewAETask(d, 3)
	}
	return nil, fmt.Errorf("meta: unknown task %q (want pca, ridge, kmeans or ae)", name)
}

// meanCov returns the mean and the centred covariance (d×d) of rows x
// (n rows of width w, the first d columns used), and the eigenvalues of
// the covariance in descending order.
func meanCov(x []float64, n, w, d int) (mean, cov, eig []float64) {
	mean = make([]float64, d)
	for i := range n {
		for a := range d {
			mean[a] += x[i*w+a]
		}
	}
	for a := range mean {
		mean[a] /= float64(n)
	}
	cov = make([]float64, d*d)
	c := make([]float64, d)
	for i := range n {
		for a := range d {
			c[a] = x[i*w+a] - mean[a]
		}
		for a := range d {
			for b := a; b < d; b++ {
				cov[a*d+b] += c[a] * c[b]
			}
		}
	}
	for a := range d {
		for b := a; b < d; b++ {
			cov[a*d+b] /= float64(n)
			cov[b*d+a] = cov[a*d+b]
		}
	}
	var es mat.EigenSym
	if es.Factorize(mat.NewSymDense(d, append([]float64(nil), cov...)), false) {
		eig = es.Values(nil)
		slices.Reverse(eig)
	}
	return mean, cov, eig
}

// subsample returns up to k rows of x (n rows of width w), drawn without
// replacement from stream r, or x itself when it has at most k rows.
func subsample(x []float64, n, w, k int, r *prng.Stream) []float64 {
	if n <= k {
		return x
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	out := make([]float64, 0, k*w)
	for i := range k {
		j := i + r.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
		out = append(out, x[idx[i]*w:(idx[i]+1)*w]...)
	}
	return out
}

// ---- PCA ----------------------------------------------------------------

// PCATask predicts the top-k principal subspace and the mean: the
// prediction is a d×k matrix V (any basis of the subspace) and μ. Loss:
// the excess reconstruction error over the optimum, relative to the total
// variance, (E(V, μ) − E_opt)/tr C, with E(V, μ) = tr((I − P)C(μ)), P the
// projection on span V and C(μ) the second moment about μ. Metric:
// E/E_opt (as baseline.ScorePCA).
//
// With Covariance set, the Query-Network predicts the centred covariance
// instead (its upper triangle, d(d+1)/2 values, then μ), trained on
// ‖Ĉ − C‖²_F/‖C‖²_F + ‖μ̂ − x̄‖²/tr C, and the subspace is Ĉ's top-k
// eigenvectors: a regression, linear in the sketch's quadratic
// measurements, in place of learning an eigensolver.
type PCATask struct {
	D, K       int
	Covariance bool
	// LogRatio trains the subspace head on log(E/E_opt), the log of the
	// reported metric, instead of the excess relative to tr C.
	LogRatio bool
	Family   baseline.PCAFamily
}

// DefaultPCAFamilyFor is the notes' PCA family at dimension d.
func DefaultPCAFamilyFor(d int) baseline.PCAFamily { return baseline.DefaultPCAFamily(d) }

// NewPCATask is the PCA task of the notes' family at dimension d.
func NewPCATask(d, k int) (*PCATask, error) {
	if k < 1 || k >= d {
		return nil, fmt.Errorf("meta: PCA of k=%d components in d=%d", k, d)
	}
	return &PCATask{D: d, K: k, Family: baseline.DefaultPCAFamily(d)}, nil
}

func (t *PCATask) Name() string { return "pca" }
func (t *PCATask) RowDim() int  { return t.D }
func (t *PCATask) Out() int {
	if t.Covariance {
		return t.D*(t.D+1)/2 + t.D
	}
	return t.D*t.K + t.D
}

func (t *PCATask) Draw(seed uint64, n int) (*Dataset, error) {
	task, err := t.Family.Task(seed)
	if err != nil {
		return nil, err
	}
	x := task.Rows(n, 0)
	ds := &Dataset{X: x, N: n}
	ds.mean, ds.cov, ds.eig = meanCov(x, n, t.D, t.D)
	if ds.eig == nil {
		return nil, errors.New("meta: PCA data set: eigendecomposition failed")
	}
	return ds, nil
}

// pcaError returns E(V, μ) and, when grad is not nil, its gradient.
func (t *PCATask) pcaError(ds *Dataset, out, grad []float64) float64 {
	d, k := t.D, t.K
	V := mat.NewDense(d, k, out[:d*k])
	mu := out[d*k:]
	// C(μ) = C + δδᵀ, δ = x̄ − μ.
	delta := make([]float64, d)
	for a := range delta {
		delta[a] = ds.mean[a] - mu[a]
	}
	C := mat.NewDense(d, d, append([]float64(nil), ds.cov...))
	for a := range d {
		for b := range d {
			C.Set(a, b, C.At(a, b)+delta[a]*delta[b])
		}
	}
	// P = V G⁻¹ Vᵀ with G = VᵀV (+ a tiny ridge: V may start degenerate).
	var G mat.Dense
	G.Mul(V.T(), V)
	var trG float64
	for i := range k {
		trG += G.At(i, i)
	}
	for i := range k {
		G.Set(i, i, G.At(i, i)+1e-9*(1+trG/float64(k)))
	}
	var Gi mat.Dense
	if err := Gi.Inverse(&G); err != nil {
		return math.Inf(1)
	}
	var VG, P mat.Dense
	VG.Mul(V, &Gi)
	P.Mul(&VG, V.T())
	var IP mat.Dense // I − P
	IP.Scale(-1, &P)
	for i := range d {
		IP.Set(i, i, IP.At(i, i)+1)
	}
	var IPC mat.Dense
	IPC.Mul(&IP, C)
	E := mat.Trace(&IPC)
	if grad != nil {
		// ∂E/∂V = −2(I − P)·C(μ)·V·G⁻¹; ∂E/∂μ = −2(I − P)δ.
		var gV mat.Dense
		gV.Mul(&IPC, &VG)
		for a := range d {
			for b := range k {
				grad[a*k+b] = -2 * gV.At(a, b)
			}
		}
		for a := range d {
			var s float64
			for b := range d {
				s += IP.At(a, b) * delta[b]
			}
			grad[d*k+a] = -2 * s
		}
	}
	return E
}

func (t *PCATask) optimum(ds *Dataset) (eopt, total float64) {
	for j, v := range ds.eig {
		total += v
		if j >= t.K {
			eopt += max(v, 0)
		}
	}
	return eopt, total
}

func (t *PCATask) Loss(ds *Dataset, out, grad []float64) float64 {
	if t.Covariance {
		return t.covLoss(ds, out, grad)
	}
	E := t.pcaError(ds, out, grad)
	eopt, total := t.optimum(ds)
	if t.LogRatio {
		for i := range grad {
			grad[i] /= E
		}
		return math.Log(E / max(eopt, 1e-12*total))
	}
	for i := range grad {
		grad[i] /= total
	}
	return (E - eopt) / total
}

func (t *PCATask) Metric(ds *Dataset, out []float64) (float64, error) {
	if t.Covariance {
		U, mu, err := t.Decode(out)
		if err != nil {
			return 0, err
		}
		out = append(U, mu...)
	}
	E := (&PCATask{D: t.D, K: t.K}).pcaError(ds, out, nil)
	eopt, _ := t.optimum(ds)
	if !(eopt > 0) {
		return 0, errors.New("meta: PCA data set with no error left beyond k components")
	}
	return E / eopt, nil
}

// Decode turns a raw prediction into an orthonormal basis U (d×k,
// row-major; columns by decreasing variance they capture are not ordered)
// and the mean μ.
func (t *PCATask) Decode(out []float64) (U, mu []float64, err error) {
	d, k := t.D, t.K
	if t.Covariance {
		n := d * (d + 1) / 2
		C := mat.NewSymDense(d, nil)
		i := 0
		for a := range d {
			for b := a; b < d; b++ {
				C.SetSym(a, b, out[i])
				i++
			}
		}
		var es mat.EigenSym
		if !es.Factorize(C, true) {
			return nil, nil, errors.New("meta: PCA decode: eigendecomposition failed")
		}
		var ev mat.Dense
		es.VectorsTo(&ev) // ascending eigenvalues: the top k are the last columns
		U = make([]float64, d*k)
		for a := range d {
			for j := range k {
				U[a*k+j] = ev.At(a, d-1-j)
			}
		}
		return U, append([]float64(nil), out[n:]...), nil
	}
	var qr mat.QR
	qr.Factorize(mat.NewDense(d, k, append([]float64(nil), out[:d*k]...)))
	var q mat.Dense
	qr.QTo(&q)
	U = make([]float64, d*k)
	for a := range d {
		for b := range k {
			U[a*k+b] = q.At(a, b)
		}
	}
	return U, append([]float64(nil), out[d*k:]...), nil
}

// covLoss is the covariance head's loss and gradient.
func (t *PCATask) covLoss(ds *Dataset, out, grad []float64) float64 {
	d := t.D
	var cc, tr float64
	for a := range d {
		tr += ds.cov[a*d+a]
		for b := range d {
			cc += ds.cov[a*d+b] * ds.cov[a*d+b]
		}
	}
	var l float64
	i := 0
	for a := range d {
		for b := a; b < d; b++ {
			e := out[i] - ds.cov[a*d+b]
			w := 2.0 // off-diagonal entries count twice in the Frobenius norm
			if a == b {
				w = 1
			}
			l += w * e * e / cc
			grad[i] = 2 * w * e / cc
			i++
		}
	}
	for a := range d {
		e := out[i+a] - ds.mean[a]
		l += e * e / tr
		grad[i+a] = 2 * e / tr
	}
	return l
}

// ---- Ridge --------------------------------------------------------------

// RidgeTask predicts ridge regression coefficients (β, b) from the sketch
// of rows (x, y): the prediction is β (d) then b. Loss: the excess of the
// ridge objective J(β, b) = (1/n)‖y − Xβ − b‖² + λ‖β‖² over its minimum,
// relative to var(y). Metric: held-out mean squared error ÷ that of exact
// ridge fitted on the same rows.
type RidgeTask struct {
	D      int
	Lambda float64
	Family baseline.RidgeFamily
}

type ridgeStats struct {
	sxx        []float64 // E[xxᵀ], d×d
	cxy        []float64 // E[xy]
	ym, yy     float64   // E[y], E[y²]
	jmin, vary float64
	beta       []float64 // exact ridge on the rows
	b          float64
}

// NewRidgeTask is the ridge task of the notes' family at dimension d.
func NewRidgeTask(d int, lambda float64) (*RidgeTask, error) {
	if d < 1 || !(lambda >= 0) {
		return nil, fmt.Errorf("meta: ridge of d=%d, λ=%v", d, lambda)
	}
	return &RidgeTask{D: d, Lambda: lambda, Family: baseline.DefaultRidgeFamily(d)}, nil
}

func (t *RidgeTask) Name() string { return "ridge" }
func (t *RidgeTask) RowDim() int  { return t.D + 1 }
func (t *RidgeTask) Out() int     { return t.D + 1 }

func (t *RidgeTask) Draw(seed uint64, n int) (*Dataset, error) {
	task, err := t.Family.Task(seed)
	if err != nil {
		return nil, err
	}
	d, w := t.D, t.D+1
	// Held-out rows only when a metric asks (training never does).
	ds := &Dataset{X: task.Rows(n, 0), N: n, testRows: func() []float64 { return task.Rows(1000, 1) }}
	st := &ridgeStats{sxx: make([]float64, d*d), cxy: make([]float64, d)}
	ds.mean = make([]float64, d)
	for i := range n {
		row := ds.X[i*w : (i+1)*w]
		y := row[d]
		st.ym += y
		st.yy += y * y
		for a := range d {
			ds.mean[a] += row[a]
			st.cxy[a] += row[a] * y
			for b := range d {
				st.sxx[a*d+b] += row[a] * row[b]
			}
		}
	}
	inv := 1 / float64(n)
	st.ym *= inv
	st.yy *= inv
	for a := range d {
		ds.mean[a] *= inv
		st.cxy[a] *= inv
	}
	for i := range st.sxx {
		st.sxx[i] *= inv
	}
	st.vary = st.yy - st.ym*st.ym
	// The minimiser: centre, (C + λI)β = c, b = ȳ − x̄ᵀβ.
	A := mat.NewDense(d, d, nil)
	rhs := mat.NewVecDense(d, nil)
	for a := range d {
		for b := range d {
			A.Set(a, b, st.sxx[a*d+b]-ds.mean[a]*ds.mean[b])
		}
		A.Set(a, a, A.At(a, a)+t.Lambda)
		rhs.SetVec(a, st.cxy[a]-ds.mean[a]*st.ym)
	}
	var beta mat.VecDense
	if err := beta.SolveVec(A, rhs); err != nil {
		return nil, fmt.Errorf("meta: ridge data set: %w", err)
	}
	st.beta = beta.RawVector().Data
	st.b = st.ym
	for a := range d {
		st.b -= ds.mean[a] * st.beta[a]
	}
	ds.ridge = st
	st.jmin = t.objective(ds, append(append([]float64(nil), st.beta...), st.b), nil)
	return ds, nil
}

// objective is J(β, b) from the statistics, and its gradient.
func (t *RidgeTask) objective(ds *Dataset, out, grad []float64) float64 {
	d, st := t.D, ds.ridge
	beta, b := out[:d], out[d]
	J := st.yy - 2*b*st.ym + b*b
	for a := range d {
		var sb float64
		for c := range d {
			sb += st.sxx[a*d+c] * beta[c]
		}
		J += beta[a]*(sb-2*st.cxy[a]+2*b*ds.mean[a]) + t.Lambda*beta[a]*beta[a]
		if grad != nil {
			grad[a] = 2*sb - 2*st.cxy[a] + 2*b*ds.mean[a] + 2*t.Lambda*beta[a]
		}
	}
	if grad != nil {
		var xb float64
		for a := range d {
			xb += ds.mean[a] * beta[a]
		}
		grad[d] = -2*st.ym + 2*xb + 2*b
	}
	return J
}

func (t *RidgeTask) Loss(ds *Dataset, out, grad []float64) float64 {
	J := t.objective(ds, out, grad)
	v := max(ds.ridge.vary, 1e-12)
	for i := range grad {
		grad[i] /= v
	}
	return (J - ds.ridge.jmin) / v
}

// TestRows returns the data set's held-out rows (drawn on first use), or
// nil for tasks without them.
func (ds *Dataset) TestRows() []float64 {
	if ds.Test == nil && ds.testRows != nil {
		ds.Test = ds.testRows()
	}
	return ds.Test
}

func (t *RidgeTask) heldOut(ds *Dataset, beta []float64, b float64) float64 {
	d, w := t.D, t.D+1
	ds.TestRows()
	n := len(ds.Test) / w
	var s float64
	for i := range n {
		row := ds.Test[i*w : (i+1)*w]
		p := b
		for a := range d {
			p += row[a] * beta[a]
		}
		s += (row[d] - p) * (row[d] - p)
	}
	return s / float64(n)
}

func (t *RidgeTask) Metric(ds *Dataset, out []float64) (float64, error) {
	ref := t.heldOut(ds, ds.ridge.beta, ds.ridge.b)
	if !(ref > 0) {
		return 0, errors.New("meta: ridge data set with no held-out error")
	}
	return t.heldOut(ds, out[:t.D], out[t.D]) / ref, nil
}

// ---- k-means ------------------------------------------------------------

// KMeansTask predicts K centroids of data from a Gaussian-mixture family
// (means ~ U[−1, 1]^d, isotropic standard deviations ~ U[0.02, 0.2],
// weights ~ Dirichlet(1) floored at 0.02). The prediction is the K×d
// centroids. Loss: SSE per row of the loss rows ÷ that at the generating
// means (a permutation-invariant loss, no matching). Metric: SSE ÷ that of
// Lloyd's k-means++ (best of 10) on the full data.
type KMeansTask struct {
	D, K                 int
	SpreadMin, SpreadMax float64
}

// NewKMeansTask is the k-means task of the notes' family.
func NewKMeansTask(d, K int) (*KMeansTask, error) {
	if d < 1 || K < 1 {
		return nil, fmt.Errorf("meta: k-means of K=%d in d=%d", K, d)
	}
	return &KMeansTask{D: d, K: K, SpreadMin: 0.02, SpreadMax: 0.2}, nil
}

func (t *KMeansTask) Name() string { return "kmeans" }
func (t *KMeansTask) RowDim() int  { return t.D }
func (t *KMeansTask) Out() int     { return t.D * t.K }

func (t *KMeansTask) Draw(seed uint64, n int) (*Dataset, error) {
	d, K := t.D, t.K
	r := prng.New(seed, 0x6b6d)
	w := make([]float64, K)
	var sum float64
	for k := range w {
		w[k] = -prng.Log(1 - r.Uniform()) // Dirichlet(1): normalised exponentials
		sum += w[k]
	}
	for k := range w {
		w[k] = max(w[k]/sum, 0.02)
	}
	sum = 0
	for _, v := range w {
		sum += v
	}
	mu, sd := make([]float64, K*d), make([]float64, K)
	for k := range K {
		for a := range d {
			mu[k*d+a] = 2*r.Uniform() - 1
		}
		sd[k] = t.SpreadMin + (t.SpreadMax-t.SpreadMin)*r.Uniform()
	}
	x := make([]float64, n*d)
	var sse float64
	for i := range n {
		u, k := r.Uniform()*sum, 0
		for k < K-1 && u >= w[k] {
			u -= w[k]
			k++
		}
		for a := range d {
			x[i*d+a] = mu[k*d+a] + sd[k]*r.Normal()
		}
		sse += minDist2(x[i*d:(i+1)*d], mu, d)
	}
	return &Dataset{X: x, N: n, refSSE: sse / float64(n)}, nil
}

// minDist2 is min_k ‖x − c_k‖² and the index of the nearest centroid.
func minDist2(x, c []float64, d int) float64 {
	v, _ := nearest(x, c, d)
	return v
}

func nearest(x, c []float64, d int) (float64, int) {
	best, at := math.Inf(1), 0
	for k := 0; k*d < len(c); k++ {
		var s float64
		for a, v := range x {
			t := v - c[k*d+a]
			s += t * t
		}
		if s < best {
			best, at = s, k
		}
	}
	return best, at
}

func (t *KMeansTask) Loss(ds *Dataset, out, grad []float64) float64 {
	d := t.D
	rows := ds.LossRows
	if rows == nil {
		rows = ds.X
	}
	n := len(rows) / d
	clear(grad)
	var sse float64
	for i := range n {
		x := rows[i*d : (i+1)*d]
		v, k := nearest(x, out, d)
		sse += v
		for a := range d {
			grad[k*d+a] += 2 * (out[k*d+a] - x[a])
		}
	}
	norm := float64(n) * max(ds.refSSE, 1e-12)
	for i := range grad {
		grad[i] /= norm
	}
	return sse / norm
}

func (t *KMeansTask) Metric(ds *Dataset, out []float64) (float64, error) {
	ll, err := solver.Lloyd(ds.X, t.D, t.K, solver.LloydOptions{Restarts: 10, Seed: 1})
	if err != nil {
		return 0, err
	}
	sse, err := solver.SSE(ds.X, t.D, out)
	if err != nil {
		return 0, err
	}
	return sse / ll.SSE, nil
}

// ---- Autoencoder --------------------------------------------------------

// AETask predicts the weights of a linear autoencoder with H hidden units,
// x̂ = W_d(W_e x + b_e) + b_d, for rows near a random 3-dimensional
// manifold, x = tanh(W₂ tanh(W₁ z + c₁) + c₂) + σε. The prediction is W_e
// (H×d), b_e, W_d (d×H), b_d. Loss: mean ‖x − x̂‖² on the loss rows ÷ the
// least error any linear autoencoder with H units reaches on the data (the
// PCA optimum, where training one on the data converges). Metric: the
// same ratio on all rows.
type AETask struct {
	D, H int
}

// NewAETask is the autoencoder task at dimension d with h hidden units.
func NewAETask(d, h int) (*AETask, error) {
	if h < 1 || h >= d {
		return nil, fmt.Errorf("meta: autoencoder of %d hidden units for d=%d", h, d)
	}
	return &AETask{D: d, H: h}, nil
}

func (t *AETask) Name() string { return "ae" }
func (t *AETask) RowDim() int  { return t.D }
func (t *AETask) Out() int     { return 2*t.H*t.D + t.H + t.D }

func (t *AETask) Draw(seed uint64, n int) (*Dataset, error) {
	const z, hid = 3, 16
	d := t.D
	r := prng.New(seed, 0xae)
	w1, c1 := make([]float64, hid*z), make([]float64, hid)
	w2, c2 := make([]float64, d*hid), make([]float64, d)
	for i := range w1 {
		w1[i] = 1.5 * r.Normal() / math.Sqrt(z)
	}
	for i := range c1 {
		c1[i] = 0.5 * r.Normal()
	}
	for i := range w2 {
		w2[i] = 1.5 * r.Normal() / math.Sqrt(hid)
	}
	for i := range c2 {
		c2[i] = 0.5 * r.Normal()
	}
	sigma := 0.01 + 0.09*r.Uniform()
	x := make([]float64, n*d)
	zi, h := make([]float64, z), make([]float64, hid)
	for i := range n {
		for j := range zi {
			zi[j] = r.Normal()
		}
		for j := range hid {
			s := c1[j]
			for k := range z {
				s += w1[j*z+k] * zi[k]
			}
			h[j] = math.Tanh(s)
		}
		for a := range d {
			s := c2[a]
			for j := range hid {
				s += w2[a*hid+j] * h[j]
			}
			x[i*d+a] = math.Tanh(s) + sigma*r.Normal()
		}
	}
	ds := &Dataset{X: x, N: n}
	ds.mean, ds.cov, ds.eig = meanCov(x, n, d, d)
	if ds.eig == nil {
		return nil, errors.New("meta: autoencoder data set: eigendecomposition failed")
	}
	return ds, nil
}

func (t *AETask) optimum(ds *Dataset) float64 {
	var e float64
	for j, v := range ds.eig {
		if j >= t.H {
			e += max(v, 0)
		}
	}
	return max(e, 1e-12)
}

// reconstruction is the mean ‖x − x̂‖² over rows and, if grad is not nil,
// its gradient with respect to the weights.
func (t *AETask) reconstruction(rows, out, grad []float64) float64 {
	d, H := t.D, t.H
	we, be := out[:H*d], out[H*d:H*d+H]
	wd, bd := out[H*d+H:2*H*d+H], out[2*H*d+H:]
	n := len(rows) / d
	h, e, dh := make([]float64, H), make([]float64, d), make([]float64, H)
	if grad != nil {
		clear(grad)
	}
	var sum float64
	for i := range n {
		x := rows[i*d : (i+1)*d]
		for j := range H {
			s := be[j]
			for a := range d {
				s += we[j*d+a] * x[a]
			}
			h[j] = s
		}
		for a := range d {
			s := bd[a]
			for j := range H {
				s += wd[a*H+j] * h[j]
			}
			e[a] = s - x[a]
			sum += e[a] * e[a]
		}
		if grad == nil {
			continue
		}
		gwe, gbe := grad[:H*d], grad[H*d:H*d+H]
		gwd, gbd := grad[H*d+H:2*H*d+H], grad[2*H*d+H:]
		clear(dh)
		for a := range d {
			g := 2 * e[a]
			gbd[a] += g
			for j := range H {
				gwd[a*H+j] += g * h[j]
				dh[j] += g * wd[a*H+j]
			}
		}
		for j := range H {
			gbe[j] += dh[j]
			for a := range d {
				gwe[j*d+a] += dh[j] * x[a]
			}
		}
	}
	if grad != nil {
		for i := range grad {
			grad[i] /= float64(n)
		}
	}
	return sum / float64(n)
}

func (t *AETask) Loss(ds *Dataset, out, grad []float64) float64 {
	rows := ds.LossRows
	if rows == nil {
		rows = ds.X
	}
	ref := t.optimum(ds)
	l := t.reconstruction(rows, out, grad)
	for i := range grad {
		grad[i] /= ref
	}
	return l / ref
}

func (t *AETask) Metric(ds *Dataset, out []float64) (float64, error) {
	return t.reconstruction(ds.X, out, nil) / t.optimum(ds), nil
}
