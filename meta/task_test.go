package meta

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTaskLossGradients: every task's loss gradient against central finite
// differences, at random predictions.
func TestTaskLossGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, name := range []string{"pca", "pca-cov", "pca-log", "ridge", "kmeans", "ae"} {
		base, _, _ := strings.Cut(name, "-")
		task, err := TaskByName(base, 7)
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case "pca-cov":
			task.(*PCATask).Covariance = true
		case "pca-log":
			task.(*PCATask).LogRatio = true
		}
		ds, err := task.Draw(11, 300)
		if err != nil {
			t.Fatal(err)
		}
		out := randRows(r, 1, task.Out(), 0.7)
		grad := make([]float64, task.Out())
		task.Loss(ds, out, grad)
		var worst float64
		for i := range out {
			old := out[i]
			const h = 1e-6
			out[i] = old + h
			lp := task.Loss(ds, out, make([]float64, len(out)))
			out[i] = old - h
			lm := task.Loss(ds, out, make([]float64, len(out)))
			out[i] = old
			fd := (lp - lm) / (2 * h)
			worst = max(worst, math.Abs(fd-grad[i])/max(1e-8, math.Abs(fd), math.Abs(grad[i])))
		}
		if worst > 1e-5 {
			t.Errorf("%s: worst relative gradient error %.3g", name, worst)
		}
	}
}

// TestTaskOptimum: the exact solution scores 1 on every metric and 0
// loss, and a bad one scores worse.
func TestTaskOptimum(t *testing.T) {
	pca, _ := NewPCATask(8, 3)
	ds, err := pca.Draw(4, 2000)
	if err != nil {
		t.Fatal(err)
	}
	// The top eigenvectors and the mean, from the covariance.
	U := topEigen(t, ds.cov, 8, 3)
	out := append(U, ds.mean...)
	// (within the tiny ridge the loss puts on VᵀV)
	if m, _ := pca.Metric(ds, out); math.Abs(m-1) > 1e-7 {
		t.Errorf("PCA: metric of the optimum %v", m)
	}
	if l := pca.Loss(ds, out, make([]float64, len(out))); math.Abs(l) > 1e-7 {
		t.Errorf("PCA: loss of the optimum %v", l)
	}
	rid, _ := NewRidgeTask(8, 1e-2)
	ds, err = rid.Draw(5, 500)
	if err != nil {
		t.Fatal(err)
	}
	opt := append(append([]float64(nil), ds.ridge.beta...), ds.ridge.b)
	if m, _ := rid.Metric(ds, opt); math.Abs(m-1) > 1e-12 {
		t.Errorf("ridge: metric of the optimum %v", m)
	}
	if l := rid.Loss(ds, opt, make([]float64, len(opt))); math.Abs(l) > 1e-9 {
		t.Errorf("ridge: loss of the optimum %v", l)
	}
	opt[0] += 0.5
	if m, _ := rid.Metric(ds, opt); !(m > 1.01) {
		t.Errorf("ridge: metric of a perturbed solution %v", m)
	}
}

func topEigen(t *testing.T, cov []float64, d, k int) []float64 {
	t.Helper()
	// Power iteration with deflation is enough for a test.
	U := make([]float64, d*k)
	c := append([]float64(nil), cov...)
	for j := range k {
		v := make([]float64, d)
		for i := range v {
			v[i] = 1 + float64(i*j)
		}
		var lam float64
		for range 2000 {
			w := make([]float64, d)
			for a := range d {
				for b := range d {
					w[a] += c[a*d+b] * v[b]
				}
			}
			var n float64
			for _, x := range w {
				n += x * x
			}
			n = math.Sqrt(n)
			lam = n
			for i := range v {
				v[i] = w[i] / n
			}
		}
		for a := range d {
			U[a*k+j] = v[a]
			for b := range d {
				c[a*d+b] -= lam * v[a] * v[b]
			}
		}
	}
	return U
}

// TestPCACovarianceDecode: the covariance head decodes the exact
// covariance into the optimal subspace.
func TestPCACovarianceDecode(t *testing.T) {
	task := &PCATask{D: 8, K: 3, Covariance: true, Family: DefaultPCAFamilyFor(8)}
	ds, err := task.Draw(4, 2000)
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for a := range 8 {
		for b := a; b < 8; b++ {
			out = append(out, ds.cov[a*8+b])
		}
	}
	out = append(out, ds.mean...)
	if m, err := task.Metric(ds, out); err != nil || math.Abs(m-1) > 1e-7 {
		t.Errorf("metric of the exact covariance %v (%v)", m, err)
	}
	if l := task.Loss(ds, out, make([]float64, len(out))); l != 0 {
		t.Errorf("loss of the exact covariance %v", l)
	}
}
