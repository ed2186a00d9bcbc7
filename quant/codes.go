package quant

import (
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/clkit/clkit/internal/box"
	"github.com/clkit/clkit/rff"
)

// Packed codes: what a sensor sends for each row, 2 bits per frequency in
// CodeWords() uint64 words. Frequencies come in blocks of 16; block b takes
// the low (b even) or high (b odd) 32 bits of word b/2, with the cos bits
// of its frequencies 16b..16b+15 in bits 0..15 of that half and the sin
// bits in bits 16..31. A bit is 1 when the sign is +1. Bits past the M-th
// frequency (and the high half of the last word when the number of blocks
// is odd) are 0, so every row has exactly one code; AddCodes refuses codes
// with any of them set.

// ErrBadCode is wrapped by the errors AddCodes returns for malformed codes.
var ErrBadCode = errors.New("quant: malformed codes")

// Encoder turns rows into packed 1-bit codes, the sensor side of a
// quantized sketch. It holds no mutable state besides its kernel choice:
// Encode methods may be called from several goroutines at once.
type Encoder struct {
	p *plan
	k kernel
}

// NewEncoder returns an encoder for the frequencies f (which must be
// dithered, see ErrNoDither), using the default kernel.
func NewEncoder(f *rff.Frequencies) (*Encoder, error) {
	p, err := newPlan(f)
	if err != nil {
		return nil, err
	}
	return &Encoder{p: p, k: kernels[0]}, nil
}

// SetKernel selects the implementation by name ("auto" or one of
// Kernels()); every kernel writes the same codes.
func (e *Encoder) SetKernel(name string) error {
	k, ok := lookupKernel(name)
	if !ok {
		return fmt.Errorf("quant: kernel %q not usable here (have %v)", name, Kernels())
	}
	e.k = k
	return nil
}

// Kernel is the name of the kernel in use.
func (e *Encoder) Kernel() string { return e.k.name }

// Frequencies returns the frequencies the encoder uses.
func (e *Encoder) Frequencies() *rff.Frequencies { return e.p.f }

// CodeWords is the number of uint64 words of one row's code,
// ⌈⌈M/16⌉/2⌉.
func (e *Encoder) CodeWords() int { return e.p.words }

// EncodeF32 writes the codes of the rows of x (row-major, n rows of D) to
// code[:n·CodeWords()]. Values are checked as by Sketch.AddF32, and on error
// (a *RowError) nothing is written.
func (e *Encoder) EncodeF32(x []float32, code []uint64) error { return encode(e.k, e.p, x, code) }

// EncodeF64 is EncodeF32 for float64 rows.
func (e *Encoder) EncodeF64(x []float64, code []uint64) error { return encode(e.k, e.p, x, code) }

func encode[T float](k kernel, p *plan, x []T, code []uint64) error {
	n, err := p.rowShape(len(x), 0, false)
	if err != nil {
		return err
	}
	W := p.words
	if len(code) < n*W {
		return fmt.Errorf("quant: code buffer of %d words for %d rows of %d words", len(code), n, W)
	}
	wide, _, err := scan(p, x, nil, 0)
	if err != nil {
		return err
	}
	d := p.d
	var row []float64
	i := 0
	for _, r := range append(wide, n) {
		for i < r {
			hi := min(r, i+blockRows)
			switch xv := any(x[i*d : hi*d]).(type) {
			case []float32:
				k.codes32(xv, hi-i, d, p.om32, p.xi32, code[i*W:hi*W])
			case []float64:
				k.codes64(xv, hi-i, d, p.om64, p.xi64, code[i*W:hi*W])
			}
			i = hi
		}
		if r < n {
			if row == nil {
				row = make([]float64, d)
			}
			for c, v := range x[r*d : (r+1)*d] {
				row[c] = float64(v)
			}
			k.codes64(row, 1, d, p.om64, p.xi64, code[r*W:(r+1)*W])
			i = r + 1
		}
	}
	for r := range n { // padding frequencies' bits cleared: canonical codes
		code[r*W+W-1] &= p.lastMask
	}
	return nil
}

// CodeWords is the number of uint64 words of one row's code (see Encoder).
func (s *Sketch) CodeWords() int { return s.p.words }

// AddCodes adds `rows` rows given by their packed codes (len(codes) =
// rows·CodeWords(), as an Encoder over the same frequencies writes them),
// with weights w (nil: unweighted, counted exactly; else rows finite
// non-negative values). The result is the same as adding the rows
// themselves with AddF32/AddF64 (bit for bit, in the same calls).
// Malformed codes (wrong length, padding bits set) give an error wrapping
// ErrBadCode, a bad weight a *RowError; either way nothing is added.
//
// Unweighted codes are summed by bit-sliced vertical counters (carry-save
// adders over 16 rows at a time, Harley–Seal style), fewer than ten word
// operations per code word and row instead of a loop over the bits.
func (s *Sketch) AddCodes(codes []uint64, rows int, w []float64) error {
	p := s.p
	W := p.words
	if rows < 0 || len(codes) != rows*W {
		return fmt.Errorf("%w: %d words for %d rows of %d words", ErrBadCode, len(codes), rows, W)
	}
	if w != nil && len(w) != rows {
		return fmt.Errorf("quant: %d weights for %d rows", len(w), rows)
	}
	for r := range rows {
		if extra := codes[r*W+W-1] &^ p.lastMask; extra != 0 {
			return fmt.Errorf("%w: row %d: padding bits %#x set in word %d (only %d frequencies)", ErrBadCode, r, extra, W-1, p.m)
		}
	}
	if w == nil {
		wk := s.work(0)
		raw := make([]int64, 64*W)
		countBits(codes, rows, W, raw)
		for c := range W {
			for b := range 64 {
				j, sin := freqIndex(c, b)
				switch {
				case j >= p.m:
				case sin:
					wk.cntS[j] += raw[c*64+b]
				default:
					wk.cntC[j] += raw[c*64+b]
				}
			}
		}
		s.commit(wk, false)
		s.forgetBox(rows)
		s.count(int64(rows), false)
		return nil
	}
	var sumW float64
	for r, v := range w {
		if !(v >= 0) || v > math.MaxFloat64 {
			return &RowError{Row: r, Col: -1, Msg: fmt.Sprintf("%v is not finite and non-negative", v)}
		}
		sumW += v
	}
	if math.IsInf(s.wsum+sumW, 0) {
		return fmt.Errorf("quant: total weight overflows float64")
	}
	wk := s.work(0)
	addWeighted(p, codes, w, wk.onesC, wk.onesS)
	wk.sumW = sumW
	s.commit(wk, true)
	s.forgetBox(rows)
	s.count(int64(rows), true)
	return nil
}

// forgetBox: codes do not reveal the rows' values, so once rows arrive as
// codes the box is unknown (SetBox can supply it).
func (s *Sketch) forgetBox(rows int) {
	if rows > 0 {
		s.box = box.Box{}
	}
}

// addWeighted adds w[i] to onesC[j] (onesS[j]) for every row i whose cos
// (sin) bit j is set, rows in order; onesC and onesS have room for the
// padding frequencies (mp entries), whose bits are ignored. Branch-free: a
// clear bit adds +0, which leaves every sum as it was, bit for bit (sums
// start at +0), so the result is that of adding w[i] on the set bits only.
func addWeighted[T float](p *plan, code []uint64, w []T, onesC, onesS []float64) {
	W := p.words
	onesC, onesS = onesC[:2*blockFreqs*W], onesS[:2*blockFreqs*W]
	for i, wv := range w {
		wb := math.Float64bits(float64(wv))
		rc := code[i*W : (i+1)*W]
		for c, v := range rc {
			if c == W-1 {
				v &= p.lastMask
			}
			oc := (*[32]float64)(onesC[32*c:])
			os := (*[32]float64)(onesS[32*c:])
			for l := range 16 {
				oc[l] += math.Float64frombits(wb & -(v >> l & 1))
				os[l] += math.Float64frombits(wb & -(v >> (16 + l) & 1))
				oc[16+l] += math.Float64frombits(wb & -(v >> (32 + l) & 1))
				os[16+l] += math.Float64frombits(wb & -(v >> (48 + l) & 1))
			}
		}
	}
}

// csa is a carry-save adder on 64 independent bit lanes: h·2 + l = a + b + c.
func csa(a, b, c uint64) (h, l uint64) {
	u := a ^ b
	return a&b | u&c, u ^ c
}

// counterPlanes is the depth of the bit-sliced counters: plane p of column
// c holds bit p of the running count of every bit of word c, so a column
// counts up to 2¹⁶ − 1 rows before it is flushed into cnt.
const counterPlanes = 16

// countBits adds to cnt[c·64 + b] the number of the rows (W words each) of
// codes whose word c has bit b set. Rows are taken 16 at a time: a
// Harley–Seal tree of carry-save adders folds the 16 words of a column into
// the column's ones, twos, fours and eights planes and yields a sixteens
// word, which is rippled into the upper planes. A segment of 65520 rows
// fits in the 16 planes; then the planes are flushed into cnt.
func countBits(codes []uint64, rows, W int, cnt []int64) {
	const segment = (1<<counterPlanes - 1) / 16 * 16
	st := make([][counterPlanes]uint64, W)
	for lo := 0; lo < rows; lo += segment {
		hi := min(rows, lo+segment)
		r := lo
		for ; r+16 <= hi; r += 16 {
			g := codes[r*W : (r+16)*W]
			r0, r1, r2, r3 := g[0*W:1*W], g[1*W:2*W], g[2*W:3*W], g[3*W:4*W]
			r4, r5, r6, r7 := g[4*W:5*W], g[5*W:6*W], g[6*W:7*W], g[7*W:8*W]
			r8, r9, r10, r11 := g[8*W:9*W], g[9*W:10*W], g[10*W:11*W], g[11*W:12*W]
			r12, r13, r14, r15 := g[12*W:13*W], g[13*W:14*W], g[14*W:15*W], g[15*W:16*W]
			for c := range st {
				pl := &st[c]
				ones, twos, fours, eights := pl[0], pl[1], pl[2], pl[3]
				var twosA, twosB, foursA, foursB, eightsA, eightsB uint64
				twosA, ones = csa(ones, r0[c], r1[c])
				twosB, ones = csa(ones, r2[c], r3[c])
				foursA, twos = csa(twos, twosA, twosB)
				twosA, ones = csa(ones, r4[c], r5[c])
				twosB, ones = csa(ones, r6[c], r7[c])
				foursB, twos = csa(twos, twosA, twosB)
				eightsA, fours = csa(fours, foursA, foursB)
				twosA, ones = csa(ones, r8[c], r9[c])
				twosB, ones = csa(ones, r10[c], r11[c])
				foursA, twos = csa(twos, twosA, twosB)
				twosA, ones = csa(ones, r12[c], r13[c])
				twosB, ones = csa(ones, r14[c], r15[c])
				foursB, twos = csa(twos, twosA, twosB)
				eightsB, fours = csa(fours, foursA, foursB)
				carry, eights := csa(eights, eightsA, eightsB)
				pl[0], pl[1], pl[2], pl[3] = ones, twos, fours, eights
				for q := 4; q < counterPlanes; q++ {
					pl[q], carry = pl[q]^carry, pl[q]&carry
				}
			}
		}
		for ; r < hi; r++ { // the last few rows: ripple from the ones plane
			for c, v := range codes[r*W : (r+1)*W] {
				pl := &st[c]
				for q := range counterPlanes {
					pl[q], v = pl[q]^v, pl[q]&v
				}
			}
		}
		for c := range st {
			for q, v := range st[c] {
				for v != 0 {
					cnt[c*64+bits.TrailingZeros64(v)] += 1 << q
					v &= v - 1
				}
			}
			st[c] = [counterPlanes]uint64{}
		}
	}
}
