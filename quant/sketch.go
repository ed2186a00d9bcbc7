package quant

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/clkit/clkit/internal/box"
	"github.com/clkit/clkit/rff"
)

// FirstHarmonic is the factor between the expected 1-bit sketch and the
// smooth one, in each of the cos and sin parts: the first Fourier
// coefficient of a ±1 square wave, 4/π. E q(ω_jᵀx + ξ_j) = (4/π)·E
// exp(i(ω_jᵀx + ξ_j)) + higher harmonics (see ErrNoDither).
const FirstHarmonic = 4 / math.Pi

// Sketch accumulates Σ_i w_i q(ω_jᵀx_i + ξ_j) with q(t) = sign(cos t) +
// i·sign(sin t), the 1-bit universally quantized sketch, over the
// frequencies of an rff.Frequencies.
//
// What is stored is the number of +1 bits, so that every sum is exact and
// reproducible:
//
//   - rows added without weights (w = nil, and AddCodes without weights)
//     count into int64 counters, per frequency and part: the result is the
//     same integer for every kernel, worker count, platform and order of
//     Adds and Merges;
//   - weighted rows add w_i to a float64 sum per frequency and part for
//     each +1 bit, in row order, next to Σ w_i (also in row order), so the
//     result is deterministic too. Each weighted call (or parallel chunk)
//     sums into zeroed buffers first and then into the sketch, the same way
//     for the bits' sums and for Σ w_i; since rounding is monotone, no bit's
//     sum ever exceeds Σ w_i.
//
// Sums and Z combine the two: Σ_i w_i q_re = (2·count − unweighted rows) +
// (2·ones − Σw), likewise for the sin part.
//
// A Sketch is a sum, so sketches of disjoint parts of a data set Merge into
// the sketch of the whole. Methods are not safe for concurrent use; use
// AddParallelF32/F64, or one Sketch per goroutine and Merge.
type Sketch struct {
	p            *plan
	k            kernel
	cntC, cntS   []int64   // unweighted rows with a +1 bit, per frequency (length M)
	onesC, onesS []float64 // Σ w over weighted rows with a +1 bit
	urows, rows  int64     // unweighted rows, all rows
	wsum         float64   // Σ w over weighted rows
	box          box.Box   // bounds the rows added (as rff.Sketch's)
	works        []*work   // buffers kept between calls
}

// NewSketch returns an empty 1-bit sketch over the frequencies f, using the
// default kernel. Frequencies without dither are refused (ErrNoDither).
func NewSketch(f *rff.Frequencies) (*Sketch, error) {
	p, err := newPlan(f)
	if err != nil {
		return nil, err
	}
	return newSketch(p, kernels[0]), nil
}

func newSketch(p *plan, k kernel) *Sketch {
	m := p.m
	return &Sketch{p: p, k: k, cntC: make([]int64, m), cntS: make([]int64, m),
		onesC: make([]float64, m), onesS: make([]float64, m)}
}

// SetKernel selects the implementation by name ("auto" or one of
// Kernels()). Every kernel computes the same bits, so the sketch does not
// depend on it; this exists for benchmarks and cross-checks.
func (s *Sketch) SetKernel(name string) error {
	k, ok := lookupKernel(name)
	if !ok {
		return fmt.Errorf("quant: kernel %q not usable here (have %v)", name, Kernels())
	}
	s.k = k
	return nil
}

// Kernel is the name of the kernel in use.
func (s *Sketch) Kernel() string { return s.k.name }

// Frequencies returns the frequencies the sketch is made with.
func (s *Sketch) Frequencies() *rff.Frequencies { return s.p.f }

// Rows is the number of rows added; Weight is Σ w_i (1 for each row added
// without weights).
func (s *Sketch) Rows() int64     { return s.rows }
func (s *Sketch) Weight() float64 { return float64(s.urows) + s.wsum }

// Counts returns the exact part of the sketch: for the rows added without
// weights, how many had a +1 cos bit and a +1 sin bit at each frequency, and
// how many such rows there were.
func (s *Sketch) Counts() (cos, sin []int64, rows int64) {
	return append([]int64(nil), s.cntC...), append([]int64(nil), s.cntS...), s.urows
}

// Sums returns Σ_i w_i sign(cos(ω_jᵀx_i + ξ_j)) and Σ_i w_i sign(sin(·)),
// the unnormalised quantized sketch.
func (s *Sketch) Sums() (re, im []float64) {
	m := s.p.m
	re, im = make([]float64, m), make([]float64, m)
	for j := range m {
		// ones − zeros, with zeros = Σw − ones ≥ 0 (no overflow, no sign
		// slip): exact in the counts, one rounding in the weighted part.
		re[j] = float64(2*s.cntC[j]-s.urows) + (s.onesC[j] - (s.wsum - s.onesC[j]))
		im[j] = float64(2*s.cntS[j]-s.urows) + (s.onesS[j] - (s.wsum - s.onesS[j]))
	}
	return re, im
}

// Z returns the mean quantized sketch, Sums / Weight: each part in [−1, 1],
// and in expectation FirstHarmonic times the smooth sketch (plus the
// higher harmonics, which the dither turns into noise). An empty sketch
// gives NaNs.
func (s *Sketch) Z() (re, im []float64) {
	re, im = s.Sums()
	w := s.Weight()
	for j := range re {
		re[j] /= w
		im[j] /= w
	}
	return re, im
}

// Smooth returns the estimate of the smooth (complex-exponential) sketch
// that the 1-bit sketch carries: its sums divided by FirstHarmonic, with
// the same weight, rows and frequencies. Decoders made for rff sketches run
// on it unchanged (solver.KMeans on it is quantized compressive k-means,
// QCKM). The result is an independent rff.Sketch; it can Merge with other
// Smooth estimates, but mixing it with exact rff sketches mixes two noise
// levels.
func (s *Sketch) Smooth() *rff.Sketch {
	re, im := s.Sums()
	for j := range re {
		re[j] /= FirstHarmonic
		im[j] /= FirstHarmonic
	}
	r, err := rff.NewSketchFromSums(s.p.f, re, im, s.Weight(), s.rows)
	if err == nil && s.box.Known() {
		err = r.SetBox(s.box.Lo, s.box.Hi)
	}
	if err != nil { // sums are bounded by the weight, which is finite
		panic("quant: internal error: " + err.Error())
	}
	return r
}

// Box returns copies of the per-dimension minimum and maximum of the rows
// added, and false when unknown (no rows yet, or rows added as codes,
// which do not reveal them).
func (s *Sketch) Box() (lo, hi []float64, ok bool) {
	b := s.box.Clone()
	return b.Lo, b.Hi, b.Known()
}

// SetBox records the bounding box of the data (e.g. for a sketch summed
// from codes): D finite values each, lo ≤ hi.
func (s *Sketch) SetBox(lo, hi []float64) error {
	b := box.Box{Lo: lo, Hi: hi}
	if err := box.Check(b, s.p.d); err != nil {
		return fmt.Errorf("quant: %w", err)
	}
	s.box = b.Clone()
	return nil
}

// Reset empties the sketch, keeping its frequencies and kernel.
func (s *Sketch) Reset() {
	clear(s.cntC)
	clear(s.cntS)
	clear(s.onesC)
	clear(s.onesS)
	s.urows, s.rows, s.wsum = 0, 0, 0
	s.box = box.Box{}
}

// Clone returns an independent copy.
func (s *Sketch) Clone() *Sketch {
	c := *s
	c.works = nil
	c.cntC = append([]int64(nil), s.cntC...)
	c.cntS = append([]int64(nil), s.cntS...)
	c.onesC = append([]float64(nil), s.onesC...)
	c.onesS = append([]float64(nil), s.onesS...)
	c.box = s.box.Clone()
	return &c
}

// Merge adds o into s. Both must use the same frequencies (same
// fingerprint), otherwise the error wraps rff.ErrMismatch; if the weights
// would sum beyond the float64 range it is an error too. On error s is
// unchanged.
func (s *Sketch) Merge(o *Sketch) error {
	if s.p.fp != o.p.fp {
		return fmt.Errorf("%w: fingerprint %016x vs %016x", rff.ErrMismatch, s.p.fp, o.p.fp)
	}
	if math.IsInf(s.wsum+o.wsum, 0) {
		return fmt.Errorf("quant: merged weight %v + %v overflows float64", s.wsum, o.wsum)
	}
	for j := range s.cntC {
		s.cntC[j] += o.cntC[j]
		s.cntS[j] += o.cntS[j]
		s.onesC[j] += o.onesC[j]
		s.onesS[j] += o.onesS[j]
	}
	s.box = box.Merge(s.box, s.rows, o.box, o.rows)
	s.wsum += o.wsum
	s.urows += o.urows
	s.rows += o.rows
	return nil
}

// AddF32 adds the rows of x (row-major, len(x) = n·D) with weights w (nil
// means unweighted, counted exactly; else n finite non-negative values).
// On error (a *RowError for a bad value or weight) nothing is added.
//
// Rows whose phases could exceed 2¹⁰ turns are computed in float64 (see
// the precision notes in the package documentation); float64 rows with a
// phase beyond 2³² turns are refused.
func (s *Sketch) AddF32(x, w []float32) error { return addRows(s, x, w) }

// AddF64 is AddF32 for float64 rows.
func (s *Sketch) AddF64(x, w []float64) error { return addRows(s, x, w) }

// AddParallelF32 is AddF32 with the rows split over `workers` goroutines
// (≤ 0 means GOMAXPROCS). The block is cut into chunks whose size depends
// only on the number of rows, and the chunks' sums are added in row order:
// the result is identical for any number of workers (and, without weights,
// identical to AddF32's).
func (s *Sketch) AddParallelF32(x, w []float32, workers int) error {
	return addParallel(s, x, w, workers)
}

// AddParallelF64 is AddParallelF32 for float64 rows.
func (s *Sketch) AddParallelF64(x, w []float64, workers int) error {
	return addParallel(s, x, w, workers)
}

// blockRows is the number of rows per kernel call: a block of x stays in
// cache while the kernel sweeps the frequency blocks over it.
const blockRows = 256

// work is one accumulation's buffers and result (one per parallel chunk).
type work struct {
	cc, cs       []uint32  // kernel counters, length mp
	code         []uint64  // codes of one kernel call
	row          []float64 // a float32 row widened
	cntC, cntS   []int64   // length m
	onesC, onesS []float64 // length 32·words ≥ mp: padding stays 0
	sumW         float64
	box          box.Box
	err          error
}

func (s *Sketch) work(i int) *work {
	for len(s.works) <= i {
		s.works = append(s.works, new(work))
	}
	wk := s.works[i]
	p := s.p
	if len(wk.cntC) != p.m {
		*wk = work{cc: make([]uint32, p.mp), cs: make([]uint32, p.mp), row: make([]float64, p.d),
			cntC: make([]int64, p.m), cntS: make([]int64, p.m),
			onesC: make([]float64, 2*blockFreqs*p.words), onesS: make([]float64, 2*blockFreqs*p.words)}
	}
	clear(wk.cntC)
	clear(wk.cntS)
	clear(wk.onesC)
	clear(wk.onesS)
	wk.sumW, wk.err = 0, nil
	return wk
}

// commit adds a finished work into the sketch.
func (s *Sketch) commit(wk *work, weighted bool) {
	if !weighted {
		for j := range s.cntC {
			s.cntC[j] += wk.cntC[j]
			s.cntS[j] += wk.cntS[j]
		}
		return
	}
	for j := range s.onesC { // the first m
		s.onesC[j] += wk.onesC[j]
		s.onesS[j] += wk.onesS[j]
	}
	s.wsum += wk.sumW
}

func addRows[T float](s *Sketch, x, w []T) error {
	n, err := s.p.rowShape(len(x), len(w), w != nil)
	if err != nil {
		return err
	}
	wide, sumW, err := scan(s.p, x, w, 0)
	if err != nil {
		return err
	}
	if w != nil && math.IsInf(s.wsum+sumW, 0) {
		return fmt.Errorf("quant: total weight overflows float64")
	}
	wk := s.work(0)
	accumulate(s.k, s.p, x, w, wide, wk)
	wk.sumW = sumW
	s.commit(wk, w != nil)
	s.box.Extend(box.Of(x, s.p.d), s.rows > 0)
	s.count(int64(n), w != nil)
	return nil
}

func (s *Sketch) count(n int64, weighted bool) {
	s.rows += n
	if !weighted {
		s.urows += n
	}
}

// parallelChunk is the chunk size for n rows: about 32 chunks, each a
// multiple of 64 rows.
func parallelChunk(n int) int {
	const maxChunks, align = 32, 64
	c := (n + maxChunks - 1) / maxChunks
	return max(align, (c+align-1)/align*align)
}

func addParallel[T float](s *Sketch, x, w []T, workers int) error {
	n, err := s.p.rowShape(len(x), len(w), w != nil)
	if err != nil {
		return err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := parallelChunk(n)
	nc := (n + chunk - 1) / chunk
	workers = max(1, min(workers, nc))
	d := s.p.d
	wks := make([]*work, nc)
	for k := range wks {
		wks[k] = s.work(k)
	}
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			// Chunks are taken in increasing order, so every chunk before
			// a failing one has been taken and finishes: the first error
			// in row order is always found.
			for !failed.Load() {
				k := int(next.Add(1) - 1)
				if k >= nc {
					return
				}
				lo, hi := k*chunk, min(n, (k+1)*chunk)
				var wc []T
				if w != nil {
					wc = w[lo:hi]
				}
				wk := wks[k]
				xc := x[lo*d : hi*d]
				wide, sumW, err := scan(s.p, xc, wc, lo)
				if err != nil {
					wk.err = err
					failed.Store(true)
					continue
				}
				accumulate(s.k, s.p, xc, wc, wide, wk)
				wk.sumW = sumW
				wk.box = box.Of(xc, d)
			}
		})
	}
	wg.Wait()
	sumW := s.wsum
	for _, wk := range wks {
		if wk.err != nil {
			return wk.err
		}
		sumW += wk.sumW
	}
	if math.IsInf(sumW, 0) {
		return fmt.Errorf("quant: total weight overflows float64")
	}
	for _, wk := range wks {
		s.commit(wk, w != nil)
		s.box.Extend(wk.box, s.rows > 0)
	}
	s.count(int64(n), w != nil)
	return nil
}

// accumulate adds the rows of x, already scanned (wide lists the float32
// rows that take the float64 kernel), into wk: counts if w is nil, weighted
// sums of the +1 bits otherwise.
func accumulate[T float](k kernel, p *plan, x, w []T, wide []int, wk *work) {
	d := p.d
	n := len(x) / d
	if w != nil && len(wk.code) < blockRows*p.words {
		wk.code = make([]uint64, blockRows*p.words)
	}
	pending := 0 // rows in wk.cc, wk.cs not yet flushed (uint32 counters)
	flush := func() {
		for j := range p.m {
			wk.cntC[j] += int64(wk.cc[j])
			wk.cntS[j] += int64(wk.cs[j])
		}
		clear(wk.cc)
		clear(wk.cs)
		pending = 0
	}
	// one handles rows [lo, hi) of x, in x's precision or (wide) in float64.
	one := func(lo, hi int, wide bool) {
		nr := hi - lo
		if w == nil && pending+nr >= 1<<31 {
			flush()
		}
		var xr []float64
		if wide {
			xr = wk.row
			for c, v := range x[lo*d : hi*d] {
				xr[c] = float64(v)
			}
		}
		if w == nil {
			switch xv := any(x[lo*d : hi*d]).(type) {
			case []float32:
				if wide {
					k.count64(xr, nr, d, p.om64, p.xi64, wk.cc, wk.cs)
				} else {
					k.count32(xv, nr, d, p.om32, p.xi32, wk.cc, wk.cs)
				}
			case []float64:
				k.count64(xv, nr, d, p.om64, p.xi64, wk.cc, wk.cs)
			}
			pending += nr
			return
		}
		code := wk.code[:nr*p.words]
		switch xv := any(x[lo*d : hi*d]).(type) {
		case []float32:
			if wide {
				k.codes64(xr, nr, d, p.om64, p.xi64, code)
			} else {
				k.codes32(xv, nr, d, p.om32, p.xi32, code)
			}
		case []float64:
			k.codes64(xv, nr, d, p.om64, p.xi64, code)
		}
		addWeighted(p, code, w[lo:hi], wk.onesC, wk.onesS)
	}
	i := 0
	for _, r := range append(wide, n) {
		for i < r {
			hi := min(r, i+blockRows)
			one(i, hi, false)
			i = hi
		}
		if r < n {
			one(r, r+1, true)
			i = r + 1
		}
	}
	if w == nil {
		flush()
	}
}
