package baseline

import (
	"math"
	"testing"

	"github.com/clkit/clkit/internal/prng"
	"gonum.org/v1/gonum/mat"
)

func TestHaar(t *testing.T) {
	d := 7
	q := haar(prng.New(1, 1), d)
	var g mat.Dense
	g.Mul(q.T(), q)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if math.Abs(g.At(i, j)-b2f(i == j)) > 1e-13 {
				t.Fatalf("QᵀQ[%d,%d] = %v", i, j, g.At(i, j))
			}
		}
	}
	// Haar: every entry has mean 0 and variance 1/d. Without the sign fix
	// (R's diagonal positive) Q_00 would lean to one sign.
	const draws = 4000
	r := prng.New(2, 2)
	var m00, v00, m01 float64
	for range draws {
		q := haar(r, 4)
		m00 += q.At(0, 0) / draws
		v00 += q.At(0, 0) * q.At(0, 0) / draws
		m01 += q.At(0, 1) / draws
	}
	se := math.Sqrt(0.25 / draws)
	if math.Abs(m00) > 4*se || math.Abs(m01) > 4*se || math.Abs(v00-0.25) > 0.02 {
		t.Errorf("Q entries: mean %.4f, %.4f (±%.4f), variance %.4f (want 0.25)", m00, m01, se, v00)
	}
}

func TestPCAFamily(t *testing.T) {
	d := 6
	f := DefaultPCAFamily(d)
	a, err := f.Task(5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.Task(5)
	c, _ := f.Task(6)
	if a.Alpha < 0.5 || a.Alpha > 3 || a.Sigma < 0 || a.Sigma > 0.3 {
		t.Errorf("α = %v, σ = %v out of range", a.Alpha, a.Sigma)
	}
	var sum float64
	for j, l := range a.Lambda {
		sum += l
		if j > 0 && l >= a.Lambda[j-1] {
			t.Errorf("λ not descending: %v", a.Lambda)
		}
		if want := a.Lambda[0] * math.Pow(float64(j+1), -a.Alpha); math.Abs(l-want) > 1e-13*want {
			t.Errorf("λ_%d = %v, want %v", j+1, l, want)
		}
	}
	if math.Abs(sum-float64(d)) > 1e-12 {
		t.Errorf("Σλ = %v, want %d", sum, d)
	}
	x1, x2 := a.Rows(50, 0), b.Rows(50, 0)
	if maxRel(x1, x2) != 0 {
		t.Error("same seed and stream, different rows")
	}
	if maxRel(a.Rows(50, 1), x1) == 0 || maxRel(c.Rows(50, 0), x1) == 0 {
		t.Error("different stream or seed, same rows")
	}
	// Moments: mean μ, covariance QΛQᵀ + σ²I.
	n := 40000
	x := a.Rows(n, 2)
	mu, cov := meanCov(x, n, d, d)
	var want mat.Dense
	want.Mul(a.Q, mat.NewDiagDense(d, a.Lambda))
	want.Mul(&want, a.Q.T())
	for i := 0; i < d; i++ {
		if math.Abs(mu[i]-a.Mu[i]) > 5*math.Sqrt(float64(d)/float64(n)) {
			t.Errorf("mean[%d] = %v, want %v", i, mu[i], a.Mu[i])
		}
		for j := 0; j < d; j++ {
			w := want.At(i, j) + b2f(i == j)*a.Sigma*a.Sigma
			if math.Abs(cov.At(i, j)-w) > 0.05*a.Lambda[0] {
				t.Errorf("cov[%d,%d] = %v, want %v", i, j, cov.At(i, j), w)
			}
		}
	}
}

func TestRidgeFamily(t *testing.T) {
	d := 5
	task, err := DefaultRidgeFamily(d).Task(8)
	if err != nil {
		t.Fatal(err)
	}
	if task.Sigma < 0.05 || task.Sigma > 1 {
		t.Errorf("σ = %v", task.Sigma)
	}
	n := 40000
	rows := task.Rows(n, 0)
	// Residuals of the true model have mean 0 and variance σ².
	mse, _ := RidgeMSE(rows, d, &RidgeModel{Beta: task.Beta, B: task.B})
	if math.Abs(mse/(task.Sigma*task.Sigma)-1) > 0.05 {
		t.Errorf("residual variance %v, want σ² = %v", mse, task.Sigma*task.Sigma)
	}
	// x has covariance QΛQᵀ: its trace is d.
	_, cov := meanCov(rows, n, d+1, d)
	var tr float64
	for i := 0; i < d; i++ {
		tr += cov.At(i, i)
	}
	if math.Abs(tr/float64(d)-1) > 0.05 {
		t.Errorf("tr Cov(x) = %v, want %d", tr, d)
	}
}

func TestFamilyErrors(t *testing.T) {
	for _, f := range []PCAFamily{
		{D: 0, AlphaMax: 1},
		{D: 3, AlphaMin: 2, AlphaMax: 1},
		{D: 3, AlphaMax: 1, SigmaMin: -1},
		{D: 3, AlphaMax: 1, SigmaMax: math.Inf(1)},
		{D: 3, AlphaMax: math.NaN()},
	} {
		if _, err := f.Task(1); err == nil {
			t.Errorf("%+v accepted", f)
		}
		if _, err := RidgeFamily(f).Task(1); err == nil {
			t.Errorf("ridge %+v accepted", f)
		}
	}
}

func TestExpPortable(t *testing.T) {
	r := prng.New(9, 9)
	for range 100000 {
		x := 100 * (2*r.Uniform() - 1)
		got, want := expPortable(x), math.Exp(x)
		if ulp := math.Nextafter(want, math.Inf(1)) - want; math.Abs(got-want) > 2*ulp {
			t.Fatalf("expPortable(%v) = %v, math.Exp = %v", x, got, want)
		}
	}
	if expPortable(0) != 1 {
		t.Errorf("expPortable(0) = %v", expPortable(0))
	}
}

// TestSharedFamily: with Shared the data sets' leading directions are near
// each other (|cos| of the first columns ≫ the 1/√d of random ones), and
// zero gives the Haar family unchanged.
func TestSharedFamily(t *testing.T) {
	const d = 20
	f := DefaultPCAFamily(d)
	f.Shared, f.SharedSeed = 0.3, 5
	var near, far float64
	a, _ := f.Task(1)
	b, _ := f.Task(2)
	h := DefaultPCAFamily(d)
	c, _ := h.Task(1)
	e, _ := h.Task(2)
	for i := range d {
		near += a.Q.At(i, 0) * b.Q.At(i, 0)
		far += c.Q.At(i, 0) * e.Q.At(i, 0)
	}
	if math.Abs(near) < 0.8 || math.Abs(far) > 0.6 {
		t.Errorf("cosines of the first directions: shared %.3f, Haar %.3f", near, far)
	}
	g := DefaultPCAFamily(d)
	g.Shared = -1
	if _, err := g.Task(1); err == nil {
		t.Error("negative Shared: no error")
	}
	// Orthonormal still.
	for j := range d {
		for k := range d {
			var s float64
			for i := range d {
				s += a.Q.At(i, j) * a.Q.At(i, k)
			}
			want := 0.0
			if j == k {
				want = 1
			}
			if math.Abs(s-want) > 1e-12 {
				t.Fatalf("QᵀQ[%d][%d] = %v", j, k, s)
			}
		}
	}
}
