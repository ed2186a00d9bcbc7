package baseline

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// pcaRatios decodes nSets PCAFamily data sets (d, n rows) with design g and
// returns the ratios E/E_opt.
func pcaRatios(t *testing.T, g *Design, k, n, nSets int, seed0 uint64, o PCAOptions) []float64 {
	t.Helper()
	d := g.Params().D
	fam := DefaultPCAFamily(d)
	var rs []float64
	for i := 0; i < nSets; i++ {
		task, err := fam.Task(seed0 + uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		x := task.Rows(n, 0)
		s := NewSketch(g)
		if err := s.Add(x); err != nil {
			t.Fatal(err)
		}
		m, err := DecodePCA(s, k, o)
		if err != nil {
			t.Fatal(err)
		}
		checkOrthonormal(t, m.U)
		sc, err := ScorePCA(x, d, m)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, sc.Ratio)
	}
	return rs
}

func checkOrthonormal(t *testing.T, u *mat.Dense) {
	t.Helper()
	_, k := u.Dims()
	var g mat.Dense
	g.Mul(u.T(), u)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			if math.Abs(g.At(i, j)-b2f(i == j)) > 1e-10 {
				t.Fatalf("UᵀU[%d,%d] = %v", i, j, g.At(i, j))
			}
		}
	}
}

func TestExactPCAOnSubspace(t *testing.T) {
	// Rows on an exact 2-dim affine subspace of R^5: E = 0 and U spans it.
	d, k, n := 5, 2, 300
	task, _ := DefaultPCAFamily(d).Task(4)
	basis := task.Q.Slice(0, d, 0, k)
	x := make([]float64, n*d)
	r := task.Rows(n, 3) // only for coefficients
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x[i*d+j] = 1 + float64(j) + 3*basis.At(j, 0)*r[i*d] + 0.5*basis.At(j, 1)*r[i*d+1]
		}
	}
	m, err := ExactPCA(x, d, k)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ScorePCA(x, d, m)
	if err != nil {
		t.Fatal(err)
	}
	if sc.E > 1e-20 || sc.Ratio != 1 {
		t.Errorf("data on a 2-dim subspace: E = %v, ratio %v", sc.E, sc.Ratio)
	}
	// UUᵀ is the projector on the basis.
	var pu, pb mat.Dense
	pu.Mul(m.U, m.U.T())
	pb.Mul(basis, basis.T())
	pu.Sub(&pu, &pb)
	if f := mat.Norm(&pu, 2); f > 1e-10 {
		t.Errorf("‖UUᵀ − BBᵀ‖ = %v", f)
	}
	// One dimension fewer leaves the second direction's variance.
	m1, _ := ExactPCA(x, d, 1)
	sc1, _ := ScorePCA(x, d, m1)
	if math.Abs(sc1.E-m.Values[1]) > 1e-10*m.Values[1] || math.Abs(sc1.Ratio-1) > 1e-10 {
		t.Errorf("k = 1: E = %v, want λ₂ = %v; ratio %v", sc1.E, m.Values[1], sc1.Ratio)
	}
}

func TestExactPCAAxes(t *testing.T) {
	// Four points per axis at ±a: covariance diag(a²)/…, known eigenvectors.
	d := 3
	a := []float64{3, 2, 1}
	var x []float64
	for j, aj := range a {
		for _, s := range []float64{1, -1} {
			row := make([]float64, d)
			row[j] = s * aj
			x = append(x, row...)
		}
	}
	m, err := ExactPCA(x, d, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := float64(len(x) / d)
	for j := 0; j < 2; j++ {
		if math.Abs(math.Abs(m.U.At(j, j))-1) > 1e-12 || math.Abs(m.Values[j]-2*a[j]*a[j]/n) > 1e-12 {
			t.Errorf("component %d: U column %v, variance %v", j, mat.Col(nil, j, m.U), m.Values[j])
		}
	}
	sc, _ := ScorePCA(x, d, m)
	if math.Abs(sc.E-2*1.0/n) > 1e-12 || math.Abs(sc.Ratio-1) > 1e-12 {
		t.Errorf("E = %v, ratio %v; want %v, 1", sc.E, sc.Ratio, 2/n)
	}
	// A wrong subspace and a wrong mean cost what they should.
	wrong := &PCAModel{U: mat.NewDense(3, 1, []float64{0, 0, 1}), Mu: []float64{0, 0, 0.5}}
	sw, _ := ScorePCA(x, d, wrong)
	if want := (2*9 + 2*4) / n; math.Abs(sw.E-want) > 1e-12 || sw.Ratio <= 1 {
		t.Errorf("wrong subspace: E = %v, want %v (ratio %v)", sw.E, want, sw.Ratio)
	}
}

func TestPCALargeM(t *testing.T) {
	d, k, n := 20, 3, 2000
	// Quadratic measurements, more than the d(d+1)/2 unknowns.
	g, err := NewDesign(Params{Task: PCA, D: d, M: d + tri(d) + 16, Seed: 1, Layout: Quadratic})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range pcaRatios(t, g, k, n, 5, 100, PCAOptions{}) {
		if r > 1.01 {
			t.Errorf("set %d: ratio %v with %d quadratic measurements", i, r, g.Parts().Second)
		}
	}
	// The exact statistics give exact PCA.
	g, _ = NewDesign(Params{Task: PCA, D: d, M: d + tri(d), Seed: 1})
	if g.Params().Layout != Exact {
		t.Fatalf("layout %v at M = %d", g.Params().Layout, g.Params().M)
	}
	for i, r := range pcaRatios(t, g, k, n, 5, 100, PCAOptions{}) {
		if r > 1+1e-9 {
			t.Errorf("set %d: exact statistics give ratio %v", i, r)
		}
	}
}

func TestPCAAt3kd(t *testing.T) {
	d, k := 20, 3
	g, _ := NewDesign(Params{Task: PCA, D: d, M: d + 3*k*d, Seed: 1})
	rs := pcaRatios(t, g, k, 2000, 10, 200, PCAOptions{})
	med := median(rs)
	t.Logf("m = d + 3kd = %d: median E/E_opt %.4f over %d sets (max %.4f)", g.Params().M, med, len(rs), maxOf(rs))
	if med > 1.05 {
		t.Errorf("median ratio %v at m = d + 3kd", med)
	}
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// The decoder's choices (alternating projections, spikes plus a floor)
// against the alternatives the comments cite.
func TestPCADecoderVariants(t *testing.T) {
	d, k := 20, 3
	g, _ := NewDesign(Params{Task: PCA, D: d, M: 128, Seed: 1})
	def := median(pcaRatios(t, g, k, 2000, 10, 300, PCAOptions{}))
	grad := median(pcaRatios(t, g, k, 2000, 10, 300, PCAOptions{gradient: true}))
	rank := median(pcaRatios(t, g, k, 2000, 10, 300, PCAOptions{rankOnly: true}))
	t.Logf("m = 128: default %.3f, plain IHT %.3f, rank-k PSD %.3f", def, grad, rank)
	if def >= grad || def >= rank {
		t.Errorf("default decoder (%.3f) does not beat plain IHT (%.3f) and rank-only (%.3f)", def, grad, rank)
	}
}

func TestSpikesFor(t *testing.T) {
	for _, c := range []struct{ q, w, k, want int }{
		{28, 20, 3, 1}, {44, 20, 3, 1}, {63, 20, 3, 1}, {64, 20, 3, 2}, {92, 20, 3, 2},
		{93, 20, 3, 3}, {500, 20, 3, 3}, {210, 20, 21, 21}, {100, 20, 2, 2},
	} {
		if got := SpikesFor(c.q, c.w, c.k); got != c.want {
			t.Errorf("SpikesFor(%d, %d, %d) = %d, want %d", c.q, c.w, c.k, got, c.want)
		}
	}
}

func TestPCAErrors(t *testing.T) {
	g, _ := NewDesign(Params{Task: PCA, D: 4, M: 12, Seed: 1})
	s := NewSketch(g)
	if _, err := DecodePCA(s, 2, PCAOptions{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty sketch: %v", err)
	}
	s.Add(testRows(g, 50, 1))
	for _, k := range []int{0, 5} {
		if _, err := DecodePCA(s, k, PCAOptions{}); err == nil || !strings.Contains(err.Error(), "k =") {
			t.Errorf("k = %d: %v", k, err)
		}
	}
	if _, err := DecodePCA(s, 2, PCAOptions{Spikes: 3}); err == nil {
		t.Error("3 spikes for k = 2 accepted")
	}
	z := s.Values()
	if _, err := DecodePCAValues(g, z[:5], 2, PCAOptions{}); err == nil {
		t.Error("short value vector accepted")
	}
	z[3] = math.NaN()
	if _, err := DecodePCAValues(g, z, 2, PCAOptions{}); err == nil || !strings.Contains(err.Error(), "value 3") {
		t.Errorf("NaN value: %v", err)
	}
	gp, _ := NewDesign(Params{Task: PCA, D: 6, M: 9, Seed: 1, Layout: Projected}) // p = 2
	sp := NewSketch(gp)
	sp.Add(testRows(gp, 20, 1))
	if _, err := DecodePCA(sp, 3, PCAOptions{}); err == nil || !strings.Contains(err.Error(), "projection dimension") {
		t.Errorf("k > p: %v", err)
	}
	gr, _ := NewDesign(Params{Task: Ridge, D: 3, M: 20, Seed: 1})
	sr := NewSketch(gr)
	sr.Add(make([]float64, 8))
	if _, err := DecodePCA(sr, 1, PCAOptions{}); err == nil {
		t.Error("DecodePCA on a ridge sketch")
	}
	// Exact PCA and scores.
	if _, err := ExactPCA([]float64{1, 2, 3}, 2, 1); err == nil {
		t.Error("ragged rows accepted")
	}
	if _, err := ExactPCA([]float64{1, 2}, 2, 3); err == nil {
		t.Error("k > d accepted")
	}
	if _, err := ExactPCA(nil, 2, 1); err == nil {
		t.Error("no rows accepted")
	}
	_, err := ExactPCA([]float64{1, 2, 3, math.NaN()}, 2, 1)
	if re, ok := err.(*RowError); !ok || re.Row != 1 || re.Col != 1 {
		t.Errorf("NaN at row 1, column 1: %v", err)
	}
	m := &PCAModel{U: mat.NewDense(3, 1, nil), Mu: make([]float64, 3)}
	if _, err := ScorePCA([]float64{1, 2}, 2, m); err == nil {
		t.Error("3×1 model scored on d = 2")
	}
}
