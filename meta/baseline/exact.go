package baseline

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Exact solutions on the full data and the metrics of meta-learning.md §4.

// meanCov returns the mean and the centred covariance (1/n normalised) of
// the first d columns of the n rows of width w, in two passes.
func meanCov(x []float64, n, w, d int) ([]float64, *mat.SymDense) {
	mu := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := range mu {
			mu[j] += x[i*w+j]
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	c := make([]float64, d*d)
	t := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := range t {
			t[j] = x[i*w+j] - mu[j]
		}
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				c[a*d+b] += t[a] * t[b]
			}
		}
	}
	s := mat.NewSymDense(d, nil)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			s.SetSym(a, b, c[a*d+b]/float64(n))
		}
	}
	return mu, s
}

func checkData(x []float64, w int) (int, error) {
	n, err := checkRows(x, w)
	if err == nil && n == 0 {
		err = errors.New("baseline: no rows")
	}
	return n, err
}

// ExactPCA is PCA on the full data: μ = x̄ and the top-k eigenvectors of
// the centred sample covariance (1/n normalised). x is n×d, row-major.
func ExactPCA(x []float64, d, k int) (*PCAModel, error) {
	if d < 1 || k < 1 || k > d {
		return nil, fmt.Errorf("baseline: k = %d, d = %d: need 1 ≤ k ≤ d", k, d)
	}
	n, err := checkData(x, d)
	if err != nil {
		return nil, err
	}
	mu, c := meanCov(x, n, d, d)
	vals, vecs, err := eig(c)
	if err != nil {
		return nil, err
	}
	u := mat.NewDense(d, k, nil)
	u.Copy(vecs.Slice(0, d, 0, k))
	return &PCAModel{U: u, Mu: mu, Values: vals[:k:k]}, nil
}

// PCAScore compares a subspace with the optimum on the same rows.
type PCAScore struct {
	E     float64 // (1/n) Σ ‖x̃_i − UUᵀx̃_i‖², x̃ = x − μ
	Opt   float64 // E of exact PCA: the sum of the trailing d − k eigenvalues
	Ratio float64 // E / Opt ≥ 1; if Opt is 0 to rounding, 1 when E is too and +Inf otherwise
}

// ScorePCA measures model m on the rows x (n×d): its reconstruction error
// against exact PCA's on the same rows, k = m.U's columns.
func ScorePCA(x []float64, d int, m *PCAModel) (PCAScore, error) {
	if m == nil || m.U == nil {
		return PCAScore{}, errors.New("baseline: nil PCA model")
	}
	r, k := m.U.Dims()
	if r != d || len(m.Mu) != d || k < 1 || k > d {
		return PCAScore{}, fmt.Errorf("baseline: PCA model is %d×%d with a mean of %d for d = %d", r, k, len(m.Mu), d)
	}
	n, err := checkData(x, d)
	if err != nil {
		return PCAScore{}, err
	}
	var e float64
	t := mat.NewVecDense(d, nil)
	p := mat.NewVecDense(k, nil)
	res := mat.NewVecDense(d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			t.SetVec(j, x[i*d+j]-m.Mu[j])
		}
		p.MulVec(m.U.T(), t)
		res.MulVec(m.U, p)
		res.SubVec(t, res)
		e += mat.Dot(res, res)
	}
	e /= float64(n)
	_, c := meanCov(x, n, d, d)
	vals, _, err := eig(c)
	if err != nil {
		return PCAScore{}, err
	}
	var opt, total float64
	for j, v := range vals {
		total += math.Abs(v)
		if j >= k {
			opt += v
		}
	}
	opt = max(opt, 0)
	s := PCAScore{E: e, Opt: opt}
	tiny := 1e-12 * total
	switch {
	case opt > tiny:
		s.Ratio = e / opt
	case e <= tiny:
		s.Ratio = 1
	default:
		s.Ratio = math.Inf(1)
	}
	return s, nil
}

// ExactRidge is ridge regression with an unpenalised intercept on the
// full data: rows are n×(d+1), x then y; it minimises
// (1/n)‖y − Xβ − b‖² + λ‖β‖².
func ExactRidge(rows []float64, d int, lambda float64) (*RidgeModel, error) {
	if d < 1 {
		return nil, fmt.Errorf("baseline: d = %d, need ≥ 1", d)
	}
	if !(lambda >= 0) || math.IsInf(lambda, 0) {
		return nil, fmt.Errorf("baseline: λ = %v, need a finite λ ≥ 0", lambda)
	}
	n, err := checkData(rows, d+1)
	if err != nil {
		return nil, err
	}
	mu, c := meanCov(rows, n, d+1, d+1)
	cxx := mat.NewSymDense(d, nil)
	cxy := make([]float64, d)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			cxx.SetSym(i, j, c.At(i, j))
		}
		cxy[i] = c.At(i, d)
	}
	beta, err := ridgeSolve(cxx, cxy, lambda)
	if err != nil {
		return nil, err
	}
	return &RidgeModel{Beta: beta, B: mu[d] - dot(mu[:d], beta)}, nil
}

// RidgeMSE is (1/n) Σ (y_i − x_iᵀβ − b)² over rows n×(d+1).
func RidgeMSE(rows []float64, d int, m *RidgeModel) (float64, error) {
	if m == nil || len(m.Beta) != d {
		return 0, fmt.Errorf("baseline: ridge model does not have d = %d coefficients", d)
	}
	n, err := checkData(rows, d+1)
	if err != nil {
		return 0, err
	}
	var s float64
	for i := 0; i < n; i++ {
		row := rows[i*(d+1) : (i+1)*(d+1)]
		r := row[d] - m.B
		for j, b := range m.Beta {
			r -= row[j] * b
		}
		s += r * r
	}
	return s / float64(n), nil
}

// RidgeScore compares a fit with exact ridge on held-out rows.
type RidgeScore struct {
	MSE   float64 // the model's held-out MSE
	Opt   float64 // held-out MSE of exact ridge fitted on the training rows
	Ratio float64 // MSE / Opt
}

// ScoreRidge scores model m on the held-out rows test against exact
// ridge (penalty λ) fitted on train; both are n×(d+1), x then y.
func ScoreRidge(train, test []float64, d int, lambda float64, m *RidgeModel) (RidgeScore, error) {
	ex, err := ExactRidge(train, d, lambda)
	if err != nil {
		return RidgeScore{}, err
	}
	mse, err := RidgeMSE(test, d, m)
	if err != nil {
		return RidgeScore{}, err
	}
	opt, err := RidgeMSE(test, d, ex)
	if err != nil {
		return RidgeScore{}, err
	}
	return RidgeScore{MSE: mse, Opt: opt, Ratio: mse / opt}, nil
}
