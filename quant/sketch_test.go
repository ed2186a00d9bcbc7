package quant

import (
	"errors"
	"github.com/clkit/clkit/internal/box"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clkit/clkit/rff"
)

func mustFreq(t testing.TB, p rff.Params) *rff.Frequencies {
	t.Helper()
	f, err := rff.NewFrequencies(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustSketch(t testing.TB, f *rff.Frequencies, kern string) *Sketch {
	t.Helper()
	s, err := NewSketch(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetKernel(kern); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustEncoder(t testing.TB, f *rff.Frequencies, kern string) *Encoder {
	t.Helper()
	e, err := NewEncoder(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetKernel(kern); err != nil {
		t.Fatal(err)
	}
	return e
}

func gaussFreq(t testing.TB, d, m int, seed uint64) *rff.Frequencies {
	return mustFreq(t, rff.Params{Law: rff.Gaussian, D: d, M: m, Sigma: []float64{math.Sqrt(float64(d)) / 3}, Seed: seed})
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

// refCodes is the independent reference of the codes: the phase
// t = ω_jᵀx + ξ_j in float64 (plain sums, radians) and the signs of cos t,
// sin t, packed as documented. amb marks the bits whose value a kernel may
// legitimately get the other way: those within `rel`·(|ξ_j| + Σ|ω_jk x_k|)
// (+1e-12) of a sign change. For float32 input rel covers the rounding of
// ω/2π and ξ/2π to float32 and the d float32 FMAs.
func refCodes(f *rff.Frequencies, x []float64, rel float64) (code, amb []uint64) {
	d, m := f.D(), f.M()
	n := len(x) / d
	W := codeWords((m + 15) / 16)
	code, amb = make([]uint64, n*W), make([]uint64, n*W)
	for i := range n {
		row := x[i*d : (i+1)*d]
		for j := range m {
			om := f.Omega(j)
			t, p := f.Xi()[j], math.Abs(f.Xi()[j])
			for k, v := range row {
				t += om[k] * v
				p += math.Abs(om[k] * v)
			}
			tol := rel*p + 1e-12*(1+p)
			sn, cs := math.Sincos(t)
			b := j / 16
			bit := 32*(b%2) + j%16
			w := i*W + b/2
			if cs > 0 {
				code[w] |= 1 << bit
			}
			if sn > 0 {
				code[w] |= 1 << (bit + 16)
			}
			// |cos t| < tol means t is within about tol of a zero of cos.
			if math.Abs(cs) < 2*tol {
				amb[w] |= 1 << bit
			}
			if math.Abs(sn) < 2*tol {
				amb[w] |= 1 << (bit + 16)
			}
		}
	}
	return code, amb
}

func rel32(d int) float64 { return float64(d+3) * 0x1p-24 }

// checkCodes compares codes with the reference bit for bit, except on
// ambiguous bits, and returns how many ambiguous bits there were.
func checkCodes(t *testing.T, what string, got, want, amb []uint64) int {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d words, want %d", what, len(got), len(want))
	}
	na := 0
	for i := range got {
		if diff := (got[i] ^ want[i]) &^ amb[i]; diff != 0 {
			t.Fatalf("%s: word %d = %#x, want %#x (differs at %#x, ambiguous %#x)", what, i, got[i], want[i], diff, amb[i])
		}
		na += popcount(amb[i])
	}
	return na
}

func popcount(v uint64) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

// refCount is the plain reference accumulator over codes: a loop over the
// rows and bits, weights (nil = 1 each, counted) added in row order.
func refCount(code []uint64, W, m int, w []float64) (cntC, cntS []int64, onesC, onesS []float64) {
	cntC, cntS, onesC, onesS = make([]int64, m), make([]int64, m), make([]float64, m), make([]float64, m)
	for i := 0; i < len(code)/W; i++ {
		for j := range m {
			word := code[i*W+j/32]
			bit := 32*(j/16%2) + j%16
			c, s := word>>bit&1 == 1, word>>(bit+16)&1 == 1
			if w == nil {
				if c {
					cntC[j]++
				}
				if s {
					cntS[j]++
				}
				continue
			}
			if c {
				onesC[j] += w[i]
			}
			if s {
				onesS[j] += w[i]
			}
		}
	}
	return
}

// sameSketch: identical to the last bit.
func sameSketch(a, b *Sketch) bool {
	return slices.Equal(a.cntC, b.cntC) && slices.Equal(a.cntS, b.cntS) &&
		bitsEqual(a.onesC, b.onesC) && bitsEqual(a.onesS, b.onesS) &&
		a.urows == b.urows && a.rows == b.rows && math.Float64bits(a.wsum) == math.Float64bits(b.wsum) && a.p.fp == b.p.fp
}

func bitsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func sumsOf(w []float64) float64 {
	var s float64
	for _, v := range w {
		s += v
	}
	return s
}

// TestSketchRows: for every kernel, every row count 0..300 (several kernel
// blocks and tails; every 11th with -short), odd and even d and m, float32
// and float64, with and without weights, the public API gives exactly the
// reference: codes that match the trigonometric reference (up to bits
// within rounding of a sign change), and sketches equal, to the last bit,
// to the plain accumulation of those codes.
func TestSketchRows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	step := 1
	if testing.Short() {
		step = 11
	}
	const nmax = 300
	for _, c := range []struct{ d, m int }{{1, 1}, {2, 16}, {3, 17}, {5, 33}, {7, 48}, {10, 23}, {17, 65}} {
		f := gaussFreq(t, c.d, c.m, uint64(c.d*100+c.m))
		W := (c.m + 31) / 32
		x32, x64 := randRows(r, nmax, c.d, 1)
		w32, w64 := randWeights(r, nmax)
		want64, amb64 := refCodes(f, x64, 0)
		want32, amb32 := refCodes(f, x64, rel32(c.d))
		for _, kn := range Kernels() {
			e := mustEncoder(t, f, kn)
			if e.CodeWords() != W {
				t.Fatalf("CodeWords %d, want %d", e.CodeWords(), W)
			}
			code32, code64 := make([]uint64, nmax*W), make([]uint64, nmax*W)
			if err := e.EncodeF32(x32, code32); err != nil {
				t.Fatal(err)
			}
			if err := e.EncodeF64(x64, code64); err != nil {
				t.Fatal(err)
			}
			checkCodes(t, kn+" f64 codes", code64, want64, amb64)
			checkCodes(t, kn+" f32 codes", code32, want32, amb32)
			for n := 0; n <= nmax; n += step {
				for _, weighted := range []bool{false, true} {
					var ww32 []float32
					var ww64 []float64
					if weighted {
						ww32, ww64 = w32[:n], w64[:n]
					}
					s32, s64 := mustSketch(t, f, kn), mustSketch(t, f, kn)
					if err := s32.AddF32(x32[:n*c.d], ww32); err != nil {
						t.Fatal(err)
					}
					if err := s64.AddF64(x64[:n*c.d], ww64); err != nil {
						t.Fatal(err)
					}
					for _, v := range []struct {
						name string
						s    *Sketch
						code []uint64
					}{{"f32", s32, code32}, {"f64", s64, code64}} {
						cC, cS, oC, oS := refCount(v.code[:n*W], W, c.m, ww64)
						gC, gS, urows := v.s.Counts()
						if !slices.Equal(gC, cC) || !slices.Equal(gS, cS) || !bitsEqual(v.s.onesC, oC) || !bitsEqual(v.s.onesS, oS) {
							t.Fatalf("%s d=%d m=%d n=%d weighted=%v %s: sketch differs from its codes", kn, c.d, c.m, n, weighted, v.name)
						}
						wantW := float64(n)
						if weighted {
							wantW = sumsOf(ww64)
							if urows != 0 {
								t.Fatalf("weighted rows counted as unweighted")
							}
						}
						if v.s.Rows() != int64(n) || v.s.Weight() != wantW {
							t.Fatalf("rows %d weight %v, want %d, %v", v.s.Rows(), v.s.Weight(), n, wantW)
						}
					}
				}
			}
		}
	}
}

// TestKernelsAgree: every usable kernel gives the Go kernel's sketches and
// codes exactly, on data with phases up to the float32 limit (where float32
// rounding decides many bits).
func TestKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct{ d, m int }{{1, 31}, {3, 40}, {9, 100}, {16, 16}} {
		f := gaussFreq(t, c.d, c.m, 7)
		n := 777
		if testing.Short() {
			n = 130
		}
		x32, x64 := randRows(r, n, c.d, 50) // phases of tens of turns
		_, w64 := randWeights(r, n)
		for i := 0; i < n; i += 13 { // and some beyond 2¹⁰ turns
			x32[i*c.d] *= 1000
			x64[i*c.d] = float64(x32[i*c.d])
		}
		ref := map[string]*Sketch{}
		var refCode []uint64
		for _, kn := range Kernels() {
			e := mustEncoder(t, f, kn)
			code := make([]uint64, n*e.CodeWords())
			if err := e.EncodeF32(x32, code); err != nil {
				t.Fatal(err)
			}
			if refCode == nil {
				refCode = code
			} else if !slices.Equal(code, refCode) {
				t.Fatalf("%s: codes differ from %s's", kn, Kernels()[0])
			}
			for _, name := range []string{"f32", "f64", "f32w", "f64w"} {
				s := mustSketch(t, f, kn)
				var w []float64
				if name[len(name)-1] == 'w' {
					w = w64
				}
				var err error
				if name[:3] == "f32" {
					err = s.AddParallelF32(x32, f32s(w), 3)
				} else {
					err = s.AddF64(x64, w)
				}
				if err != nil {
					t.Fatal(err)
				}
				if ref[name] == nil {
					ref[name] = s
				} else if !sameSketch(s, ref[name]) {
					t.Fatalf("%s %s: sketch differs from %s's", kn, name, Kernels()[0])
				}
			}
		}
		if !slices.Contains(Kernels(), "go") || Kernels()[len(Kernels())-1] != "go" {
			t.Fatalf("kernels %v: go must be last", Kernels())
		}
	}
}

func f32s(w []float64) []float32 {
	if w == nil {
		return nil
	}
	o := make([]float32, len(w))
	for i, v := range w {
		o[i] = float32(v)
	}
	return o
}

func TestParallelAndMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	const d, m = 5, 70
	n := 3000
	if testing.Short() {
		n = 960 // still 15 chunks
	}
	f := mustFreq(t, rff.Params{Law: rff.AdaptedRadius, D: d, M: m, Sigma: []float64{1}, Seed: 5})
	x32, x64 := randRows(r, n, d, 1)
	w32, w64 := randWeights(r, n)
	seq32, seq64 := mustSketch(t, f, "auto"), mustSketch(t, f, "auto")
	seq32.AddF32(x32, nil)
	seq64.AddF64(x64, nil)
	var firstW32, firstW64 *Sketch
	for workers := 0; workers <= 8; workers++ {
		p32, p64 := mustSketch(t, f, "auto"), mustSketch(t, f, "auto")
		if err := p32.AddParallelF32(x32, nil, workers); err != nil {
			t.Fatal(err)
		}
		if err := p64.AddParallelF64(x64, nil, workers); err != nil {
			t.Fatal(err)
		}
		// Unweighted: exact counts, so identical to the sequential Add.
		if !sameSketch(p32, seq32) || !sameSketch(p64, seq64) {
			t.Fatalf("%d workers: unweighted parallel sketch differs from sequential", workers)
		}
		q32, q64 := mustSketch(t, f, "auto"), mustSketch(t, f, "auto")
		q32.AddParallelF32(x32, w32, workers)
		q64.AddParallelF64(x64, w64, workers)
		if firstW32 == nil {
			firstW32, firstW64 = q32, q64
		} else if !sameSketch(q32, firstW32) || !sameSketch(q64, firstW64) {
			t.Fatalf("%d workers: weighted sketch differs from 0 workers'", workers)
		}
		if q64.Rows() != int64(n) || q64.Weight() != firstW64.Weight() {
			t.Fatal("rows or weight")
		}
	}
	// Weighted sequential and parallel agree to rounding.
	s := mustSketch(t, f, "auto")
	s.AddF64(x64, w64)
	checkClose(t, "weighted parallel vs sequential", firstW64, s, 1e-12)

	// Merge: parts into the whole, in any grouping; exact for counts.
	parts := make([]*Sketch, 3)
	for p := range parts {
		parts[p] = mustSketch(t, f, "go")
		lo, hi := p*n/3, (p+1)*n/3
		parts[p].AddF64(x64[lo*d:hi*d], nil)
		parts[p].AddF64(x64[lo*d:hi*d], w64[lo:hi])
	}
	ab := parts[0].Clone()
	ab.Merge(parts[1])
	ab.Merge(parts[2])
	bc := parts[1].Clone()
	bc.Merge(parts[2])
	a := parts[0].Clone()
	if err := a.Merge(bc); err != nil {
		t.Fatal(err)
	}
	whole := seq64.Clone()
	whole.AddF64(x64, w64)
	for _, v := range []*Sketch{ab, a} {
		if !slices.Equal(v.cntC, whole.cntC) || !slices.Equal(v.cntS, whole.cntS) || v.Rows() != int64(2*n) {
			t.Fatal("merged counts differ")
		}
		checkClose(t, "merge", v, whole, 1e-12)
	}
	other := mustSketch(t, mustFreq(t, rff.Params{Law: rff.AdaptedRadius, D: d, M: m, Sigma: []float64{1}, Seed: 6}), "go")
	before := ab.Clone()
	if err := ab.Merge(other); !errors.Is(err, rff.ErrMismatch) {
		t.Fatalf("merge of a foreign sketch: %v", err)
	}
	if !sameSketch(ab, before) {
		t.Fatal("failed merge changed the sketch")
	}
	big := mustSketch(t, f, "go")
	big.AddF64(x64[:d], []float64{math.MaxFloat64})
	if err := big.Merge(big.Clone()); err == nil || big.Weight() != math.MaxFloat64 {
		t.Fatalf("weight overflow in merge: %v, weight %v", err, big.Weight())
	}
	ab.Reset()
	if ab.Rows() != 0 || ab.Weight() != 0 || slices.Max(ab.cntC) != 0 || slices.Max(ab.onesS) != 0 {
		t.Fatal("reset")
	}
	c := whole.Clone()
	c.AddF64(x64[:d], nil)
	if sameSketch(c, whole) || whole.Rows() != int64(2*n) {
		t.Fatal("clone shares storage")
	}
}

func checkClose(t *testing.T, what string, a, b *Sketch, tol float64) {
	t.Helper()
	ar, ai := a.Z()
	br, bi := b.Z()
	for j := range ar {
		if math.Abs(ar[j]-br[j]) > tol || math.Abs(ai[j]-bi[j]) > tol {
			t.Fatalf("%s: z[%d] = %v%+vi vs %v%+vi", what, j, ar[j], ai[j], br[j], bi[j])
		}
	}
	if math.Abs(a.Weight()-b.Weight()) > tol*b.Weight() {
		t.Fatalf("%s: weight %v vs %v", what, a.Weight(), b.Weight())
	}
}

// TestSumsAndSmooth: one row gives q = ±1 ± i exactly; Sums combine the
// exact and weighted parts; Smooth divides by 4/π and keeps weight and rows.
func TestSumsAndSmooth(t *testing.T) {
	f := mustFreq(t, rff.Params{Law: rff.FoldedGaussian, D: 3, M: 20, Sigma: []float64{1}, Seed: 1})
	x := []float64{0.3, -1, 2, 1, 1, 1}
	s := mustSketch(t, f, "auto")
	s.AddF64(x[:3], []float64{2.5})
	re, im := s.Z()
	for j := range re {
		om := f.Omega(j)
		t0 := om[0]*x[0] + om[1]*x[1] + om[2]*x[2] + f.Xi()[j]
		if re[j] != sign(math.Cos(t0)) || im[j] != sign(math.Sin(t0)) {
			t.Fatalf("z[%d] = %v%+vi, phase %v", j, re[j], im[j], t0)
		}
	}
	s.AddF64(x, nil) // + two unweighted rows
	s.AddF64(x[3:], []float64{0.5})
	if s.Rows() != 4 || s.Weight() != 5 {
		t.Fatalf("rows %d weight %v", s.Rows(), s.Weight())
	}
	sr, si := s.Sums()
	var wantR, wantI [20]float64
	for i, wi := range []float64{2.5, 1, 1, 0.5} {
		row := x[:3]
		if i >= 2 {
			row = x[3:]
		}
		for j := range 20 {
			om := f.Omega(j)
			t0 := om[0]*row[0] + om[1]*row[1] + om[2]*row[2] + f.Xi()[j]
			wantR[j] += wi * sign(math.Cos(t0))
			wantI[j] += wi * sign(math.Sin(t0))
		}
	}
	if !slices.Equal(sr, wantR[:]) || !slices.Equal(si, wantI[:]) {
		t.Fatalf("sums %v %v, want %v %v", sr, si, wantR, wantI)
	}
	sm := s.Smooth()
	gr, gi := sm.Sums()
	for j := range gr {
		if math.Abs(gr[j]*FirstHarmonic-sr[j]) > 1e-14 || math.Abs(gi[j]*FirstHarmonic-si[j]) > 1e-14 {
			t.Fatalf("smooth sums %v %v", gr[j], gi[j])
		}
	}
	if sm.Weight() != 5 || sm.Rows() != 4 || sm.Frequencies() != f {
		t.Fatal("smooth weight, rows or frequencies")
	}
	if FirstHarmonic != 4/math.Pi {
		t.Fatal("factor")
	}
}

func sign(v float64) float64 {
	if v > 0 {
		return 1
	}
	return -1
}

func TestBadInput(t *testing.T) {
	f := mustFreq(t, rff.Params{Law: rff.AdaptedRadius, D: 3, M: 40, Sigma: []float64{1}, Seed: 3})
	r := rand.New(rand.NewPCG(3, 3))
	base := mustSketch(t, f, "auto")
	x32, x64 := randRows(r, 10, 3, 1)
	base.AddF64(x64, nil)
	base.AddF64(x64, x64[:10])
	e := mustEncoder(t, f, "auto")
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		const n = 1000
		y32, y64 := randRows(r, n, 3, 1)
		y32[700*3+2], y64[700*3+2] = float32(v), v
		_, w64 := randWeights(r, n)
		for _, w := range [][]float64{nil, w64} {
			for _, par := range []bool{false, true} {
				s := base.Clone()
				var e32, e64 error
				if par {
					e32, e64 = s.AddParallelF32(y32, f32s(w), 3), s.AddParallelF64(y64, w, 3)
				} else {
					e32, e64 = s.AddF32(y32, f32s(w)), s.AddF64(y64, w)
				}
				code := make([]uint64, n*e.CodeWords())
				for i := range code {
					code[i] = 12345
				}
				c32, c64 := e.EncodeF32(y32, code), e.EncodeF64(y64, code)
				for _, err := range []error{e32, e64, c32, c64} {
					var re *RowError
					if !errors.As(err, &re) || re.Row != 700 || re.Col != 2 {
						t.Fatalf("value %v parallel=%v: error %v, want row 700 column 2", v, par, err)
					}
				}
				if !sameSketch(s, base) {
					t.Fatalf("sketch changed by a failed Add (value %v)", v)
				}
				if code[0] != 12345 {
					t.Fatal("failed Encode wrote codes")
				}
			}
		}
	}
	for _, wv := range []float64{-1, math.NaN(), math.Inf(1)} {
		w := []float32{1, 1, float32(wv), 1, 1, 1, 1, 1, 1, 1}
		s := base.Clone()
		var re *RowError
		if err := s.AddF32(x32, w); !errors.As(err, &re) || re.Row != 2 || re.Col != -1 {
			t.Errorf("weight %v: error %v, want row 2 weight", wv, err)
		}
		if err := s.AddParallelF64(x64, f64s(w), 2); !errors.As(err, &re) || re.Row != 2 || re.Col != -1 {
			t.Errorf("weight %v: error %v, want row 2 weight", wv, err)
		}
		if !sameSketch(s, base) {
			t.Fatal("sketch changed by a bad weight")
		}
	}
	// Weights summing beyond float64: refused, nothing added.
	s := base.Clone()
	if err := s.AddF64(x64[:6], []float64{math.MaxFloat64, math.MaxFloat64}); err == nil || !sameSketch(s, base) {
		t.Errorf("overflowing weights: %v", err)
	}
	if err := s.AddF32(x32[:7], nil); err == nil {
		t.Error("ragged block accepted")
	}
	if err := s.AddF32(x32, make([]float32, 3)); err == nil {
		t.Error("wrong weight count accepted")
	}
	if err := e.EncodeF32(x32, make([]uint64, 9*e.CodeWords())); err == nil {
		t.Error("short code buffer accepted")
	}
	// A phase beyond 2³² turns is an error, not noise; one that overflows
	// float64 too.
	for _, huge := range [][]float64{{0, 1e12, 0}, {0, 1e308, -1e308}} {
		var re *RowError
		if err := s.AddF64(huge, nil); !errors.As(err, &re) || re.Row != 0 || re.Col < 1 || !sameSketch(s, base) {
			t.Errorf("phase too large (%v): error %v", huge, err)
		}
		if err := s.AddF32(f32s(huge), nil); err == nil || !sameSketch(s, base) {
			t.Errorf("phase too large (%v, float32): error %v", huge, err)
		}
	}
	if err := s.SetKernel("z80"); err == nil {
		t.Error("unknown kernel accepted")
	}
	if err := e.SetKernel("z80"); err == nil {
		t.Error("unknown kernel accepted")
	}
	nd := mustFreq(t, rff.Params{Law: rff.Gaussian, D: 2, M: 5, Sigma: []float64{1}, NoDither: true})
	if _, err := NewSketch(nd); !errors.Is(err, ErrNoDither) {
		t.Errorf("undithered frequencies: %v", err)
	}
	if _, err := NewEncoder(nd); !errors.Is(err, ErrNoDither) {
		t.Errorf("undithered frequencies: %v", err)
	}
	if _, err := NewSketch(nil); err == nil {
		t.Error("nil frequencies accepted")
	}
}

func f64s(w []float32) []float64 {
	o := make([]float64, len(w))
	for i, v := range w {
		o[i] = float64(v)
	}
	return o
}

// TestLargePhases: float32 rows whose phases could pass 2¹⁰ turns take the
// float64 kernel, on the same float32 values, so their codes are those of
// the float64 rows exactly; ordinary rows in between keep the float32
// kernel. A float64 row whose quick bound is beyond 2³² turns but whose
// phases are not is accepted.
func TestLargePhases(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	const n, d, m = 600, 2, 35
	f := mustFreq(t, rff.Params{Law: rff.Gaussian, D: d, M: m, Sigma: []float64{1}, Seed: 4})
	for _, kn := range Kernels() {
		x32, x64 := randRows(r, n, d, 1)
		big := map[int]bool{}
		for i := 0; i < n; i += 1 + i%7 { // runs of ordinary rows of varying length
			x32[d*i] *= float32([]float64{1e4, 1e5, 3e6, 1e7}[i%4])
			x64[d*i] = float64(x32[d*i])
			big[i] = true
		}
		e := mustEncoder(t, f, kn)
		W := e.CodeWords()
		c32, c64 := make([]uint64, n*W), make([]uint64, n*W)
		if err := e.EncodeF32(x32, c32); err != nil {
			t.Fatal(err)
		}
		e.EncodeF64(x64, c64)
		want, amb := refCodes(f, x64, 0)
		checkCodes(t, "f64 large phases", c64, want, amb)
		wide := 0
		for i := range n {
			if big[i] && !slices.Equal(c32[i*W:(i+1)*W], c64[i*W:(i+1)*W]) {
				t.Fatalf("row %d (large) has float32 codes other than its float64 codes", i)
			}
			if e.p.xiMax32+math.Abs(float64(x32[d*i]))*e.p.colMax32[0]+math.Abs(float64(x32[d*i+1]))*e.p.colMax32[1] > precLimit32 {
				wide++
			}
		}
		if wide == 0 {
			t.Fatal("no row needed the float64 path")
		}
		s32, s64 := mustSketch(t, f, kn), mustSketch(t, f, kn)
		s32.AddF32(x32, nil)
		s64.AddF64(x64, nil)
		cC, cS, _, _ := refCount(c32, W, m, nil)
		if gC, gS, _ := s32.Counts(); !slices.Equal(gC, cC) || !slices.Equal(gS, cS) {
			t.Fatal("float32 sketch with large rows differs from its codes")
		}
	}
	// Cancelling coordinates: the bound Σ|x_k|·max_j|ω'_jk| is huge, the
	// phase is not.
	f1 := mustFreq(t, rff.Params{Law: rff.Gaussian, D: 2, M: 1, Sigma: []float64{1}, Seed: 4})
	om := f1.Omega(0)
	a := 0x1p34 // bound a/π > 2³²
	x := []float64{a / om[0], -a / om[1]}
	s := mustSketch(t, f1, "auto")
	if err := s.AddF64(x, nil); err != nil {
		t.Fatalf("row with cancelling phase refused: %v", err)
	}
}

// TestFloat32Precision: on float32 rows whose phases come close to the
// float32 limit (quick bound 0.9·2¹⁰ turns), the float32 kernel's bits
// differ from the exact (float64) bits of the same values at a rate below
// the documented bound, 2·(d+2)·2⁻¹⁵ per bit.
func TestFloat32Precision(t *testing.T) {
	const d, m, n = 10, 64, 2000
	f := gaussFreq(t, d, m, 3)
	e := mustEncoder(t, f, "auto")
	r := rand.New(rand.NewPCG(5, 5))
	x32 := make([]float32, n*d)
	row := make([]float64, d)
	for i := range n {
		b := e.p.xiMax32
		for k := range row {
			row[k] = r.NormFloat64()
			b += math.Abs(row[k]) * e.p.colMax32[k]
		}
		for k := range row {
			x32[i*d+k] = float32(row[k] * 0.9 * precLimit32 / b)
		}
	}
	c32, c64 := make([]uint64, n*e.CodeWords()), make([]uint64, n*e.CodeWords())
	e.EncodeF32(x32, c32)
	e.EncodeF64(f64s(x32), c64)
	flips := 0
	for i := range c32 {
		flips += popcount(c32[i] ^ c64[i])
	}
	rate, bound := float64(flips)/(2*n*m), 2*(d+2)*0x1p-15
	t.Logf("float32 bits flipped at a rate of %.2g per bit (bound %.2g)", rate, bound)
	if rate > bound {
		t.Errorf("flip rate %.3g above the documented %.3g", rate, bound)
	}
}

// The box follows the rows through every path; codes make it unknown.
func TestSketchBox(t *testing.T) {
	f := mustFreq(t, rff.Params{Law: rff.Gaussian, D: 3, M: 40, Sigma: []float64{1}, Seed: 5})
	_, x := randRows(rand.New(rand.NewPCG(3, 4)), 900, 3, 1)
	want := box.Of(x, 3)
	seq, _ := NewSketch(f)
	seq.AddF64(x[:300], nil)
	seq.AddF64(x[300:], nil)
	par, _ := NewSketch(f)
	if err := par.AddParallelF64(x, nil, 3); err != nil {
		t.Fatal(err)
	}
	a, _ := NewSketch(f)
	b, _ := NewSketch(f)
	a.AddF64(x[:600], nil)
	b.AddF64(x[600:], nil)
	a.Merge(b)
	back := new(Sketch)
	raw, _ := a.MarshalBinary()
	if err := back.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Sketch{"Add": seq, "AddParallel": par, "Merge": a, "Clone": a.Clone(), "file": back} {
		lo, hi, ok := s.Box()
		if !ok || !slices.Equal(lo, want.Lo) || !slices.Equal(hi, want.Hi) {
			t.Errorf("%s: box %v %v %v, want %v", name, lo, hi, ok, want)
		}
	}
	sm := seq.Smooth()
	if lo, _, ok := sm.Box(); !ok || !slices.Equal(lo, want.Lo) {
		t.Error("Smooth lost the box")
	}
	enc, _ := NewEncoder(f)
	code := make([]uint64, 2*enc.CodeWords())
	enc.EncodeF64(x[:6], code)
	if err := seq.AddCodes(code, 2, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := seq.Box(); ok {
		t.Error("box still known after rows arrived as codes")
	}
	if err := seq.SetBox(want.Lo, want.Hi); err != nil {
		t.Fatal(err)
	}
	seq.Reset()
	if _, _, ok := seq.Box(); ok {
		t.Error("Reset kept the box")
	}
}
