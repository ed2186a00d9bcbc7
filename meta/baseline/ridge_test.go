package baseline

import (
	"math"
	"strings"
	"testing"
)

// ridgeRatios decodes nSets RidgeFamily data sets with design g (n training
// rows from stream 0, n held-out from stream 1) and returns the held-out
// MSE ratios to exact ridge.
func ridgeRatios(t *testing.T, g *Design, n, nSets int, seed0 uint64) []float64 {
	t.Helper()
	d := g.Params().D
	fam := DefaultRidgeFamily(d)
	var rs []float64
	for i := 0; i < nSets; i++ {
		task, err := fam.Task(seed0 + uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		train, test := task.Rows(n, 0), task.Rows(n, 1)
		s := NewSketch(g)
		if err := s.Add(train); err != nil {
			t.Fatal(err)
		}
		m, err := DecodeRidge(s, DefaultLambda)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ScoreRidge(train, test, d, DefaultLambda, m)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, sc.Ratio)
	}
	return rs
}

func relDiff(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / den)
}

func TestExactRidgeNoiseless(t *testing.T) {
	d, n := 5, 200
	task, _ := RidgeFamily{D: d, AlphaMin: 0.5, AlphaMax: 1}.Task(3) // σ = 0
	rows := task.Rows(n, 0)
	m, err := ExactRidge(rows, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := relDiff(m.Beta, task.Beta); r > 1e-9 || math.Abs(m.B-task.B) > 1e-9 {
		t.Errorf("noiseless data, λ = 0: β off by %.3g relative, b = %v want %v", r, m.B, task.B)
	}
	if mse, _ := RidgeMSE(rows, d, m); mse > 1e-20 {
		t.Errorf("noiseless fit has MSE %v", mse)
	}
}

func TestExactRidgeOneD(t *testing.T) {
	// x = ±1, y = 2x + 5 + (±0.5 uncorrelated): β = 2·1/(1 + λ), b = 5.
	rows := []float64{1, 7.5, 1, 6.5, -1, 3.5, -1, 2.5}
	for _, lambda := range []float64{0, 0.5, 3} {
		m, err := ExactRidge(rows, 1, lambda)
		if err != nil {
			t.Fatal(err)
		}
		if want := 2 / (1 + lambda); math.Abs(m.Beta[0]-want) > 1e-14 || math.Abs(m.B-5) > 1e-14 {
			t.Errorf("λ = %v: β = %v, b = %v; want %v, 5", lambda, m.Beta[0], m.B, want)
		}
	}
}

func TestRidgeExactStatistics(t *testing.T) {
	d := 20
	g, _ := NewDesign(Params{Task: Ridge, D: d, M: 256, Seed: 1})
	if g.Params().Layout != Exact {
		t.Fatalf("layout %v at M = 256", g.Params().Layout)
	}
	for i := 0; i < 5; i++ {
		task, _ := DefaultRidgeFamily(d).Task(uint64(50 + i))
		rows := task.Rows(1500, 0)
		s := NewSketch(g)
		s.Add(rows)
		for _, lambda := range []float64{0, DefaultLambda, 1} {
			got, err := DecodeRidge(s, lambda)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ExactRidge(rows, d, lambda)
			if r := relDiff(got.Beta, want.Beta); r > 1e-9 || math.Abs(got.B-want.B) > 1e-9*(1+math.Abs(want.B)) {
				t.Errorf("set %d, λ = %v: β off by %.3g relative, b %v vs %v", i, lambda, r, got.B, want.B)
			}
		}
	}
}

// At small m the baseline is far from exact, but its excess over exact
// ridge is well below that of knowing only ȳ (β = 0, ratio ≈ var(y)/σ²).
func TestRidgeSmallM(t *testing.T) {
	d := 20
	g, _ := NewDesign(Params{Task: Ridge, D: d, M: 32, Seed: 1})
	rs := ridgeRatios(t, g, 2000, 20, 400)
	var trivial []float64
	for i := 0; i < 20; i++ {
		task, _ := DefaultRidgeFamily(d).Task(uint64(400 + i))
		train, test := task.Rows(2000, 0), task.Rows(2000, 1)
		var ybar float64
		for r := 0; r < 2000; r++ {
			ybar += train[r*(d+1)+d] / 2000
		}
		sc, _ := ScoreRidge(train, test, d, DefaultLambda, &RidgeModel{Beta: make([]float64, d), B: ybar})
		trivial = append(trivial, sc.Ratio)
	}
	t.Logf("m = 32 (p = %d): median held-out MSE ratio %.3f (max %.3f); β = 0: %.3f", g.Parts().P, median(rs), maxOf(rs), median(trivial))
	if median(rs)-1 > 0.75*(median(trivial)-1) {
		t.Errorf("median ratio %.3f at m = 32, β = 0 gives %.3f", median(rs), median(trivial))
	}
}

// Params claims Projected beats quadratic measurements for ridge.
func TestRidgeLayouts(t *testing.T) {
	for _, m := range []int{32, 64, 128} {
		gp, _ := NewDesign(Params{Task: Ridge, D: 20, M: m, Seed: 1, Layout: Projected})
		gq, _ := NewDesign(Params{Task: Ridge, D: 20, M: m, Seed: 1, Layout: Quadratic})
		p, q := median(ridgeRatios(t, gp, 2000, 10, 500)), median(ridgeRatios(t, gq, 2000, 10, 500))
		t.Logf("m = %d: projected %.3f, quadratic %.3f", m, p, q)
		if p >= q {
			t.Errorf("m = %d: projected %.3f does not beat quadratic %.3f", m, p, q)
		}
	}
}

func TestRidgeErrors(t *testing.T) {
	g, _ := NewDesign(Params{Task: Ridge, D: 3, M: 20, Seed: 1})
	s := NewSketch(g)
	if _, err := DecodeRidge(s, 1); err == nil {
		t.Error("empty sketch decoded")
	}
	s.Add(testRows(g, 30, 1))
	for _, l := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := DecodeRidge(s, l); err == nil || !strings.Contains(err.Error(), "λ") {
			t.Errorf("λ = %v: %v", l, err)
		}
		if _, err := ExactRidge(testRows(g, 30, 1), 3, l); err == nil {
			t.Errorf("ExactRidge λ = %v accepted", l)
		}
	}
	gp, _ := NewDesign(Params{Task: PCA, D: 3, M: 20, Seed: 1})
	sp := NewSketch(gp)
	sp.Add([]float64{1, 2, 3})
	if _, err := DecodeRidge(sp, 1); err == nil {
		t.Error("DecodeRidge on a PCA sketch")
	}
	// Constant x, λ = 0: singular.
	if _, err := ExactRidge([]float64{1, 2, 1, 3}, 1, 0); err == nil || !strings.Contains(err.Error(), "positive definite") {
		t.Errorf("singular C_xx: %v", err)
	}
	_, err := ExactRidge([]float64{1, 2, 3, 4, 5, math.Inf(1), 7, 8}, 3, 1)
	if re, ok := err.(*RowError); !ok || re.Row != 1 || re.Col != 1 {
		t.Errorf("Inf at row 1, column 1: %v", err)
	}
	if _, err := RidgeMSE([]float64{1, 2, 3}, 2, &RidgeModel{Beta: []float64{1}}); err == nil {
		t.Error("1 coefficient for d = 2 accepted")
	}
}
