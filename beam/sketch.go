package beamsketch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/clkit/clkit/internal/cli"
	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
)

// Config says which sketch to make. It travels to the workers inside the
// pipeline (as JSON), and the frequencies are regenerated there from Params:
// they are fully determined by them, bit for bit, on every platform.
type Config struct {
	// Params of the frequencies: law, D (the number of columns read), M,
	// Sigma, Seed, NoDither. Every worker draws the same Ω and ξ from them.
	Params rff.Params
	// Quant makes the 1-bit sketch (quant.Sketch) instead of the
	// complex-exponential one (rff.Sketch).
	Quant bool
	// Workers is the number of goroutines that sketch one batch: 0 or 1
	// means one (a cluster runs several bundles at once on each worker
	// machine), < 0 means GOMAXPROCS (for local runners, which may put a
	// stage's few splits in one bundle; with more splits than cores, prism
	// runs bundles in parallel and 1 is as fast). A batch is then cut into
	// parts of 1024 rows, each summed on its own and merged in order: every row
	// meets rff's float32 kernel in the same run of rows as with one
	// goroutine, so the result is the same to float64 rounding (bit for bit
	// for the unweighted 1-bit sketch) whatever Workers and the scheduling.
	// (A float32 row whose phases leave the kernel's fast range, |ω·x+ξ| >
	// 8192, is computed apart and shifts the runs after it within its
	// batch: with such rows the two differ at float32 rounding.)
	Workers int
}

// Validate reports whether c is a configuration Sketch, WriteFile and
// EmptySketch accept: it draws the frequencies (rff.NewFrequencies rejects
// bad Params) and, with Quant, makes a 1-bit sketch of them
// (quant.NewSketch rejects, for one, Params.NoDither). Call it on
// configurations built from user input before building a pipeline: Sketch
// panics on one that Validate rejects.
func (c Config) Validate() error {
	f, err := frequencies(c.Params)
	if err != nil {
		return err
	}
	if c.Quant {
		_, err = quant.NewSketch(f)
	}
	return err
}

// ---- frequencies, cached per worker process ----

var freqCache = struct {
	sync.Mutex
	byParams map[string]*rff.Frequencies
	byFP     map[uint64]*rff.Frequencies
}{byParams: map[string]*rff.Frequencies{}, byFP: map[uint64]*rff.Frequencies{}}

// paramsKey is an exact text form of p (σ by its bits).
func paramsKey(p rff.Params) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d/%d/%d/%d/%t", p.Law, p.D, p.M, p.Seed, p.NoDither)
	for _, s := range p.Sigma {
		sb.WriteByte('/')
		sb.WriteString(strconv.FormatUint(math.Float64bits(s), 16))
	}
	return sb.String()
}

// frequencies returns the frequencies of p, drawn once per process.
func frequencies(p rff.Params) (*rff.Frequencies, error) {
	key := paramsKey(p)
	freqCache.Lock()
	defer freqCache.Unlock()
	if f, ok := freqCache.byParams[key]; ok {
		return f, nil
	}
	f, err := rff.NewFrequencies(p)
	if err != nil {
		return nil, err
	}
	freqCache.byParams[key] = f
	freqCache.byFP[f.Fingerprint()] = f
	return f, nil
}

func cachedByFingerprint(fp uint64) *rff.Frequencies {
	freqCache.Lock()
	defer freqCache.Unlock()
	return freqCache.byFP[fp]
}

func remember(f *rff.Frequencies) {
	freqCache.Lock()
	defer freqCache.Unlock()
	if _, ok := freqCache.byFP[f.Fingerprint()]; !ok {
		freqCache.byFP[f.Fingerprint()] = f
		freqCache.byParams[paramsKey(f.Params())] = f
	}
}

// ---- the accumulator and its coder ----

// Accumulator is the CombineFn's accumulator: one sketch of either kind.
// Between workers it travels in the sketch's own binary format
// (MarshalBinary, with its checksum), prefixed by a kind byte and the
// frequencies' fingerprint, so a worker that has the frequencies already
// reuses them instead of drawing them again.
type Accumulator struct {
	r *rff.Sketch
	q *quant.Sketch
	// parts are scratch sketches for the parts of a batch sketched in
	// parallel (Config.Workers), emptied before each use: never encoded.
	parts []*Accumulator
}

const (
	kindComplex = 'C'
	kindQuant   = 'Q'
)

func newAccumulator(f *rff.Frequencies, quantized bool) (*Accumulator, error) {
	if quantized {
		q, err := quant.NewSketch(f)
		if err != nil {
			return nil, err
		}
		return &Accumulator{q: q}, nil
	}
	return &Accumulator{r: rff.NewSketch(f)}, nil
}

// Rows is the number of rows added.
func (a *Accumulator) Rows() int64 {
	if a.q != nil {
		return a.q.Rows()
	}
	return a.r.Rows()
}

// MarshalBinary is the sketch's file format (rff's or quant's).
func (a *Accumulator) MarshalBinary() ([]byte, error) {
	if a.q != nil {
		return a.q.MarshalBinary()
	}
	return a.r.MarshalBinary()
}

func (a *Accumulator) frequencies() *rff.Frequencies {
	if a.q != nil {
		return a.q.Frequencies()
	}
	return a.r.Frequencies()
}

func (a *Accumulator) merge(o *Accumulator) error {
	switch {
	case a.q != nil && o.q != nil:
		return a.q.Merge(o.q)
	case a.r != nil && o.r != nil:
		return a.r.Merge(o.r)
	}
	return errors.New("clkit: cannot merge a 1-bit sketch with a complex-exponential one")
}

func encodeAccumulator(a *Accumulator) ([]byte, error) {
	body, err := a.MarshalBinary()
	if err != nil {
		return nil, err
	}
	kind := byte(kindComplex)
	if a.q != nil {
		kind = kindQuant
	}
	b := make([]byte, 9, 9+len(body))
	b[0] = kind
	binary.LittleEndian.PutUint64(b[1:], a.frequencies().Fingerprint())
	return append(b, body...), nil
}

func decodeAccumulator(b []byte) (*Accumulator, error) {
	if len(b) < 9 {
		return nil, fmt.Errorf("clkit: accumulator of %d bytes is truncated", len(b))
	}
	f := cachedByFingerprint(binary.LittleEndian.Uint64(b[1:]))
	body := b[9:]
	switch b[0] {
	case kindComplex:
		s := new(rff.Sketch)
		if f != nil {
			s = rff.NewSketch(f) // UnmarshalBinary reuses f
		}
		if err := s.UnmarshalBinary(body); err != nil {
			return nil, fmt.Errorf("clkit: decoding an accumulator: %w", err)
		}
		remember(s.Frequencies())
		return &Accumulator{r: s}, nil
	case kindQuant:
		s := new(quant.Sketch)
		if f != nil {
			var err error
			if s, err = quant.NewSketch(f); err != nil {
				return nil, err
			}
		}
		if err := s.UnmarshalBinary(body); err != nil {
			return nil, fmt.Errorf("clkit: decoding an accumulator: %w", err)
		}
		remember(s.Frequencies())
		return &Accumulator{q: s}, nil
	}
	return nil, fmt.Errorf("clkit: accumulator of unknown kind %q", b[0])
}

// ---- the CombineFn ----

// sketchFn adds batches of rows into a sketch. It holds nothing but its
// configuration (and the frequencies, which that determines): all that is
// summed lives in the accumulator, so a retried bundle cannot count a row
// twice.
type sketchFn struct {
	Cfg  Config
	freq *rff.Frequencies
}

func (fn *sketchFn) Setup() error {
	f, err := frequencies(fn.Cfg.Params)
	fn.freq = f
	return err
}

func (fn *sketchFn) CreateAccumulator() (*Accumulator, error) {
	if fn.freq == nil { // Setup is not called by every runner before every method
		if err := fn.Setup(); err != nil {
			return nil, err
		}
	}
	return newAccumulator(fn.freq, fn.Cfg.Quant)
}

func (fn *sketchFn) AddInput(a *Accumulator, b Batch) (*Accumulator, error) {
	if err := a.add(&b, fn.Cfg.Workers); err != nil {
		return nil, err
	}
	return a, nil
}

func (fn *sketchFn) MergeAccumulators(a, b *Accumulator) (*Accumulator, error) {
	if err := a.merge(b); err != nil {
		return nil, err
	}
	return a, nil
}

// ExtractOutput gives the sketch in its file format (what rff.ReadFile or
// quant.ReadFile read).
func (fn *sketchFn) ExtractOutput(a *Accumulator) ([]byte, error) {
	return a.MarshalBinary()
}

// add sketches the rows of b; a bad value is an error naming the file, the
// source row and the column.
func (a *Accumulator) add(b *Batch, workers int) error {
	d := a.frequencies().D()
	n := b.Rows
	var x32, w32 []float32
	var x64, w64 []float64
	switch {
	case b.X32 != nil && len(b.X32) == n*d && (b.W32 == nil || len(b.W32) == n):
		x32, w32 = b.X32, b.W32
	case b.X64 != nil && len(b.X64) == n*d && (b.W64 == nil || len(b.W64) == n):
		x64, w64 = b.X64, b.W64
	default:
		return fmt.Errorf("%s: rows %d..: a batch of %d rows does not hold %d values a row (d of the sketch)", b.File, b.FirstRow, n, d)
	}
	if workers < 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var err error
	if workers <= 1 || n < 2*partRows {
		err = a.addSerial(x32, w32, x64, w64) // as clkit sketch adds its blocks
	} else {
		err = a.addParts(x32, w32, x64, w64, n, d, workers)
	}
	if err != nil {
		return b.rowError(err)
	}
	return nil
}

// partRows is the size of the parts of a batch sketched in parallel: a
// multiple of the runs of rows that rff's float32 kernels sum in float32
// registers (256), so that parts start where a run would start anyway.
const partRows = 1024

// addParts sketches the parts of a batch with `workers` goroutines, each
// part into its own partial sketch, and merges the partials in order. On
// error nothing is added and the error of the first bad part is returned
// (its row numbered within the batch).
func (a *Accumulator) addParts(x32, w32 []float32, x64, w64 []float64, n, d, workers int) error {
	np := (n + partRows - 1) / partRows
	for len(a.parts) < np {
		p, err := newAccumulator(a.frequencies(), a.q != nil)
		if err != nil {
			return err
		}
		a.parts = append(a.parts, p)
	}
	errs := make([]error, np)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, np) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= np {
					return
				}
				lo, hi := k*partRows, min(n, (k+1)*partRows)
				p := a.parts[k]
				p.reset()
				var err error
				switch {
				case x32 != nil && w32 != nil:
					err = p.addSerial(x32[lo*d:hi*d], w32[lo:hi], nil, nil)
				case x32 != nil:
					err = p.addSerial(x32[lo*d:hi*d], nil, nil, nil)
				case w64 != nil:
					err = p.addSerial(nil, nil, x64[lo*d:hi*d], w64[lo:hi])
				default:
					err = p.addSerial(nil, nil, x64[lo*d:hi*d], nil)
				}
				var re *rff.RowError
				if errors.As(err, &re) {
					e := *re
					e.Row += lo
					err = &e
				}
				errs[k] = err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for _, p := range a.parts[:np] {
		if err := a.merge(p); err != nil {
			return err
		}
	}
	return nil
}

func (a *Accumulator) reset() {
	if a.q != nil {
		a.q.Reset()
	} else {
		a.r.Reset()
	}
}

func (a *Accumulator) addSerial(x32, w32 []float32, x64, w64 []float64) error {
	switch {
	case a.q != nil && x32 != nil:
		return a.q.AddF32(x32, w32)
	case a.q != nil:
		return a.q.AddF64(x64, w64)
	case x32 != nil:
		return a.r.AddF32(x32, w32)
	}
	return a.r.AddF64(x64, w64)
}

// rowError names the file, source row and column of a sketch's RowError.
func (b *Batch) rowError(err error) error { return cli.BlockError(err, &b.Block, b.File, b.Columns) }

// Sketch sums a PCollection of Batch into one sketch: a global Combine
// whose accumulator is the sketch (rff.Sketch, or quant.Sketch with
// cfg.Quant), so runners that lift combiners sketch each bundle's batches
// where they are read and send only the m-entry accumulators over the wire.
// The result is a PCollection holding one []byte, the sketch in its file
// format; it is empty when batches is. The rows of every batch must have
// cfg.Params.D values.
//
// Like beam.Combine, which it calls, Sketch panics when it cannot add the
// transform, here when cfg.Validate fails: that is a programming error,
// since a pipeline is built at once and has no error to return. Validate
// configurations that come from user input first, or use TrySketch.
func Sketch(s beam.Scope, batches beam.PCollection, cfg Config) beam.PCollection {
	out, err := TrySketch(s, batches, cfg)
	if err != nil {
		panic(err)
	}
	return out
}

// TrySketch is Sketch returning an error instead of panicking, as
// beam.TryCombine does: cfg.Validate's, or Beam's.
func TrySketch(s beam.Scope, batches beam.PCollection, cfg Config) (beam.PCollection, error) {
	if err := cfg.Validate(); err != nil {
		return beam.PCollection{}, fmt.Errorf("beamsketch.Sketch: %w", err)
	}
	return beam.TryCombine(s.Scope("clkit.Sketch"), &sketchFn{Cfg: cfg}, batches)
}

// EmptySketch is the file form of a sketch of no rows with cfg's
// frequencies.
func EmptySketch(cfg Config) ([]byte, error) {
	f, err := frequencies(cfg.Params)
	if err != nil {
		return nil, err
	}
	a, err := newAccumulator(f, cfg.Quant)
	if err != nil {
		return nil, err
	}
	return a.MarshalBinary()
}

func init() {
	beam.RegisterCoder(reflect.TypeOf((*Accumulator)(nil)), encodeAccumulator, decodeAccumulator)
	register.Combiner3[*Accumulator, Batch, []byte](&sketchFn{})
}
