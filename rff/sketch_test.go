package rff

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func mustFreq(t testing.TB, p Params) *Frequencies {
	t.Helper()
	f, err := NewFrequencies(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// refSketch is the float64 math.Sincos reference of the normalised sketch,
// and the float32 kernels' error bound per entry (see kernelCase.bound32;
// here Ω and ξ are also rounded to float32, one more term).
func refSketch(f *Frequencies, x, w []float64) (re, im []float64, bound32 float64) {
	d, m := f.D(), f.M()
	n := len(x) / d
	re, im = make([]float64, m), make([]float64, m)
	var sw float64
	for i := 0; i < n; i++ {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		sw += wi
	}
	for j := 0; j < m; j++ {
		om := f.Omega(j)
		var eb float64
		for i := 0; i < n; i++ {
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			t, p := f.Xi()[j], math.Abs(f.Xi()[j])
			for k := 0; k < d; k++ {
				t += x[i*d+k] * om[k]
				p += math.Abs(x[i*d+k] * om[k])
			}
			sn, cs := math.Sincos(t)
			re[j] += wi * cs
			im[j] += wi * sn
			eb += wi * (2e-7 + float64(d+3)*0x1p-24*p)
		}
		re[j] /= sw
		im[j] /= sw
		bound32 = max(bound32, eb/sw)
	}
	return re, im, max(bound32, 1e-6)
}

func randRows(r *rand.Rand, n, d int, scale float64) ([]float32, []float64) {
	x32, x64 := make([]float32, n*d), make([]float64, n*d)
	for i := range x32 {
		x32[i] = float32(r.NormFloat64() * scale)
		x64[i] = float64(x32[i])
	}
	return x32, x64
}

func randWeights(r *rand.Rand, n int) ([]float32, []float64) {
	w32, w64 := make([]float32, n), make([]float64, n)
	for i := range w32 {
		w32[i] = float32(r.ExpFloat64())
		w64[i] = float64(w32[i])
	}
	return w32, w64
}

func checkZ(t *testing.T, what string, s *Sketch, re, im []float64, tol float64) {
	t.Helper()
	gr, gi := s.Z()
	er, j1 := maxDiff(gr, re)
	ei, j2 := maxDiff(gi, im)
	if !(er <= tol && ei <= tol) {
		t.Fatalf("%s [%s]: |Δz| = %.3g (j=%d), %.3g (j=%d); tol %.3g", what, s.Kernel(), er, j1, ei, j2, tol)
	}
}

// sketchBoth sketches the same rows as float32 and as float64 with kernel kn.
func sketchBoth(t *testing.T, f *Frequencies, kn string, x32 []float32, x64 []float64, w32 []float32, w64 []float64) (s32, s64 *Sketch) {
	t.Helper()
	s32, s64 = NewSketch(f), NewSketch(f)
	for _, s := range []*Sketch{s32, s64} {
		if err := s.SetKernel(kn); err != nil {
			t.Fatal(err)
		}
	}
	if err := s32.AddF32(x32, w32); err != nil {
		t.Fatal(err)
	}
	if err := s64.AddF64(x64, w64); err != nil {
		t.Fatal(err)
	}
	return s32, s64
}

// TestSketchRows sweeps every row count 0..300 (several kernel blocks and
// tails) through the public API, for every kernel, weighted or not.
func TestSketchRows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, kn := range Kernels() {
		for _, d := range []int{1, 2, 3, 7, 8, 9, 16, 17, 64, 65} {
			m := 21 + d%5 // never a multiple of a vector width
			f := mustFreq(t, Params{Law: Gaussian, D: d, M: m, Sigma: []float64{math.Sqrt(float64(d)) / 3}, Seed: uint64(d)})
			step := 1
			if d > 9 {
				step = 13
			}
			for n := 0; n <= 300; n += step {
				x32, x64 := randRows(r, n, d, 1)
				var w32 []float32
				var w64 []float64
				if n%2 == 1 {
					w32, w64 = randWeights(r, n)
				}
				re, im, b32 := refSketch(f, x64, w64)
				s32, s64 := sketchBoth(t, f, kn, x32, x64, w32, w64)
				if s32.Rows() != int64(n) || s64.Rows() != int64(n) {
					t.Fatalf("rows %d, %d; want %d", s32.Rows(), s64.Rows(), n)
				}
				if n == 0 {
					continue
				}
				checkZ(t, "f32", s32, re, im, b32)
				checkZ(t, "f64", s64, re, im, 1e-12)
			}
		}
	}
}

// TestAccuracyClaim checks the stated accuracy on the benchmark data
// (x ~ N(0,1), ω ~ N(0, 9/d): phases with standard deviation 3): every entry
// of z within 1e-6 (float32 input) and 1e-12 (float64) of the float64
// math.Sincos reference on the same inputs.
func TestAccuracyClaim(t *testing.T) {
	const n, d, m = 20000, 10, 1000
	if testing.Short() {
		t.Skip("long")
	}
	r := rand.New(rand.NewPCG(2, 2))
	f := mustFreq(t, Params{Law: Gaussian, D: d, M: m, Sigma: []float64{math.Sqrt(d) / 3}, Seed: 2})
	x32, x64 := randRows(r, n, d, 1)
	re, im, _ := refSketch(f, x64, nil)
	for _, kn := range Kernels() {
		s32, s64 := sketchBoth(t, f, kn, x32, x64, nil, nil)
		checkZ(t, "f32 accuracy claim", s32, re, im, 1e-6)
		checkZ(t, "f64 accuracy claim", s64, re, im, 1e-12)
	}
}

func TestBadInput(t *testing.T) {
	f := mustFreq(t, Params{Law: AdaptedRadius, D: 3, M: 40, Sigma: []float64{1}, Seed: 3})
	r := rand.New(rand.NewPCG(3, 3))
	base := NewSketch(f)
	x32, x64 := randRows(r, 10, 3, 1)
	if err := base.AddF64(x64, nil); err != nil {
		t.Fatal(err)
	}
	bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	for _, v := range bad {
		for _, par := range []bool{false, true} {
			const n = 1000
			y32, y64 := randRows(r, n, 3, 1)
			y32[700*3+2], y64[700*3+2] = float32(v), v
			s := base.Clone()
			c0, s0 := s.Sums()
			var e32, e64 error
			if par {
				e32, e64 = s.AddParallelF32(y32, nil, 3), s.AddParallelF64(y64, nil, 3)
			} else {
				e32, e64 = s.AddF32(y32, nil), s.AddF64(y64, nil)
			}
			for _, err := range []error{e32, e64} {
				var re *RowError
				if !errors.As(err, &re) || re.Row != 700 || re.Col != 2 {
					t.Fatalf("value %v parallel=%v: error %v, want row 700 column 2", v, par, err)
				}
			}
			c1, s1 := s.Sums()
			if !slices.Equal(c0, c1) || !slices.Equal(s0, s1) || s.Rows() != 10 || s.Weight() != 10 {
				t.Fatalf("sketch changed by a failed Add (value %v)", v)
			}
		}
	}
	for _, wv := range []float64{-1, math.NaN(), math.Inf(1)} {
		w := []float32{1, 1, float32(wv), 1, 1, 1, 1, 1, 1, 1}
		var re *RowError
		if err := NewSketch(f).AddF32(x32, w); !errors.As(err, &re) || re.Row != 2 || re.Col != -1 {
			t.Errorf("weight %v: error %v, want row 2 weight", wv, err)
		}
	}
	s := NewSketch(f)
	if err := s.AddF32(x32[:7], nil); err == nil {
		t.Error("ragged block accepted")
	}
	if err := s.AddF32(x32, make([]float32, 3)); err == nil {
		t.Error("wrong weight count accepted")
	}
	// A phase that overflows float64 is an error, not a NaN sketch.
	huge := []float64{0, 1e308, -1e308}
	if err := s.AddF64(huge, nil); err == nil || s.Rows() != 0 {
		t.Errorf("overflowing phase: error %v, rows %d", err, s.Rows())
	}
	if err := s.SetKernel("z80"); err == nil {
		t.Error("unknown kernel accepted")
	}
}

// TestLargePhases mixes ordinary rows with rows whose phases are far beyond
// the fast kernels' range: those take the exact path and must still be right.
func TestLargePhases(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	f := mustFreq(t, Params{Law: Gaussian, D: 2, M: 35, Sigma: []float64{1}, Seed: 4})
	const n = 600
	for _, kn := range Kernels() {
		x32, x64 := randRows(r, n, 2, 1)
		for i := 0; i < n; i += 1 + i%7 { // runs of fast rows of varying length
			sc := []float64{1e4, 1e5, 3e6, 1e7}[i%4]
			x32[2*i] *= float32(sc)
			x64[2*i] = float64(x32[2*i])
		}
		re, im, _ := refSketch(f, x64, nil)
		s32, s64 := sketchBoth(t, f, kn, x32, x64, nil, nil)
		// Big rows are computed exactly in float64; the rest as usual.
		checkZ(t, "f32 large phases", s32, re, im, 2e-6)
		checkZ(t, "f64 large phases", s64, re, im, 1e-9)
	}
}

func TestMergeAndParallel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	f := mustFreq(t, Params{Law: AdaptedRadius, D: 5, M: 100, Sigma: []float64{1}, Seed: 5})
	x32, x64 := randRows(r, 3000, 5, 1)
	w32, w64 := randWeights(r, 3000)
	whole := NewSketch(f)
	whole.AddF64(x64, w64)
	parts := make([]*Sketch, 3)
	for p := range parts {
		parts[p] = NewSketch(f)
		lo, hi := p*1000, (p+1)*1000
		parts[p].AddF64(x64[lo*5:hi*5], w64[lo:hi])
	}
	ab := parts[0].Clone()
	ab.Merge(parts[1])
	ab.Merge(parts[2])
	bc := parts[1].Clone()
	bc.Merge(parts[2])
	a := parts[0].Clone()
	a.Merge(bc)
	for _, s := range []*Sketch{ab, a} {
		re, im := whole.Z()
		checkZ(t, "merge", s, re, im, 1e-13)
		if s.Rows() != 3000 || math.Abs(s.Weight()-whole.Weight()) > 1e-9 {
			t.Fatalf("merged rows %d weight %v", s.Rows(), s.Weight())
		}
	}
	var first32, first64 *Sketch
	for _, workers := range []int{0, 1, 2, 3, 7, 64} {
		p64, p32, s32 := NewSketch(f), NewSketch(f), NewSketch(f)
		if err := p64.AddParallelF64(x64, w64, workers); err != nil {
			t.Fatal(err)
		}
		p32.AddParallelF32(x32, w32, workers)
		s32.AddF32(x32, w32)
		re, im := whole.Z()
		checkZ(t, "parallel f64", p64, re, im, 1e-13)
		re, im = s32.Z()
		checkZ(t, "parallel f32", p32, re, im, 1e-6)
		if p64.Rows() != 3000 || p32.Rows() != 3000 {
			t.Fatal("parallel row count")
		}
		// Bit-identical for every worker count.
		if first32 == nil {
			first32, first64 = p32, p64
		} else if !sameSketch(p32, first32) || !sameSketch(p64, first64) {
			t.Fatalf("%d workers give other bits than %d", workers, 0)
		}
	}
	other := NewSketch(mustFreq(t, Params{Law: AdaptedRadius, D: 5, M: 100, Sigma: []float64{1}, Seed: 6}))
	c0, _ := ab.Sums()
	if err := ab.Merge(other); !errors.Is(err, ErrMismatch) {
		t.Fatalf("merge of foreign sketch: %v", err)
	}
	if c1, _ := ab.Sums(); !slices.Equal(c0, c1) {
		t.Fatal("failed merge changed the sketch")
	}
	ab.Reset()
	if ab.Rows() != 0 || ab.Weight() != 0 {
		t.Fatal("reset")
	}
}

// TestDiracAgreesWithOneRow: the sketch of a single row is exp(i(ωᵀx+ξ)).
func TestOneRow(t *testing.T) {
	f := mustFreq(t, Params{Law: FoldedGaussian, D: 3, M: 20, Sigma: []float64{1}, Seed: 1})
	x := []float64{0.3, -1, 2}
	s := NewSketch(f)
	s.AddF64(x, []float64{2.5})
	z := s.Complex()
	for j := range z {
		om := f.Omega(j)
		t0 := om[0]*x[0] + om[1]*x[1] + om[2]*x[2] + f.Xi()[j]
		if d := z[j] - complex(math.Cos(t0), math.Sin(t0)); math.Hypot(real(d), imag(d)) > 1e-14 {
			t.Fatalf("z[%d] = %v", j, z[j])
		}
	}
}

func TestNewSketchFromSums(t *testing.T) {
	s := sampleSketch(t)
	re, im := s.Sums()
	back, err := NewSketchFromSums(s.freq, re, im, s.Weight(), s.Rows())
	if err == nil {
		err = back.SetBox(s.box.Lo, s.box.Hi)
	}
	if err != nil || !sameSketch(s, back) {
		t.Fatalf("round trip through sums: %v", err)
	}
	if err := back.Merge(s); err != nil {
		t.Fatal(err)
	}
	bad := slices.Clone(re)
	bad[3] = math.NaN()
	for _, c := range []struct {
		re, im []float64
		w      float64
		rows   int64
	}{{re[:5], im, 1, 1}, {bad, im, 1, 1}, {re, im, -1, 1}, {re, im, math.Inf(1), 1}, {re, im, 1, -1}} {
		if _, err := NewSketchFromSums(s.freq, c.re, c.im, c.w, c.rows); err == nil {
			t.Errorf("accepted bad sums (len %d, w %v, rows %d)", len(c.re), c.w, c.rows)
		}
	}
}

// The box is the union of the rows added, through every path.
func TestSketchBox(t *testing.T) {
	f := mustFreq(t, Params{Law: Gaussian, D: 3, M: 20, Sigma: []float64{1}, Seed: 5})
	_, x := randRows(rand.New(rand.NewPCG(3, 4)), 1000, 3, 1)
	lo, hi := blockBoxRef(x, 3)
	one := NewSketch(f)
	if _, _, ok := one.Box(); ok {
		t.Fatal("empty sketch has a box")
	}
	if err := one.AddF64(x[:300], nil); err != nil {
		t.Fatal(err)
	}
	if err := one.AddF64(x[300:], nil); err != nil {
		t.Fatal(err)
	}
	par := NewSketch(f)
	if err := par.AddParallelF64(x, nil, 3); err != nil {
		t.Fatal(err)
	}
	a, b := NewSketch(f), NewSketch(f)
	a.AddF64(x[:600], nil)
	b.AddF64(x[600:], nil)
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Sketch{"Add": one, "AddParallel": par, "Merge": a, "Clone": a.Clone()} {
		gl, gh, ok := s.Box()
		if !ok || !slices.Equal(gl, lo) || !slices.Equal(gh, hi) {
			t.Errorf("%s: box %v %v %v, want %v %v", name, gl, gh, ok, lo, hi)
		}
	}
	// A failed add leaves the box alone.
	bad := slices.Clone(x[:30])
	bad[17] = math.NaN()
	bad[3] = 1e9
	if err := one.AddF64(bad, nil); err == nil {
		t.Fatal("NaN accepted")
	}
	if gl, gh, _ := one.Box(); !slices.Equal(gl, lo) || !slices.Equal(gh, hi) {
		t.Error("failed add changed the box")
	}
	// Unknown boxes stay unknown once rows exist.
	re, im := one.Sums()
	fromSums, err := NewSketchFromSums(f, re, im, one.Weight(), one.Rows())
	if err != nil {
		t.Fatal(err)
	}
	fromSums.AddF64(x[:3], nil)
	if _, _, ok := fromSums.Box(); ok {
		t.Error("box of a sketch from sums became known from later rows")
	}
	if err := one.Merge(fromSums); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := one.Box(); ok {
		t.Error("merging an unknown box gave a known one")
	}
	if err := fromSums.SetBox(lo, hi); err != nil {
		t.Fatal(err)
	}
	if err := fromSums.SetBox(hi, lo); err == nil {
		t.Error("SetBox accepted lo > hi")
	}
	fromSums.Reset()
	if _, _, ok := fromSums.Box(); ok {
		t.Error("Reset kept the box")
	}
}

func blockBoxRef(x []float64, d int) (lo, hi []float64) {
	lo, hi = slices.Clone(x[:d]), slices.Clone(x[:d])
	for i := 0; i < len(x); i++ {
		lo[i%d] = math.Min(lo[i%d], x[i])
		hi[i%d] = math.Max(hi[i%d], x[i])
	}
	return
}
