package baseline

import (
	"errors"
	"math"
	"sort"
	"strings"
	"testing"
)

// designs covers every task × layout.
func testDesigns(t *testing.T) []*Design {
	t.Helper()
	var gs []*Design
	for _, p := range []Params{
		{Task: PCA, D: 6, M: 20, Seed: 3, Layout: Quadratic},
		{Task: PCA, D: 6, M: 20, Seed: 3, Layout: Projected},
		{Task: PCA, D: 6, M: 40, Seed: 3},
		{Task: Ridge, D: 6, M: 30, Seed: 3, Layout: Quadratic},
		{Task: Ridge, D: 6, M: 30, Seed: 3},
		{Task: Ridge, D: 6, M: 60, Seed: 3},
	} {
		g, err := NewDesign(p)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	return gs
}

// testRows are n rows of width w with an offset, so means and second
// moments are far from 0 and cancellation would show.
func testRows(g *Design, n int, seed uint64) []float64 {
	task, _ := DefaultPCAFamily(g.Width()).Task(seed)
	x := task.Rows(n, 0)
	for i := range x {
		x[i] = 3*x[i] + 2
	}
	return x
}

// maxRel is the largest per-entry relative difference.
func maxRel(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var r float64
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if d == 0 {
			continue
		}
		r = max(r, d/math.Max(math.Abs(b[i]), 1e-300))
	}
	return r
}

func TestMergeEqualsWhole(t *testing.T) {
	for _, g := range testDesigns(t) {
		x := testRows(g, 1001, 1)
		whole := NewSketch(g)
		if err := whole.Add(x); err != nil {
			t.Fatal(err)
		}
		cut := 437 * g.Width()
		a, b := NewSketch(g), NewSketch(g)
		a.Add(x[:cut])
		b.Add(x[cut:])
		if err := b.Merge(a); err != nil { // reversed order on purpose
			t.Fatal(err)
		}
		if b.Rows() != whole.Rows() {
			t.Errorf("%+v: %d rows, want %d", g.Params(), b.Rows(), whole.Rows())
		}
		if r := maxRel(b.Values(), whole.Values()); r > 1e-12 {
			t.Errorf("%+v: merged halves differ from the whole by %.3g relative", g.Params(), r)
		}
	}
}

func TestAddRemove(t *testing.T) {
	for _, g := range testDesigns(t) {
		x := testRows(g, 500, 2)
		s := NewSketch(g)
		s.Add(x)
		before := s.Values()
		extra := testRows(g, 3, 9)
		for i := range extra {
			extra[i] *= 100 // large rows, so naive float64 sums would lose digits
		}
		if err := s.Add(extra); err != nil {
			t.Fatal(err)
		}
		if r := maxRel(s.Values(), before); r < 1e-3 {
			t.Fatalf("adding rows changed the sketch by only %.3g", r)
		}
		if err := s.Remove(extra); err != nil {
			t.Fatal(err)
		}
		if s.Rows() != 500 {
			t.Errorf("%d rows after add+remove, want 500", s.Rows())
		}
		if r := maxRel(s.Values(), before); r > 1e-12 {
			t.Errorf("%+v: add+remove changed the sketch by %.3g relative", g.Params(), r)
		}
		// Removing a part leaves the sketch of the rest.
		rest := NewSketch(g)
		rest.Add(x[100*g.Width():])
		s.Remove(x[:100*g.Width()])
		if r := maxRel(s.Values(), rest.Values()); r > 1e-12 {
			t.Errorf("%+v: removing 100 rows differs from the rest by %.3g", g.Params(), r)
		}
	}
}

func TestRemoveTooMany(t *testing.T) {
	g, _ := NewDesign(Params{Task: PCA, D: 3, M: 10, Seed: 1})
	s := NewSketch(g)
	s.Add([]float64{1, 2, 3})
	if err := s.Remove([]float64{1, 2, 3, 4, 5, 6}); err == nil {
		t.Fatal("removed 2 rows from a sketch of 1")
	}
	if s.Rows() != 1 {
		t.Errorf("failed Remove changed the count to %d", s.Rows())
	}
}

func TestMergeRefusesMismatch(t *testing.T) {
	base := Params{Task: PCA, D: 5, M: 16, Seed: 1, Layout: Quadratic}
	g, _ := NewDesign(base)
	others := []Params{
		{Task: PCA, D: 5, M: 16, Seed: 2, Layout: Quadratic}, // other directions
		{Task: PCA, D: 6, M: 16, Seed: 1, Layout: Quadratic}, // other dimension
		{Task: PCA, D: 5, M: 17, Seed: 1, Layout: Quadratic}, // other size
		{Task: PCA, D: 5, M: 16, Seed: 1, Layout: Projected},
		{Task: Ridge, D: 5, M: 16, Seed: 1, Layout: Quadratic},
	}
	for _, p := range others {
		o, err := NewDesign(p)
		if err != nil {
			t.Fatal(err)
		}
		s, os := NewSketch(g), NewSketch(o)
		s.Add([]float64{1, 2, 3, 4, 5})
		os.Add(make([]float64, o.Width()))
		before := s.Values()
		err = s.Merge(os)
		if !errors.Is(err, ErrMismatch) {
			t.Errorf("merge with %+v: err = %v, want ErrMismatch", p, err)
		}
		if s.Rows() != 1 || maxRel(s.Values(), before) != 0 {
			t.Errorf("refused merge changed the sketch")
		}
	}
	// The same Params drawn twice are the same design.
	g2, _ := NewDesign(base)
	s, s2 := NewSketch(g), NewSketch(g2)
	if err := s.Merge(s2); err != nil {
		t.Errorf("merge of equal designs: %v", err)
	}
}

func TestBadRows(t *testing.T) {
	g, _ := NewDesign(Params{Task: Ridge, D: 3, M: 12, Seed: 1})
	s := NewSketch(g)
	good := []float64{1, 2, 3, 4}
	s.Add(good)
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	x[2*4+1] = math.NaN()
	err := s.Add(x)
	var re *RowError
	if !errors.As(err, &re) || re.Row != 2 || re.Col != 1 {
		t.Fatalf("NaN at row 2, column 1: err = %v", err)
	}
	if !strings.Contains(err.Error(), "row 2, column 1") {
		t.Errorf("message %q does not name the row and column", err)
	}
	x[2*4+1] = 0
	x[5] = math.Inf(-1)
	if err := s.Remove(x); !errors.As(err, &re) || re.Row != 1 || re.Col != 1 {
		t.Errorf("-Inf at row 1, column 1: err = %v", err)
	}
	if err := s.Add(x[:7]); err == nil {
		t.Error("ragged block accepted")
	}
	if s.Rows() != 1 || maxRel(s.Sums(), func() []float64 { c := NewSketch(g); c.Add(good); return c.Sums() }()) != 0 {
		t.Error("a failed Add or Remove changed the sketch")
	}
	if (&Sketch{g: g}).Values() != nil {
		t.Error("empty sketch has values")
	}
}

func TestDesignErrors(t *testing.T) {
	for _, c := range []struct {
		p    Params
		want string
	}{
		{Params{Task: PCA, D: 20, M: 20}, "too small for the mean"},
		{Params{Task: PCA, D: 20, M: 20, Layout: Projected}, "too small for the mean"},
		{Params{Task: Ridge, D: 20, M: 21, Layout: Quadratic}, "too small for the mean"},
		{Params{Task: Ridge, D: 20, M: 4}, "too small for the mean"},
		{Params{Task: PCA, D: 20, M: 229, Layout: Exact}, "need M ≥ 230"},
		{Params{Task: Ridge, D: 20, M: 251, Layout: Exact}, "need M ≥ 252"},
		{Params{Task: PCA, D: 0, M: 20}, "D = 0"},
		{Params{D: 3, M: 20}, "unknown task"},
		{Params{Task: PCA, D: 3, M: 20, Layout: 9}, "unknown layout"},
	} {
		_, err := NewDesign(c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.p, err, c.want)
		}
	}
}

func TestDesignSplit(t *testing.T) {
	for _, c := range []struct {
		p      Params
		layout Layout
		parts  Parts
	}{
		{Params{Task: PCA, D: 20, M: 128}, Quadratic, Parts{Mean: 20, Second: 108}},
		{Params{Task: PCA, D: 20, M: 230}, Exact, Parts{Mean: 20, Second: 210, P: 20}},
		{Params{Task: PCA, D: 20, M: 128, Layout: Projected}, Projected, Parts{Mean: 20, Second: 105, P: 14}},
		{Params{Task: Ridge, D: 20, M: 32}, Projected, Parts{Mean: 6, Second: 15, Cross: 5, YY: 1, P: 5}},
		{Params{Task: Ridge, D: 20, M: 128}, Projected, Parts{Mean: 14, Second: 91, Cross: 13, YY: 1, P: 13}},
		{Params{Task: Ridge, D: 20, M: 256}, Exact, Parts{Mean: 21, Second: 210, Cross: 20, YY: 1, P: 20}},
		{Params{Task: Ridge, D: 20, M: 128, Layout: Quadratic}, Quadratic, Parts{Mean: 21, Second: 107}},
	} {
		g, err := NewDesign(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if g.Params().Layout != c.layout || g.Parts() != c.parts || g.Len() > c.p.M {
			t.Errorf("%+v: layout %v, parts %+v; want %v, %+v", c.p, g.Params().Layout, g.Parts(), c.layout, c.parts)
		}
	}
}

func TestDesignDeterministic(t *testing.T) {
	p := Params{Task: PCA, D: 7, M: 30, Seed: 11, Layout: Quadratic}
	a, _ := NewDesign(p)
	b, _ := NewDesign(p)
	if maxRel(a.Directions(), b.Directions()) != 0 {
		t.Error("same Params, different directions")
	}
	p.Seed = 12
	c, _ := NewDesign(p)
	if maxRel(a.Directions(), c.Directions()) == 0 {
		t.Error("different seeds, same directions")
	}
	p.Layout = Projected
	pr, _ := NewDesign(p)
	P := pr.Projection()
	k := pr.Parts().P
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			var s float64
			for r := 0; r < p.D; r++ {
				s += P[r*k+i] * P[r*k+j]
			}
			if want := b2f(i == j); math.Abs(s-want) > 1e-12 {
				t.Fatalf("PᵀP[%d,%d] = %v", i, j, s)
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Rows 10⁶ times larger than the rest, added and removed again, must not
// wash out the others: their squares are 10¹² times larger, so plain
// float64 sums would keep only about 4 digits of the small rows' part.
func TestCompensatedSums(t *testing.T) {
	for _, g := range testDesigns(t) {
		small1, small2 := testRows(g, 300, 1), testRows(g, 200, 2)
		big := testRows(g, 2, 3)
		for i := range big {
			big[i] *= 1e6
		}
		a, b := NewSketch(g), NewSketch(g)
		a.Add(big)
		a.Add(small1)
		b.Add(small2)
		if err := b.Merge(a); err != nil {
			t.Fatal(err)
		}
		if err := b.Remove(big); err != nil {
			t.Fatal(err)
		}
		want := NewSketch(g)
		want.Add(small1)
		want.Add(small2)
		if r := maxRel(b.Values(), want.Values()); r > 1e-12 {
			t.Errorf("%+v: big rows added, merged and removed leave an error of %.3g", g.Params(), r)
		}
	}
}
