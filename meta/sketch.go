package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/clkit/clkit/internal/atomicfile"
)

// Sketch is the learned sketch of a data set: Σ_i f(x_i) over its rows
// in float64, and their count, for one Sketch-Network f. Like every clkit
// sketch it is a sum: sketches of parts Merge into the sketch of the
// whole, rows can be Removed as well as Added, and the result does not
// depend on how the rows were split or on the number of goroutines.
type Sketch struct {
	net  *SketchNet[float32]
	fp   uint64
	sum  []float64
	rows int64
	// Sigma is the standard deviation of privacy noise on each entry of
	// the normalised sketch (0 when exact); Privatize sets it, and the
	// Query-Network is told.
	Sigma float64
}

// NewSketch returns an empty sketch for the model's Sketch-Network.
func (m *Model) NewSketch() *Sketch { return newSketch(m.Sketch) }

func newSketch(net *SketchNet[float32]) *Sketch {
	return &Sketch{net: net, fp: net.Fingerprint(), sum: make([]float64, net.M())}
}

// Fingerprint is a 64-bit hash of the network's configuration and every
// bit of its parameters: sketches merge only when theirs agree.
func (s *SketchNet[T]) Fingerprint() uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) { binary.LittleEndian.PutUint64(b[:], v); h.Write(b[:]) }
	c := s.cfg
	for _, v := range []int{c.D, c.M, c.Fourier, c.Moments, c.Cross, c.Quadratic, c.Width, c.Blocks, int(c.Law)} {
		put(uint64(v))
	}
	h.Write([]byte(c.Bound))
	for _, v := range append(append([]float64{c.Clip, c.Sigma}, c.Shift...), c.Scale...) {
		put(math.Float64bits(v))
	}
	for _, blk := range s.Blocks() {
		for _, v := range blk {
			put(math.Float64bits(float64(v)))
		}
	}
	return h.Sum64()
}

// Rows is the number of rows in the sketch.
func (s *Sketch) Rows() int64 { return s.rows }

// Sum returns a copy of Σ_i f(x_i).
func (s *Sketch) Sum() []float64 { return append([]float64(nil), s.sum...) }

// Z returns the normalised sketch (1/n)Σ_i f(x_i) (NaN when empty).
func (s *Sketch) Z() []float64 {
	z := s.Sum()
	for j := range z {
		z[j] /= float64(s.rows)
	}
	return z
}

// addChunk is the number of rows one goroutine evaluates at a time; the
// chunks' sums are added in row order, so the result does not depend on
// the number of workers.
const addChunk = 1024

// Add adds the rows of x (n×D, row-major) on `workers` goroutines (≤ 0:
// GOMAXPROCS). A non-finite value is an error naming its row and column;
// then nothing is added.
func (s *Sketch) Add(x []float64, workers int) error { return s.accumulate(x, workers, 1) }

// Remove subtracts the rows of x, which must have been added before (their
// contributions are recomputed bit for bit, so the sketch returns to what
// it was up to the rounding of the float64 sums).
func (s *Sketch) Remove(x []float64, workers int) error {
	d := s.net.D()
	if int64(len(x)/d) > s.rows {
		return fmt.Errorf("meta: removing %d rows from a sketch of %d", len(x)/d, s.rows)
	}
	return s.accumulate(x, workers, -1)
}

func (s *Sketch) accumulate(x []float64, workers int, sign float64) error {
	d, M := s.net.D(), s.net.M()
	if len(x)%d != 0 {
		return fmt.Errorf("meta: block of %d values is not a whole number of rows of d=%d", len(x), d)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &RowError{Row: i / d, Col: i % d, Msg: fmt.Sprintf("value %v is not finite", v)}
		}
	}
	n := len(x) / d
	nc := (n + addChunk - 1) / addChunk
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sums := make([]float64, nc*M)
	errs := make([]error, nc)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, nc)) {
		wg.Go(func() {
			var w Work[float32]
			for {
				c := int(next.Add(1) - 1)
				if c >= nc {
					return
				}
				lo, hi := c*addChunk, min(n, (c+1)*addChunk)
				f, err := s.net.Forward(&w, x[lo*d:hi*d], hi-lo)
				if err != nil {
					errs[c] = err
					return
				}
				acc := sums[c*M : (c+1)*M]
				for i := range hi - lo {
					for j, v := range f[i*M : (i+1)*M] {
						acc[j] += float64(v)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for c := range nc {
		for j, v := range sums[c*M : (c+1)*M] {
			s.sum[j] += sign * v
		}
	}
	s.rows += int64(sign) * int64(n)
	return nil
}

// Merge adds o into s. Both must come from the same network; otherwise s
// is unchanged and the error wraps ErrMismatch.
func (s *Sketch) Merge(o *Sketch) error {
	if s.fp != o.fp {
		return fmt.Errorf("%w: fingerprint %016x vs %016x", ErrMismatch, s.fp, o.fp)
	}
	if s.Sigma != 0 || o.Sigma != 0 {
		return errors.New("meta: privatized sketches do not merge (release the merged sketch instead)")
	}
	for j, v := range o.sum {
		s.sum[j] += v
	}
	s.rows += o.rows
	return nil
}

// ErrMismatch is returned (wrapped) when sketches of different networks
// meet.
var ErrMismatch = errors.New("meta: sketches of different Sketch-Networks")

// RowError reports a bad input value: its row within the block passed and
// its column.
type RowError struct {
	Row, Col int
	Msg      string
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d, column %d: %s", e.Row, e.Col, e.Msg) }

// The file format, little-endian: magic "CLKMSKCH", version u16, flags
// u16 (bit 0: privatized), D u32, M u32, network fingerprint u64, rows u64,
// sigma f64, M sums f64, CRC-32 (IEEE) of everything before it.
const (
	metaMagic   = "CLKMSKCH"
	metaVersion = 1
	metaHeader  = 8 + 2 + 2 + 4 + 4 + 8 + 8 + 8
)

// MarshalBinary encodes the sketch.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	le := binary.LittleEndian
	b := make([]byte, 0, metaHeader+8*len(s.sum)+4)
	b = append(b, metaMagic...)
	b = le.AppendUint16(b, metaVersion)
	var flags uint16
	if s.Sigma != 0 {
		flags |= 1
	}
	b = le.AppendUint16(b, flags)
	b = le.AppendUint32(b, uint32(s.net.D()))
	b = le.AppendUint32(b, uint32(s.net.M()))
	b = le.AppendUint64(b, s.fp)
	b = le.AppendUint64(b, uint64(s.rows))
	b = le.AppendUint64(b, math.Float64bits(s.Sigma))
	for _, v := range s.sum {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	return le.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalSketch decodes a sketch for the model's network; it refuses one
// made by another network.
func (m *Model) UnmarshalSketch(b []byte) (*Sketch, error) {
	le := binary.LittleEndian
	if len(b) < metaHeader+4 || string(b[:8]) != metaMagic {
		return nil, errors.New("meta: not a learned-sketch file")
	}
	if v := le.Uint16(b[8:]); v != metaVersion {
		return nil, fmt.Errorf("meta: learned-sketch format version %d (this build reads %d)", v, metaVersion)
	}
	d, M := int(le.Uint32(b[12:])), int(le.Uint32(b[16:]))
	if d != m.Sketch.D() || M != m.Sketch.M() {
		return nil, fmt.Errorf("%w: the sketch is of d=%d, m=%d, the model of d=%d, m=%d", ErrMismatch, d, M, m.Sketch.D(), m.Sketch.M())
	}
	if len(b) != metaHeader+8*M+4 {
		return nil, fmt.Errorf("meta: learned-sketch data of %d bytes, want %d", len(b), metaHeader+8*M+4)
	}
	if crc32.ChecksumIEEE(b[:len(b)-4]) != le.Uint32(b[len(b)-4:]) {
		return nil, errors.New("meta: learned-sketch data corrupt (CRC mismatch)")
	}
	s := m.NewSketch()
	if fp := le.Uint64(b[20:]); fp != s.fp {
		return nil, fmt.Errorf("%w: fingerprint %016x, the model's %016x", ErrMismatch, fp, s.fp)
	}
	s.rows = int64(le.Uint64(b[28:]))
	s.Sigma = math.Float64frombits(le.Uint64(b[36:]))
	if s.rows < 0 || !(s.Sigma >= 0) || math.IsInf(s.Sigma, 0) || (le.Uint16(b[10:])&1 == 0) != (s.Sigma == 0) {
		return nil, fmt.Errorf("meta: learned-sketch header: rows %d, sigma %v", s.rows, s.Sigma)
	}
	for j := range s.sum {
		v := math.Float64frombits(le.Uint64(b[metaHeader+8*j:]))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("meta: learned-sketch sum %d is %v", j, v)
		}
		s.sum[j] = v
	}
	return s, nil
}

// WriteFile writes the sketch atomically.
func (s *Sketch) WriteFile(path string) error {
	b, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, b)
}

// ReadSketch reads a sketch file made with the model's network.
func (m *Model) ReadSketch(path string) (*Sketch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(metaHeader+8*m.Sketch.M()+4+1)))
	if err != nil {
		return nil, err
	}
	s, err := m.UnmarshalSketch(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
