package quant

import (
	"errors"
	"fmt"
	"math"

	"github.com/clkit/clkit/rff"
)

// Precision limits on the phase in turns, u = (ωᵀx + ξ)/2π. They are far
// inside the kernels' range (fastLimit32 = 2²², fastLimit64 = 2⁵¹, where
// rint stops being exact) and are set by accuracy instead.
//
// A bit flips when the computed u and the exact one fall on either side of
// one of the bit's two boundaries per turn (v = ±1/4 for the cos bit, 0 and
// 1/2 for the sin bit). The dither spreads u uniformly over a turn, so an
// error of δ turns flips a given bit with probability at most 2δ, and moves
// the mean sketch by at most 4δ per part (a flip turns ±1 into ∓1).
//
// float32: while every partial sum of the phase stays below 2¹⁰ turns
// (6434 rad, about rff's float32 limit of 8192 rad), each fused
// multiply-add rounds by at most 2⁻¹⁵ turns, and rounding ω' and ξ' to
// float32 moves u by at most 2⁻¹⁴ in all: u is within (d+2)·2⁻¹⁵ turns of
// the exact phase of the float32 input, and in practice much closer (the
// roundings are a random walk). That is the size of the error already made
// by rounding the data to float32 (|u|·2⁻²⁴ ≤ 2⁻¹⁴), and a flip probability
// below 6e-5·(d+2) per bit, noise far below the quantization's own (every
// bit is ±1 with variance up to 1). Rows whose phase could exceed it are
// computed in float64, exactly from the same float32 values.
//
// float64: below 2³² turns each rounding is at most 2⁻²¹ turns, so u is
// within (d+2)·2⁻²¹. Beyond it, the rounding of the data themselves moves u
// by more than 2⁻²¹ per term and grows with |u|, so the bits are less and
// less determined by the data; such a row is refused. (Phases that large
// mean data far from the origin on the frequencies' scale: centre the data,
// or use a larger σ.)
const (
	precLimit32 = 1 << 10
	precLimit64 = 1 << 32
)

// ErrNoDither is returned for frequencies drawn with Params.NoDither. The
// 1-bit sketch relies on the dither. As a Fourier series,
//
//	q(t) = (4/π)·(e^{it} − e^{−3it}/3 + e^{5it}/5 − e^{−7it}/7 + …),
//
// so entry j of the expected sketch is (4/π)·(e^{iξ_j}φ(ω_j) − e^{−3iξ_j}
// φ(−3ω_j)/3 + …), φ the data's characteristic function. Against any atom
// e^{iξ_j}·A_j(θ) of the decoder, the harmonics carry the phases e^{∓4iξ_j},
// e^{±8iξ_j}, …, which average to zero over a uniform dither: they act as
// noise, and the first harmonic, (4/π) times the smooth sketch, is what is
// decoded. With ξ = 0 they add up coherently instead, as the sketch of ghost
// copies of the data scaled by −3 (weight −1/3), 5 (weight 1/5), …, which a
// decoder would try to fit.
var ErrNoDither = errors.New("quant: 1-bit sketches need dithered frequencies (Params.NoDither is set)")

// plan is the frequencies as the kernels read them: ω' = ω/2π and ξ' = ξ/2π
// packed in blocks of 16 (padded with zeros), in float32 and float64, and
// the bounds that route each row. Immutable once built; shared by clones.
type plan struct {
	f         *rff.Frequencies
	d, m, mp  int
	nb, words int // blocks, code words per row
	om32      []float32
	xi32      []float32
	om64      []float64
	xi64      []float64
	colMax32  []float64 // max_j |ω'_jk| of the float32 (resp. float64) values
	colMax64  []float64
	xiMax32   float64 // max_j |ξ'_j|
	xiMax64   float64
	lastMask  uint64 // bits of a row's last code word that are real frequencies
	fp        uint64
}

func newPlan(f *rff.Frequencies) (*plan, error) {
	if f == nil {
		return nil, errors.New("quant: nil frequencies")
	}
	if f.Params().NoDither {
		return nil, ErrNoDither
	}
	d, m := f.D(), f.M()
	mp := (m + blockFreqs - 1) / blockFreqs * blockFreqs
	nb := mp / blockFreqs
	p := &plan{f: f, d: d, m: m, mp: mp, nb: nb, words: codeWords(nb), fp: f.Fingerprint(),
		om32: make([]float32, mp*d), xi32: make([]float32, mp),
		om64: make([]float64, mp*d), xi64: make([]float64, mp),
		colMax32: make([]float64, d), colMax64: make([]float64, d)}
	omega, xi := f.OmegaMatrix(), f.Xi()
	const turn = 2 * math.Pi
	for j := range m {
		b, l := j/blockFreqs, j%blockFreqs
		for k := range d {
			v := omega[j*d+k] / turn
			i := (b*d+k)*blockFreqs + l
			p.om64[i], p.om32[i] = v, float32(v)
			p.colMax64[k] = max(p.colMax64[k], math.Abs(v))
			p.colMax32[k] = max(p.colMax32[k], math.Abs(float64(float32(v))))
		}
		v := xi[j] / turn
		p.xi64[j], p.xi32[j] = v, float32(v)
		p.xiMax64 = max(p.xiMax64, math.Abs(v))
		p.xiMax32 = max(p.xiMax32, math.Abs(float64(float32(v))))
	}
	p.lastMask = ^uint64(0)
	if nb%2 == 1 {
		p.lastMask = 0xffffffff
	}
	if r := m % blockFreqs; r != 0 {
		// The last block sits in the low or high half of the last word.
		half := uint64(1)<<r - 1
		half |= half << 16
		if nb%2 == 1 {
			p.lastMask = half
		} else {
			p.lastMask = 0xffffffff | half<<32
		}
	}
	return p, nil
}

// freqIndex maps bit `bit` of code word `c` to its frequency and part.
func freqIndex(c, bit int) (j int, sin bool) {
	block := 2*c + bit/32
	t := bit % 32
	return block*blockFreqs + t%16, t >= 16
}

// RowError reports bad input: the row (0-based, within the block passed to
// Add or Encode) and column, and what is wrong. It is rff's type, so
// callers handle bad rows of both kinds of sketch alike.
type RowError = rff.RowError

type float interface{ ~float32 | ~float64 }

// rowShape checks that x holds whole rows and w (if any) one weight each.
func (p *plan) rowShape(nx, nw int, weighted bool) (int, error) {
	if nx%p.d != 0 {
		return 0, fmt.Errorf("quant: block of %d values is not a whole number of rows of d=%d", nx, p.d)
	}
	n := nx / p.d
	if weighted && nw != n {
		return 0, fmt.Errorf("quant: %d weights for %d rows", nw, n)
	}
	return n, nil
}

// scan checks every row of x (and weight of w, if not nil) before anything
// is added, and returns the rows (indices within x) that must take the
// float64 kernel although x is float32, and Σw in row order. Errors name
// row rowBase+i.
func scan[T float](p *plan, x, w []T, rowBase int) (wide []int, sumW float64, err error) {
	d := p.d
	n := len(x) / d
	_, is32 := any(x).([]float32)
	colMax, xiMax, limit := p.colMax64, p.xiMax64, float64(precLimit64)
	if is32 {
		colMax, xiMax, limit = p.colMax32, p.xiMax32, precLimit32
	}
	colMax = colMax[:d]
	for i := range n {
		row := x[i*d : (i+1)*d]
		// A bound on every partial sum of every phase of the row. NaN or
		// ±Inf anywhere makes it NaN or +Inf, so good rows pay for the
		// finiteness check with nothing more than this loop.
		bound := xiMax
		for k, v := range row {
			bound += math.Abs(float64(v)) * colMax[k]
		}
		if !(bound <= limit) {
			if err := p.wideRow(row64(row), rowBase+i); err != nil {
				return nil, 0, err
			}
			if is32 {
				wide = append(wide, i)
			}
		}
		if w != nil {
			wi := float64(w[i])
			if !(wi >= 0) || wi > math.MaxFloat64 {
				return nil, 0, &RowError{Row: rowBase + i, Col: -1, Msg: fmt.Sprintf("%v is not finite and non-negative", w[i])}
			}
			sumW += wi
		}
	}
	if math.IsInf(sumW, 0) {
		return nil, 0, fmt.Errorf("quant: the weights of rows %d..%d sum beyond the float64 range", rowBase, rowBase+n-1)
	}
	return wide, sumW, nil
}

func row64[T float](row []T) []float64 {
	if r, ok := any(row).([]float64); ok {
		return r
	}
	r := make([]float64, len(row))
	for k, v := range row {
		r[k] = float64(v)
	}
	return r
}

func (p *plan) bound64(row []float64) float64 {
	b := p.xiMax64
	for k, v := range row {
		b += math.Abs(v) * p.colMax64[k]
	}
	return b
}

// wideRow decides for a row whose quick bound exceeded the limit of its
// type: an error if a value is not finite or a float64 phase reaches
// precLimit64 turns, else nil (the row can take the float64 kernel).
func (p *plan) wideRow(row []float64, r int) error {
	for k, v := range row {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &RowError{Row: r, Col: k, Msg: fmt.Sprintf("value %v is not finite", v)}
		}
	}
	if p.bound64(row) <= precLimit64 {
		return nil
	}
	// The bound is loose: compute the phases as the float64 kernel would.
	d := p.d
	worst, wj := 0.0, 0
	for j := range p.m {
		b, l := j/blockFreqs, j%blockFreqs
		u := p.xi64[j]
		for k, v := range row {
			u = math.FMA(v, p.om64[(b*d+k)*blockFreqs+l], u)
		}
		if a := math.Abs(u); !(a <= worst) {
			worst, wj = a, j
		}
	}
	if worst < precLimit64 {
		return nil
	}
	// Name the column that contributes most to the offending phase.
	col, big := 0, -1.0
	for k, v := range row {
		if a := math.Abs(v * p.om64[(wj/blockFreqs*d+k)*blockFreqs+wj%blockFreqs]); a > big || math.IsNaN(a) {
			col, big = k, a
		}
	}
	return &RowError{Row: r, Col: col, Msg: fmt.Sprintf(
		"phase of frequency %d is %.3g turns; beyond 2³² the 1-bit code is not determined by float64 data (centre or rescale the data)", wj, worst)}
}
