package meta

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/clkit/clkit/solver/dp"
)

func relDiff(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num = max(num, math.Abs(a[i]-b[i]))
		den = max(den, math.Abs(b[i]))
	}
	return num / den
}

// TestSketchAlgebra: merging the sketches of two parts gives the sketch of
// the whole, removing rows gives the sketch without them, and the result
// does not depend on the number of workers — within 1e-12 relative.
func TestSketchAlgebra(t *testing.T) {
	task, _ := TaskByName("pca", 20)
	mod, err := NewModel(task, SketchConfig{M: 64}, QueryConfig{}, 4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(4, 4))
	x := randRows(r, 3000, 20, 1.5)
	all, a, b := mod.NewSketch(), mod.NewSketch(), mod.NewSketch()
	if err := all.Add(x, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(x[:1234*20], 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(x[1234*20:], 2); err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	if e := relDiff(a.Sum(), all.Sum()); e > 1e-12 || a.Rows() != 3000 {
		t.Errorf("merge: relative difference %.3g, rows %d", e, a.Rows())
	}
	part := mod.NewSketch()
	if err := part.Add(x[:1000*20], 3); err != nil {
		t.Fatal(err)
	}
	if err := all.Remove(x[1000*20:], 0); err != nil {
		t.Fatal(err)
	}
	if e := relDiff(all.Sum(), part.Sum()); e > 1e-12 || all.Rows() != 1000 {
		t.Errorf("remove: relative difference %.3g, rows %d", e, all.Rows())
	}
	// Another network does not merge; bad rows are refused whole.
	other, _ := NewModel(task, SketchConfig{M: 64}, QueryConfig{}, 4096, 4)
	if err := a.Merge(other.NewSketch()); !errors.Is(err, ErrMismatch) {
		t.Errorf("merging sketches of different networks: %v", err)
	}
	bad := append([]float64(nil), x[:60]...)
	bad[45] = math.NaN()
	before := part.Sum()
	err = part.Add(bad, 1)
	if re, ok := err.(*RowError); !ok || re.Row != 2 || re.Col != 5 {
		t.Errorf("NaN at row 2, column 5: %v", err)
	}
	if relDiff(part.Sum(), before) != 0 || part.Rows() != 1000 {
		t.Error("a refused block changed the sketch")
	}
	if err := part.Remove(x[:2000*20], 1); err == nil {
		t.Error("removing more rows than the sketch has: no error")
	}
}

// TestSketchFile: write, read back bit for bit; corruption, truncation and
// another model's file are refused.
func TestSketchFile(t *testing.T) {
	task, _ := TaskByName("kmeans", 5)
	mod, err := NewModel(task, SketchConfig{M: 16, Width: 32}, QueryConfig{Width: 32}, 4096, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := mod.NewSketch()
	if err := s.Add(randRows(rand.New(rand.NewPCG(1, 2)), 100, 5, 1), 0); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "a.msk")
	if err := s.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	back, err := mod.ReadSketch(p)
	if err != nil {
		t.Fatal(err)
	}
	if relDiff(back.Sum(), s.Sum()) != 0 || back.Rows() != 100 {
		t.Error("round trip changed the sketch")
	}
	b, _ := os.ReadFile(p)
	for _, bad := range [][]byte{b[:len(b)-1], append(append([]byte(nil), b[:40]...), 0xff), {}} {
		if _, err := mod.UnmarshalSketch(bad); err == nil {
			t.Errorf("%d bytes of garbage: no error", len(bad))
		}
	}
	c := append([]byte(nil), b...)
	c[50] ^= 1
	if _, err := mod.UnmarshalSketch(c); err == nil {
		t.Error("flipped bit: no error")
	}
	other, _ := NewModel(task, SketchConfig{M: 16, Width: 32}, QueryConfig{Width: 32}, 4096, 2)
	if _, err := other.UnmarshalSketch(b); !errors.Is(err, ErrMismatch) {
		t.Errorf("another model's sketch: %v", err)
	}
}

// TestPrivatize: the noise has the stated scale (entry-wise standard
// deviation of the released sum ≈ Sigma·rows) and the sensitivity bound
// holds for every row: ‖f(x)‖₂ ≤ Δ₂.
func TestPrivatize(t *testing.T) {
	task, _ := TaskByName("pca", 10)
	mod, err := NewModel(task, SketchConfig{M: 256, Width: 64}, QueryConfig{Width: 32}, 4096, 5)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(6, 6))
	x := randRows(r, 2000, 10, 3)
	s := mod.NewSketch()
	if err := s.Add(x, 0); err != nil {
		t.Fatal(err)
	}
	_, l2 := mod.Sketch.Sensitivity()
	var w Work[float32]
	f, _ := mod.Sketch.Forward(&w, x, 2000)
	for i := range 2000 {
		var n2 float64
		for _, v := range f[i*256 : (i+1)*256] {
			n2 += float64(v) * float64(v)
		}
		if math.Sqrt(n2) > l2 {
			t.Fatalf("row %d: ‖f(x)‖ = %v > Δ₂ = %v", i, math.Sqrt(n2), l2)
		}
	}
	for _, p := range []Privacy{{Mechanism: dp.Gaussian, Epsilon: 1, Delta: 1e-5, Seed: 7}, {Mechanism: dp.Laplace, Epsilon: 0.5, Seed: 8, Neighbourhood: dp.ReplaceOne}} {
		ps, err := s.Privatize(p)
		if err != nil {
			t.Fatal(err)
		}
		var ss float64
		for j, v := range ps.Sum() {
			d := v - s.Sum()[j]
			ss += d * d
		}
		sd := math.Sqrt(ss / 256)
		want := ps.Sigma * float64(ps.Rows())
		if math.Abs(sd/want-1) > 0.15 {
			t.Errorf("%+v: noise standard deviation %.4g, stated %.4g", p, sd, want)
		}
		if p.Neighbourhood == dp.ReplaceOne && ps.Rows() != s.Rows() {
			t.Errorf("replace-one released a different count %d", ps.Rows())
		}
		if err := ps.Merge(s); err == nil {
			t.Error("merging a privatized sketch: no error")
		}
	}
	for _, bad := range []Privacy{{Epsilon: 0}, {Mechanism: dp.Gaussian, Epsilon: 1}, {Epsilon: 1, CountFraction: 1}} {
		if _, err := s.Privatize(bad); err == nil {
			t.Errorf("privacy %+v: no error", bad)
		}
	}
}

// TestModelFile: a saved model predicts exactly as the original.
func TestModelFile(t *testing.T) {
	for _, name := range []string{"pca", "ridge", "kmeans", "ae"} {
		task, _ := TaskByName(name, 6)
		mod := tinyModel(t, task, 16)
		var buf bytes.Buffer
		if err := mod.Write(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadModel(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		x := randRows(rand.New(rand.NewPCG(9, 9)), 50, task.RowDim(), 1)
		s1, s2 := mod.NewSketch(), back.NewSketch()
		if err := s1.Add(x, 0); err != nil {
			t.Fatal(err)
		}
		if err := s2.Add(x, 0); err != nil {
			t.Fatal(err)
		}
		p1, _ := mod.Predict(s1.Z(), 50, 0)
		p2, err := back.Predict(s2.Z(), 50, 0)
		if err != nil || relDiff(p1, p2) != 0 || back.Task.Name() != name {
			t.Errorf("%s: reloaded model predicts differently (%v)", name, err)
		}
		b := buf.Bytes()
		if _, err := ReadModel(bytes.NewReader(b[:len(b)/2])); err == nil {
			t.Errorf("%s: truncated model file: no error", name)
		}
	}
}
