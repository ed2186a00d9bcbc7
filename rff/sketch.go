package rff

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/clkit/clkit/internal/box"
)

// Sketch accumulates Σ_i w_i Φ(x_i) with Φ(x)_j = exp(i(ω_jᵀx + ξ_j)),
// kept as float64 sums of the cos and sin parts, together with Σ_i w_i and
// the row count. Its normalised value is
//
//	z_j = Σ_i w_i exp(i(ω_jᵀx_i + ξ_j)) / Σ_i w_i      (no 1/√m factor).
//
// A Sketch is a sum, so sketches of disjoint parts of a data set Merge into
// the sketch of the whole. Methods are not safe for concurrent use; use
// AddParallelF32/F64, or one Sketch per goroutine and Merge.
type Sketch struct {
	freq       *Frequencies
	k          kernel
	sumC, sumS []float64 // length freq.mp; entries past M are padding
	sumW       float64
	rows       int64
	// box bounds every row added (empty until the first row, or when
	// unknown: NewSketchFromSums, files without one). The decoders search
	// centroids inside it, and like the sums it merges.
	box     box.Box
	scratch []float64 // AddParallel's chunk sums, kept between calls
}

// NewSketch returns an empty sketch over the frequencies f, using the
// default kernel.
func NewSketch(f *Frequencies) *Sketch {
	return &Sketch{freq: f, k: kernels[0], sumC: make([]float64, f.mp), sumS: make([]float64, f.mp)}
}

// NewSketchFromSums builds a sketch over f from sums Σ w·cos, Σ w·sin
// (length M each), the total weight and the row count: for sketches whose
// sums were made or changed elsewhere (noise added for privacy, another
// implementation). Values must be finite and weight non-negative.
func NewSketchFromSums(f *Frequencies, sumRe, sumIm []float64, weight float64, rows int64) (*Sketch, error) {
	m := f.p.M
	if len(sumRe) != m || len(sumIm) != m {
		return nil, fmt.Errorf("rff: %d and %d sums for m=%d frequencies", len(sumRe), len(sumIm), m)
	}
	if !(weight >= 0) || math.IsInf(weight, 0) || rows < 0 {
		return nil, fmt.Errorf("rff: weight %v and rows %d must be finite and non-negative", weight, rows)
	}
	s := NewSketch(f)
	for j := range m {
		if math.IsNaN(sumRe[j]+sumIm[j]) || math.IsInf(sumRe[j], 0) || math.IsInf(sumIm[j], 0) {
			return nil, fmt.Errorf("rff: sum %d is not finite", j)
		}
	}
	copy(s.sumC, sumRe)
	copy(s.sumS, sumIm)
	s.sumW, s.rows = weight, rows
	return s, nil
}

// SetKernel selects the implementation by name ("auto" or one of
// Kernels()). All kernels compute the same sketch to within their stated
// accuracy; this exists for benchmarks and cross-checks.
func (s *Sketch) SetKernel(name string) error {
	k, ok := lookupKernel(name)
	if !ok {
		return fmt.Errorf("rff: kernel %q not usable here (have %v)", name, Kernels())
	}
	s.k = k
	return nil
}

// Kernel is the name of the kernel in use.
func (s *Sketch) Kernel() string { return s.k.name }

// Frequencies returns the frequencies the sketch is made with.
func (s *Sketch) Frequencies() *Frequencies { return s.freq }

// Rows is the number of rows added; Weight is Σ w_i.
func (s *Sketch) Rows() int64     { return s.rows }
func (s *Sketch) Weight() float64 { return s.sumW }

// Sums returns copies of the unnormalised sums Σ w_i cos(·) and Σ w_i sin(·).
func (s *Sketch) Sums() (re, im []float64) {
	m := s.freq.p.M
	return append([]float64(nil), s.sumC[:m]...), append([]float64(nil), s.sumS[:m]...)
}

// Z returns the normalised sketch (cos part, sin part). An empty sketch
// (Σw = 0) gives NaNs.
func (s *Sketch) Z() (re, im []float64) {
	re, im = s.Sums()
	for j := range re {
		re[j] /= s.sumW
		im[j] /= s.sumW
	}
	return re, im
}

// Complex returns z as complex numbers.
func (s *Sketch) Complex() []complex128 {
	re, im := s.Z()
	z := make([]complex128, len(re))
	for j := range z {
		z[j] = complex(re[j], im[j])
	}
	return z
}

// Reset empties the sketch, keeping its frequencies and kernel.
func (s *Sketch) Reset() {
	clear(s.sumC)
	clear(s.sumS)
	s.sumW, s.rows = 0, 0
	s.box = box.Box{}
}

// Box returns copies of the per-dimension minimum and maximum of the rows
// added, and false when unknown (no rows yet, or a sketch built from sums
// or read from a file without a box).
func (s *Sketch) Box() (lo, hi []float64, ok bool) {
	b := s.box.Clone()
	return b.Lo, b.Hi, b.Known()
}

// SetBox records the bounding box of the data (e.g. for a sketch made
// with NewSketchFromSums). lo and hi must have D finite values, lo ≤ hi.
func (s *Sketch) SetBox(lo, hi []float64) error {
	b := box.Box{Lo: lo, Hi: hi}
	if err := box.Check(b, s.freq.p.D); err != nil {
		return fmt.Errorf("rff: %w", err)
	}
	s.box = b.Clone()
	return nil
}

// Clone returns an independent copy.
func (s *Sketch) Clone() *Sketch {
	c := *s
	c.scratch = nil
	c.sumC = append([]float64(nil), s.sumC...)
	c.sumS = append([]float64(nil), s.sumS...)
	c.box = s.box.Clone()
	return &c
}

// Merge adds o into s. Both must use the same frequencies (same
// fingerprint); otherwise the error wraps ErrMismatch and s is unchanged.
// The boxes are united; if either is unknown while the other sketch has
// rows, the result's box is unknown.
func (s *Sketch) Merge(o *Sketch) error {
	if s.freq.fp != o.freq.fp {
		return fmt.Errorf("%w: fingerprint %016x vs %016x", ErrMismatch, s.freq.fp, o.freq.fp)
	}
	for j := range s.sumC {
		s.sumC[j] += o.sumC[j]
		s.sumS[j] += o.sumS[j]
	}
	s.box = box.Merge(s.box, s.rows, o.box, o.rows)
	s.sumW += o.sumW
	s.rows += o.rows
	return nil
}

// RowError reports bad input: the row (0-based, within the block passed to
// Add) and column, and what is wrong. Callers reading files add the file
// name and the block's offset. Package quant reports its bad rows with it
// too, so the message names no package.
type RowError struct {
	Row, Col int // Col is -1 for a weight
	Msg      string
}

func (e *RowError) Error() string {
	if e.Col < 0 {
		return fmt.Sprintf("row %d: weight %s", e.Row, e.Msg)
	}
	return fmt.Sprintf("row %d, column %d: %s", e.Row, e.Col, e.Msg)
}

type float interface{ ~float32 | ~float64 }

// AddF32 adds the rows of x (row-major, len(x) = n·D) with weights w (nil
// means all 1; else n finite non-negative values). On error nothing is
// added.
func (s *Sketch) AddF32(x, w []float32) error { return addRows(s, x, w) }

// AddF64 is AddF32 for float64 rows.
func (s *Sketch) AddF64(x, w []float64) error { return addRows(s, x, w) }

// AddParallelF32 is AddF32 with the rows split over `workers` goroutines
// (≤ 0 means GOMAXPROCS). The block is cut into chunks whose size depends
// only on the number of rows; workers take chunks as they free up (a
// stalled core holds up no one), each chunk is summed on its own, and the
// chunk sums are added in row order: the result is bit-identical for any
// number of workers.
func (s *Sketch) AddParallelF32(x, w []float32, workers int) error {
	return addParallel(s, x, w, workers)
}

// AddParallelF64 is AddParallelF32 for float64 rows.
func (s *Sketch) AddParallelF64(x, w []float64, workers int) error {
	return addParallel(s, x, w, workers)
}

func checkShape[T float](s *Sketch, x, w []T) (int, error) {
	d := s.freq.p.D
	if len(x)%d != 0 {
		return 0, fmt.Errorf("rff: block of %d values is not a whole number of rows of d=%d", len(x), d)
	}
	n := len(x) / d
	if w != nil && len(w) != n {
		return 0, fmt.Errorf("rff: %d weights for %d rows", len(w), n)
	}
	return n, nil
}

func addRows[T float](s *Sketch, x, w []T) error {
	n, err := checkShape(s, x, w)
	if err != nil {
		return err
	}
	sw, err := accumulate(s.k, s.freq, x, w, 0, s.sumC, s.sumS)
	if err != nil {
		return err
	}
	s.box.Extend(box.Of(x, s.freq.p.D), s.rows > 0)
	s.sumW += sw
	s.rows += int64(n)
	return nil
}

// parallelChunk is the chunk size for n rows: about 32 chunks, each a
// multiple of 64 rows.
func parallelChunk(n int) int {
	const maxChunks, align = 32, 64
	c := (n + maxChunks - 1) / maxChunks
	return max(align, (c+align-1)/align*align)
}

func addParallel[T float](s *Sketch, x, w []T, workers int) error {
	n, err := checkShape(s, x, w)
	if err != nil {
		return err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := parallelChunk(n)
	nc := (n + chunk - 1) / chunk
	workers = max(1, min(workers, nc))
	d, mp := s.freq.p.D, s.freq.mp
	if cap(s.scratch) < 2*mp*nc {
		s.scratch = make([]float64, 2*mp*nc)
	}
	sums := s.scratch[:2*mp*nc] // chunk k: cos at [2k·mp, (2k+1)·mp), then sin
	clear(sums)
	sumW := make([]float64, nc)
	boxes := make([]box.Box, nc)
	errs := make([]error, nc)
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
				var wk []T
				if w != nil {
					wk = w[lo:hi]
				}
				c := sums[2*k*mp : (2*k+1)*mp]
				sn := sums[(2*k+1)*mp : (2*k+2)*mp]
				if sumW[k], errs[k] = accumulate(s.k, s.freq, x[lo*d:hi*d], wk, lo, c, sn); errs[k] != nil {
					failed.Store(true)
				} else {
					boxes[k] = box.Of(x[lo*d:hi*d], d)
				}
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	for k := range nc {
		c, sn := sums[2*k*mp:(2*k+1)*mp], sums[(2*k+1)*mp:(2*k+2)*mp]
		for j := range s.sumC {
			s.sumC[j] += c[j]
			s.sumS[j] += sn[j]
		}
		s.sumW += sumW[k]
		s.box.Extend(boxes[k], s.rows > 0)
	}
	s.rows += int64(n)
	return nil
}

var (
	ones32 [maxBlockRows]float32
	ones64 [maxBlockRows]float64
)

func init() {
	for i := range ones32 {
		ones32[i], ones64[i] = 1, 1
	}
}

// accumulate adds rows x (weights w, nil = 1) into c, s and returns Σw.
// It first checks every value (an error names row rowBase+i), so c and s
// are untouched on error, and marks the rows whose phases may exceed the
// fast kernels' range; those go through the exact float64 path.
func accumulate[T float](k kernel, f *Frequencies, x, w []T, rowBase int, c, s []float64) (float64, error) {
	d := f.p.D
	n := len(x) / d
	colMax, limit := f.colMax, float64(fastLimit64)
	if _, ok := any(x).([]float32); ok {
		colMax, limit = f.colMax32, fastLimit32
	}
	var slow []int
	sumW := float64(n)
	if w != nil {
		sumW = 0
	}
	colMax = colMax[:d]
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		// A bound on every phase of the row; NaN or ±Inf anywhere in the
		// row makes it NaN or +Inf, so the finiteness check costs nothing
		// on good rows.
		bound := 2 * math.Pi
		for j, v := range row {
			bound += math.Abs(float64(v)) * colMax[j]
		}
		if !(bound <= limit) {
			for j, v := range row {
				if a := math.Abs(float64(v)); a > math.MaxFloat64 || a != a {
					return 0, &RowError{Row: rowBase + i, Col: j, Msg: fmt.Sprintf("value %v is not finite", v)}
				}
			}
			if math.IsInf(bound, 0) {
				return 0, &RowError{Row: rowBase + i, Col: 0, Msg: "phase ω·x overflows float64"}
			}
			slow = append(slow, i)
		}
		if w != nil {
			wi := float64(w[i])
			if !(wi >= 0) || wi > math.MaxFloat64 {
				return 0, &RowError{Row: rowBase + i, Col: -1, Msg: fmt.Sprintf("%v is not finite and non-negative", w[i])}
			}
			sumW += wi
		}
	}
	// Fast runs between slow rows, in blocks of at most maxBlockRows.
	i := 0
	for _, r := range append(slow, n) {
		for i < r {
			hi := min(r, i+maxBlockRows)
			runKernel(k, f, x[i*d:hi*d], weights(w, i, hi), c, s)
			i = hi
		}
		if r < n {
			wr := 1.0
			if w != nil {
				wr = float64(w[r])
			}
			exactRow(f, x[r*d:(r+1)*d], wr, c, s)
			i = r + 1
		}
	}
	return sumW, nil
}

func weights[T float](w []T, lo, hi int) []T {
	if w != nil {
		return w[lo:hi]
	}
	switch any(w).(type) {
	case []float32:
		return any(ones32[:hi-lo]).([]T)
	default:
		return any(ones64[:hi-lo]).([]T)
	}
}

func runKernel[T float](k kernel, f *Frequencies, x, w []T, c, s []float64) {
	switch xv := any(x).(type) {
	case []float32:
		k.f32(xv, any(w).([]float32), f.p.D, f.om32, f.xi32, c, s)
	case []float64:
		k.f64(xv, any(w).([]float64), f.p.D, f.om64, f.xi64, c, s)
	}
}

// exactRow adds one row in float64 with math.Sincos, which reduces phases of
// any finite size correctly: the path for rows beyond the fast range.
func exactRow[T float](f *Frequencies, x []T, w float64, c, s []float64) {
	d := f.p.D
	for j := 0; j < f.p.M; j++ {
		om := f.omega[j*d : (j+1)*d]
		t := f.xi[j]
		for k, v := range x {
			t += float64(v) * om[k]
		}
		sn, cs := math.Sincos(t)
		c[j] += w * cs
		s[j] += w * sn
	}
}
