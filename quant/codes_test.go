package quant

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/clkit/clkit/rff"
)

// refBitCounts is the plain reference for countBits: a loop over rows and
// bits.
func refBitCounts(codes []uint64, rows, W int) []int64 {
	cnt := make([]int64, 64*W)
	for r := range rows {
		for c := range W {
			for b := range 64 {
				cnt[c*64+b] += int64(codes[r*W+c] >> b & 1)
			}
		}
	}
	return cnt
}

// TestCountBits: the carry-save counters against the reference, for row
// counts around the group size (16) and across a segment flush (65520),
// bit densities from empty to full, several widths.
func TestCountBits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rowsList := []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 255, 256, 1000}
	if !testing.Short() {
		rowsList = append(rowsList, 65519, 65520, 65521, 65536+17, 2*65520+40)
	}
	for _, W := range []int{1, 2, 3, 5} {
		for _, rows := range rowsList {
			for _, density := range []float64{0, 0.03, 0.5, 0.97, 1} {
				if rows > 1000 && (W > 1 || density != 0.5 && density != 1) {
					continue
				}
				codes := make([]uint64, rows*W)
				for i := range codes {
					switch density {
					case 0.5:
						codes[i] = r.Uint64()
					case 1:
						codes[i] = ^uint64(0)
					default:
						for b := range 64 {
							if r.Float64() < density {
								codes[i] |= 1 << b
							}
						}
					}
				}
				got := make([]int64, 64*W)
				got[5] = 7 // countBits adds to what is there
				countBits(codes, rows, W, got)
				got[5] -= 7
				if want := refBitCounts(codes, rows, W); !slices.Equal(got, want) {
					t.Fatalf("W=%d rows=%d density %v: counts differ", W, rows, density)
				}
			}
		}
	}
}

// TestCodesAccumulate: adding the codes of rows equals adding the rows,
// bit for bit, unweighted and weighted, in several calls; and the codes
// are canonical (padding bits clear).
func TestCodesAccumulate(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, m := range []int{1, 15, 16, 17, 31, 32, 33, 47, 64, 100} {
		const d = 4
		f := gaussFreq(t, d, m, uint64(m))
		e := mustEncoder(t, f, "auto")
		W := e.CodeWords()
		if W != ((m+15)/16+1)/2 {
			t.Fatalf("m=%d: %d code words", m, W)
		}
		for _, n := range []int{0, 1, 16, 37, 300} {
			x32, x64 := randRows(r, n, d, 2)
			_, w := randWeights(r, n)
			code := make([]uint64, n*W)
			if err := e.EncodeF32(x32, code); err != nil {
				t.Fatal(err)
			}
			pad := 0
			for i := range n {
				for j := m; j < (W*2)*16; j++ { // padding frequencies' cos and sin bits
					bit := 32*(j/16%2) + j%16
					pad += int(code[i*W+j/32] >> bit & 1)
					pad += int(code[i*W+j/32] >> (bit + 16) & 1)
				}
			}
			if pad != 0 {
				t.Fatalf("m=%d: %d padding bits set", m, pad)
			}
			byRows, byCodes := mustSketch(t, f, "auto"), mustSketch(t, f, "auto")
			byRows.AddF32(x32, nil)
			byRows.AddF32(x32, f32s(w))
			byRows.AddF64(x64[:n/2*d], nil)
			byCodes.AddCodes(code, n, nil)
			byCodes.AddCodes(code, n, f64s(f32s(w)))
			if err := byCodes.AddCodes(code[:n/2*W], n/2, nil); err != nil {
				t.Fatal(err)
			}
			// Rows of x64 are the same values as x32 but take the float64
			// kernel: compare counts only through their own codes.
			c64 := make([]uint64, n/2*W)
			e.EncodeF64(x64[:n/2*d], c64)
			byCodes2 := mustSketch(t, f, "auto")
			byCodes2.AddCodes(code, n, nil)
			byCodes2.AddCodes(code, n, f64s(f32s(w)))
			byCodes2.AddCodes(c64, n/2, nil)
			if !sameSketch(byRows, byCodes2) {
				t.Fatalf("m=%d n=%d: sketch of the rows differs from the sketch of their codes", m, n)
			}
			if byCodes.Rows() != int64(2*n+n/2) {
				t.Fatalf("rows %d", byCodes.Rows())
			}
		}
	}
}

func TestAddCodesErrors(t *testing.T) {
	f := gaussFreq(t, 3, 21, 9) // 2 blocks, one word, padding in the high half
	e := mustEncoder(t, f, "auto")
	r := rand.New(rand.NewPCG(3, 4))
	x32, _ := randRows(r, 10, 3, 1)
	code := make([]uint64, 10)
	e.EncodeF32(x32, code)
	base := mustSketch(t, f, "auto")
	base.AddCodes(code, 10, nil)
	s := base.Clone()
	// Every padding bit is caught, in every row; no other bit is.
	npad := 0
	for bit := range 64 {
		j, _ := freqIndex(0, bit)
		for row := range 10 {
			bad := slices.Clone(code)
			bad[row] |= 1 << bit
			for _, w := range [][]float64{nil, make([]float64, 10)} {
				err := s.Clone().AddCodes(bad, 10, w)
				if j < 21 {
					if err != nil {
						t.Fatalf("bit %d (frequency %d) refused: %v", bit, j, err)
					}
					continue
				}
				if !errors.Is(err, ErrBadCode) || !strings.Contains(err.Error(), fmt.Sprintf("row %d", row)) {
					t.Fatalf("padding bit %d (frequency %d) in row %d: %v", bit, j, row, err)
				}
				npad++
			}
		}
	}
	if npad != 2*11*2*10 {
		t.Fatalf("%d padding cases", npad)
	}
	for _, c := range []struct {
		code []uint64
		rows int
		w    []float64
	}{
		{code[:9], 10, nil}, {code, 9, nil}, {code, -1, nil}, {code, 10, make([]float64, 9)},
		{code, 10, []float64{1, 1, 1, -1, 1, 1, 1, 1, 1, 1}},
		{code, 10, []float64{1, 1, 1, math.NaN(), 1, 1, 1, 1, 1, 1}},
		{code, 10, []float64{1, 1, 1, math.Inf(1), 1, 1, 1, 1, 1, 1}},
		{code, 10, []float64{1, 1, 1, math.MaxFloat64, math.MaxFloat64, 1, 1, 1, 1, 1}},
	} {
		if err := s.AddCodes(c.code, c.rows, c.w); err == nil {
			t.Errorf("accepted %d words, %d rows, weights %v", len(c.code), c.rows, c.w)
		}
	}
	var re *RowError
	if err := s.AddCodes(code, 10, []float64{1, 1, 1, -1, 1, 1, 1, 1, 1, 1}); !errors.As(err, &re) || re.Row != 3 || re.Col != -1 {
		t.Errorf("bad weight: %v", err)
	}
	if !sameSketch(s, base) {
		t.Fatal("a failed AddCodes changed the sketch")
	}
	// An odd number of blocks: the last word's high half is padding.
	f3 := gaussFreq(t, 2, 40, 9) // 3 blocks, 2 words
	s3 := mustSketch(t, f3, "auto")
	bad := make([]uint64, 2)
	bad[1] = 1 << 40
	if err := s3.AddCodes(bad, 1, nil); !errors.Is(err, ErrBadCode) {
		t.Errorf("high half of the last word: %v", err)
	}
	bad[1] = 1 << (16 + 7) // frequency 39's sin bit: legal
	if err := s3.AddCodes(bad, 1, nil); err != nil {
		t.Errorf("legal code refused: %v", err)
	}
	if c, s, _ := s3.Counts(); c[39] != 0 || s[39] != 1 || slices.Max(c) != 0 {
		t.Errorf("counts %v %v", c, s)
	}
}

// BenchmarkAddCodes: the server side, codes of m = 1000 frequencies
// (32 words a row) summed into a sketch.
func BenchmarkAddCodes(b *testing.B) {
	for _, m := range []int{128, 1000} {
		f := mustFreq(b, rff.Params{Law: rff.Gaussian, D: 10, M: m, Sigma: []float64{1}, Seed: 1})
		s, _ := NewSketch(f)
		W := s.CodeWords()
		const rows = 1 << 14
		r := rand.New(rand.NewPCG(1, 1))
		code := make([]uint64, rows*W)
		for i := range code {
			code[i] = r.Uint64()
			if i%W == W-1 {
				code[i] &= s.p.lastMask
			}
		}
		w := make([]float64, rows)
		for i := range w {
			w[i] = r.Float64()
		}
		for _, weighted := range []bool{false, true} {
			name := fmt.Sprintf("m=%d/unweighted", m)
			var ww []float64
			if weighted {
				name, ww = fmt.Sprintf("m=%d/weighted", m), w
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(rows * W * 8))
				for b.Loop() {
					if err := s.AddCodes(code, rows, ww); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkEncode: the sensor side, rows to codes.
func BenchmarkEncode(b *testing.B) {
	const d, m, rows = 10, 1000, 1024
	f := mustFreq(b, rff.Params{Law: rff.Gaussian, D: d, M: m, Sigma: []float64{math.Sqrt(d) / 3}, Seed: 1})
	x32, x64 := randRows(rand.New(rand.NewPCG(1, 1)), rows, d, 1)
	for _, kn := range Kernels() {
		e := mustEncoder(b, f, kn)
		code := make([]uint64, rows*e.CodeWords())
		b.Run(kn+"/f32", func(b *testing.B) {
			for b.Loop() {
				e.EncodeF32(x32, code)
			}
			b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(kn+"/f64", func(b *testing.B) {
			for b.Loop() {
				e.EncodeF64(x64, code)
			}
			b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
