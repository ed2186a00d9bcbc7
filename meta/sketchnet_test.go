package meta

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clkit/clkit/rff"
)

func randRows(r *rand.Rand, n, d int, scale float64) []float64 {
	x := make([]float64, n*d)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}

// TestSketchNetGradient: Backward against central finite differences in
// float64, for both bounds, Fourier branch trained and frozen.
func TestSketchNetGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []SketchConfig{
		{D: 3, M: 5, Fourier: 8, Quadratic: 4, Width: 12, Bound: "tanh"},
		{D: 4, M: 6, Fourier: 16, Quadratic: 3, Width: 10, Blocks: 2, Clip: 0.3, Law: rff.AdaptedRadius},
		{D: 2, M: 4, Fourier: 5, Quadratic: -1, Width: 8, FrozenFourier: true, Shift: []float64{1, -1}, Scale: []float64{2, 0.5}},
		{D: 4, M: 12, Fourier: 8, Quadratic: 2, Cross: 1, Width: 8},
	} {
		s, err := NewSketchNet[float64](c, 7)
		if err != nil {
			t.Fatal(err)
		}
		const n = 9
		x := randRows(r, n, c.D, 1)
		wts := randRows(r, n, c.M, 1)
		var w Work[float64]
		loss := func() float64 {
			out, err := s.Forward(&w, x, n)
			if err != nil {
				t.Fatal(err)
			}
			var l float64
			for i, v := range out {
				l += wts[i] * v
			}
			return l
		}
		loss()
		blocks := s.Blocks()
		grad := [][]float64{make([]float64, len(blocks[0])), make([]float64, len(blocks[1]))}
		s.Backward(&w, wts, grad)
		// Gradients far below the largest are compared at the scale of
		// the largest, where finite differences lose their digits.
		var gmax float64
		for _, g := range grad {
			for _, v := range g {
				gmax = max(gmax, math.Abs(v))
			}
		}
		var worst float64
		for b, blk := range blocks {
			for i := range blk {
				if b == 1 && i%3 != 0 {
					continue
				}
				old := blk[i]
				h := 1e-6 * max(1, math.Abs(old))
				blk[i] = old + h
				s.Refresh()
				lp := loss()
				blk[i] = old - h
				s.Refresh()
				lm := loss()
				blk[i] = old
				s.Refresh()
				fd := (lp - lm) / (2 * h)
				want := grad[b][i]
				if c.FrozenFourier && b == 0 && i < c.Fourier*(c.D+1) {
					fd = 0 // frozen: no gradient by design
				}
				worst = max(worst, math.Abs(fd-want)/max(1e-3*gmax, math.Abs(fd), math.Abs(want)))
			}
		}
		if worst > 1e-5 {
			t.Errorf("config %+v: worst relative gradient error %.3g", c, worst)
		}
	}
}

// TestSketchNetRowDeterminism: a row's output does not depend on the batch
// it is evaluated in (bit for bit), so it can be subtracted exactly.
func TestSketchNetRowDeterminism(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	s, err := NewSketchNet[float32](SketchConfig{D: 20, M: 64}, 3)
	if err != nil {
		t.Fatal(err)
	}
	x := randRows(r, 300, 20, 1)
	var w, w1 Work[float32]
	all, err := s.Forward(&w, x, 300)
	if err != nil {
		t.Fatal(err)
	}
	all = append([]float32(nil), all...)
	for _, i := range []int{0, 1, 17, 128, 255, 299} {
		one, err := s.Forward(&w1, x[i*20:(i+1)*20], 1)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range one {
			if v != all[i*64+j] {
				t.Fatalf("row %d output %d: %v alone, %v in the batch", i, j, v, all[i*64+j])
			}
		}
	}
	// The bound holds for each part, and so Sensitivity for the whole.
	c := s.Config()
	_, l2 := s.Sensitivity()
	for i := range 300 {
		var s2, all2 float64
		for j, v := range all[i*64 : (i+1)*64] {
			all2 += float64(v) * float64(v)
			if j == c.momentDims()-1 || j == c.direct()-1 || j == 63 {
				if math.Sqrt(s2+float64(v)*float64(v)) > 1+1e-5 {
					t.Fatalf("row %d: a part has norm %v > clip 1", i, math.Sqrt(s2))
				}
				s2 = 0
				continue
			}
			s2 += float64(v) * float64(v)
		}
		if math.Sqrt(all2) > l2 {
			t.Fatalf("row %d: ‖f(x)‖ = %v > Δ₂ = %v", i, math.Sqrt(all2), l2)
		}
	}
}
