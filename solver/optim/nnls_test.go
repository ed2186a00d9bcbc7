package optim

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func randMat(rng *rand.Rand, m, k int) []float64 {
	a := make([]float64, m*k)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	return a
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// lsSubset solves the unconstrained least-squares problem on the columns
// in cols by normal equations and Gaussian elimination with partial
// pivoting (an implementation independent of the one under test).
// ok is false if the system is singular.
func lsSubset(a []float64, m int, cols []int, b []float64) (z []float64, ok bool) {
	p := len(cols)
	g := make([]float64, p*(p+1)) // row-major p×(p+1) augmented
	for r, i := range cols {
		for c, j := range cols {
			g[r*(p+1)+c] = dot(a[i*m:(i+1)*m], a[j*m:(j+1)*m])
		}
		g[r*(p+1)+p] = dot(a[i*m:(i+1)*m], b)
	}
	for c := 0; c < p; c++ {
		piv := c
		for r := c + 1; r < p; r++ {
			if math.Abs(g[r*(p+1)+c]) > math.Abs(g[piv*(p+1)+c]) {
				piv = r
			}
		}
		if math.Abs(g[piv*(p+1)+c]) < 1e-12 {
			return nil, false
		}
		for t := 0; t <= p; t++ {
			g[c*(p+1)+t], g[piv*(p+1)+t] = g[piv*(p+1)+t], g[c*(p+1)+t]
		}
		for r := c + 1; r < p; r++ {
			f := g[r*(p+1)+c] / g[c*(p+1)+c]
			for t := c; t <= p; t++ {
				g[r*(p+1)+t] -= f * g[c*(p+1)+t]
			}
		}
	}
	z = make([]float64, p)
	for r := p - 1; r >= 0; r-- {
		s := g[r*(p+1)+p]
		for t := r + 1; t < p; t++ {
			s -= g[r*(p+1)+t] * z[t]
		}
		z[r] = s / g[r*(p+1)+r]
	}
	return z, true
}

// bruteNNLS returns the optimal residual over all 2^k passive sets.
func bruteNNLS(a []float64, m, k int, b []float64) float64 {
	best := math.Inf(1)
	x := make([]float64, k)
	buf := make([]float64, m)
	for mask := 0; mask < 1<<k; mask++ {
		var cols []int
		for j := 0; j < k; j++ {
			if mask&(1<<j) != 0 {
				cols = append(cols, j)
			}
		}
		z, ok := lsSubset(a, m, cols, b)
		if !ok {
			continue
		}
		feasible := true
		for j := range x {
			x[j] = 0
		}
		for t, j := range cols {
			if z[t] < 0 {
				feasible = false
				break
			}
			x[j] = z[t]
		}
		if !feasible {
			continue
		}
		best = math.Min(best, residual(a, m, k, b, x, buf))
	}
	return best
}

func TestNNLSBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		k := 1 + rng.IntN(8)
		m := k + rng.IntN(12)
		a := randMat(rng, m, k)
		b := randVec(rng, m)
		x := make([]float64, k)
		got, err := NNLS(a, m, k, b, x)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		want := bruteNNLS(a, m, k, b)
		if math.Abs(got-want) > 1e-9*(1+want) {
			t.Fatalf("trial %d (m=%d k=%d): residual %.15g, brute force %.15g", trial, m, k, got, want)
		}
		if r := residual(a, m, k, b, x, make([]float64, m)); math.Abs(r-got) > 1e-12*(1+r) {
			t.Fatalf("trial %d: returned residual %v but x gives %v", trial, got, r)
		}
		for j, v := range x {
			if v < 0 {
				t.Fatalf("trial %d: x[%d]=%v < 0", trial, j, v)
			}
		}
	}
}

// checkKKT verifies x ≥ 0 and the sign conditions on the gradient
// Aᵀ(Ax − b): ≥ −tol where x = 0, |·| ≤ tol where x > 0.
func checkKKT(t *testing.T, name string, a []float64, m, k int, b, x []float64) {
	t.Helper()
	r := make([]float64, m)
	for i := range r {
		r[i] = -b[i]
	}
	anorm := 0.0
	for j := 0; j < k; j++ {
		axpy(x[j], a[j*m:(j+1)*m], r)
		anorm = math.Max(anorm, nrm2(a[j*m:(j+1)*m]))
	}
	tol := 1e-9 * anorm * (nrm2(b) + 1)
	for j := 0; j < k; j++ {
		g := dot(a[j*m:(j+1)*m], r)
		switch {
		case x[j] < 0:
			t.Errorf("%s: x[%d]=%v < 0", name, j, x[j])
		case x[j] == 0 && g < -tol:
			t.Errorf("%s: x[%d]=0 but gradient %v < -%v", name, j, g, tol)
		case x[j] > 0 && math.Abs(g) > tol:
			t.Errorf("%s: x[%d]=%v > 0 but gradient %v (tol %v)", name, j, x[j], g, tol)
		}
	}
}

func TestNNLSKKT(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	type tc struct {
		name string
		m, k int
		a    []float64
	}
	var cases []tc
	for _, d := range [][2]int{{200, 50}, {1000, 100}, {60, 60}, {20, 60}, {1, 5}, {5, 1}} {
		cases = append(cases, tc{"random", d[0], d[1], randMat(rng, d[0], d[1])})
	}
	// Rank deficient: A = B C with rank 8, and with duplicated columns.
	{
		m, k, rk := 150, 40, 8
		bm, cm := randMat(rng, m, rk), randMat(rng, rk, k)
		a := make([]float64, m*k)
		for j := 0; j < k; j++ {
			for l := 0; l < rk; l++ {
				axpy(cm[j*rk+l], bm[l*m:(l+1)*m], a[j*m:(j+1)*m])
			}
		}
		cases = append(cases, tc{"rank8", m, k, a})
	}
	{
		m, k := 100, 30
		a := randMat(rng, m, k)
		for j := k / 2; j < k; j++ {
			copy(a[j*m:(j+1)*m], a[(j-k/2)*m:(j-k/2+1)*m])
		}
		cases = append(cases, tc{"duplicated", m, k, a})
	}
	{
		// Nearly collinear columns, like sketches of nearby atoms.
		m, k := 300, 20
		a := make([]float64, m*k)
		for j := 0; j < k; j++ {
			for i := 0; i < m; i++ {
				a[j*m+i] = math.Cos(float64(i)*0.05*(1+1e-3*float64(j))) + 1e-6*rng.NormFloat64()
			}
		}
		cases = append(cases, tc{"collinear", m, k, a})
	}
	var ws NNLSWorkspace
	for _, c := range cases {
		for rep := 0; rep < 5; rep++ {
			b := randVec(rng, c.m)
			x := make([]float64, c.k)
			if _, err := ws.NNLS(c.a, c.m, c.k, b, x); err != nil {
				t.Fatalf("%s %dx%d: %v", c.name, c.m, c.k, err)
			}
			checkKKT(t, c.name, c.a, c.m, c.k, b, x)
		}
	}
}

func TestNNLSExactRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, k := 300, 30
	a := randMat(rng, m, k)
	x0 := make([]float64, k)
	for j := 0; j < k; j += 3 {
		x0[j] = 0.5 + rng.Float64()
	}
	b := make([]float64, m)
	for j := 0; j < k; j++ {
		axpy(x0[j], a[j*m:(j+1)*m], b)
	}
	x := make([]float64, k)
	r, err := NNLS(a, m, k, b, x)
	if err != nil {
		t.Fatal(err)
	}
	if r > 1e-12*nrm2(b) {
		t.Errorf("residual %v, want ~0", r)
	}
	for j := range x {
		if math.Abs(x[j]-x0[j]) > 1e-12 {
			t.Errorf("x[%d]=%v want %v", j, x[j], x0[j])
		}
	}
}

func TestNNLSSmallCases(t *testing.T) {
	// b = 0: x = 0.
	a := []float64{1, 2, 3, 4}
	x := []float64{7, 7}
	r, err := NNLS(a, 2, 2, []float64{0, 0}, x)
	if err != nil || r != 0 || x[0] != 0 || x[1] != 0 {
		t.Errorf("b=0: r=%v x=%v err=%v", r, x, err)
	}
	// All-negative correlation: x = 0, residual ‖b‖.
	x = []float64{1}
	r, err = NNLS([]float64{1, 1}, 2, 1, []float64{-3, -4}, x)
	if err != nil || x[0] != 0 || math.Abs(r-5) > 1e-15 {
		t.Errorf("negative: r=%v x=%v err=%v", r, x, err)
	}
	// Empty problems.
	if r, err := NNLS(nil, 3, 0, []float64{3, 0, 4}, nil); err != nil || r != 5 {
		t.Errorf("k=0: r=%v err=%v", r, err)
	}
	if r, err := NNLS(nil, 0, 2, nil, []float64{1, 1}); err != nil || r != 0 {
		t.Errorf("m=0: r=%v err=%v", r, err)
	}
	// Zero column.
	x = make([]float64, 2)
	if _, err := NNLS([]float64{0, 0, 1, 0}, 2, 2, []float64{1, 1}, x); err != nil || x[0] != 0 || math.Abs(x[1]-1) > 1e-15 {
		t.Errorf("zero column: x=%v err=%v", x, err)
	}
}

func TestNNLSBadInput(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6}
	b := []float64{1, 2, 3}
	x := make([]float64, 2)
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name string
		a    []float64
		m, k int
		b, x []float64
	}{
		{"short a", a[:5], 3, 2, b, x},
		{"short b", a, 3, 2, b[:2], x},
		{"long x", a, 3, 2, b, make([]float64, 3)},
		{"negative m", a, -3, -2, b, x},
		{"NaN a", []float64{1, nan, 3, 4, 5, 6}, 3, 2, b, x},
		{"Inf a", []float64{1, 2, 3, 4, 5, -inf}, 3, 2, b, x},
		{"NaN b", a, 3, 2, []float64{1, nan, 3}, x},
		{"Inf b", a, 3, 2, []float64{inf, 2, 3}, x},
	} {
		if _, err := NNLS(c.a, c.m, c.k, c.b, c.x); err == nil {
			t.Errorf("%s: no error", c.name)
		} else if errors.Is(err, ErrNotConverged) {
			t.Errorf("%s: wrong error %v", c.name, err)
		}
	}
}

func TestNNLSWorkspaceNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m, k := 500, 20
	a, b := randMat(rng, m, k), randVec(rng, m)
	x := make([]float64, k)
	var ws NNLSWorkspace
	ws.NNLS(a, m, k, b, x)
	if n := testing.AllocsPerRun(20, func() { ws.NNLS(a, m, k, b, x) }); n != 0 {
		t.Errorf("NNLSWorkspace.NNLS allocates %v times per call", n)
	}
	if raceEnabled {
		return // sync.Pool drops items at random under the race detector
	}
	NNLS(a, m, k, b, x)
	if n := testing.AllocsPerRun(20, func() { NNLS(a, m, k, b, x) }); n > 0.5 {
		t.Errorf("NNLS allocates %v times per call", n)
	}
}

func BenchmarkNNLS(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	m, k := 2000, 20
	a, rhs := randMat(rng, m, k), randVec(rng, m)
	x := make([]float64, k)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NNLS(a, m, k, rhs, x); err != nil {
			b.Fatal(err)
		}
	}
}
