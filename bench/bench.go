package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
	"github.com/klauspost/cpuid/v2"
)

// Shape is a (d, m) pair: input dimension and number of frequencies.
type Shape struct{ D, M int }

// Config selects the measurements. Every combination of its lists is
// measured; "naive" may appear among Kernels.
type Config struct {
	Shapes  []Shape
	DTypes  []string // "f32", "f64"
	Threads []int
	Kernels []string // names from rff.Kernels() (quant.Kernels() if Quant), or "naive"
	Seconds float64  // wall-clock time per measurement, over all rounds
	Rounds  int      // interleaved rounds; the reported rate is their median
	Seed    uint64
	// Quant measures the 1-bit sketch (quant.Sketch, unweighted rows:
	// phase, two sign bits and exact counts per row and frequency) instead
	// of the smooth one; "naive" is then NaiveQuant.
	Quant bool
}

// DefaultShapes are the shapes of the project's speed targets.
var DefaultShapes = []Shape{{2, 1000}, {10, 1000}, {64, 2048}}

// DefaultConfig measures every usable kernel and the naive loop on the
// default shapes, float32 and float64, one and two threads.
func DefaultConfig() Config {
	return Config{
		Shapes:  DefaultShapes,
		DTypes:  []string{"f32", "f64"},
		Threads: []int{1, 2},
		Kernels: append(rff.Kernels(), "naive"),
		Seconds: 1,
		Rounds:  5,
		Seed:    1,
	}
}

// DefaultQuantConfig is DefaultConfig for the 1-bit sketch: quant's
// kernels and the naive loop.
func DefaultQuantConfig() Config {
	c := DefaultConfig()
	c.Quant = true
	c.Kernels = append(quant.Kernels(), "naive")
	return c
}

// Sketch kinds, in Result.Sketch.
const (
	SketchSmooth = ""      // rff: complex exponential (field omitted in JSON)
	SketchQuant  = "quant" // quant: 1-bit universally quantized
)

// Result is one measurement. The JSON field names are an interface:
// scripts read them.
type Result struct {
	CPU        string    `json:"cpu"`
	Sketch     string    `json:"sketch,omitempty"` // SketchSmooth or SketchQuant
	Kernel     string    `json:"kernel"`
	DType      string    `json:"dtype"`
	D          int       `json:"d"`
	M          int       `json:"m"`
	Threads    int       `json:"threads"`
	RowsPerSec float64   `json:"rows_per_sec"` // median over rounds
	NsPerElem  float64   `json:"ns_per_elem"`  // ns per row·frequency, wall clock
	Rounds     []float64 `json:"rounds_rows_per_sec"`
}

// CPU names the processor (brand string, or the architecture when the CPU
// does not say).
func CPU() string {
	if b := cpuid.CPU.BrandName; b != "" {
		return b
	}
	return runtime.GOARCH
}

// runner processes `rows` rows of its prepared data per call.
type runner struct {
	Result
	run func(rows int)
	max int // rows available
	per int // rows per call, calibrated to ~10 ms
}

func (c Config) validate() error {
	if len(c.Shapes) == 0 || len(c.DTypes) == 0 || len(c.Threads) == 0 || len(c.Kernels) == 0 {
		return fmt.Errorf("bench: nothing to measure")
	}
	if !(c.Seconds > 0) || c.Rounds < 1 {
		return fmt.Errorf("bench: seconds must be > 0 and rounds ≥ 1")
	}
	for _, s := range c.Shapes {
		if s.D < 1 || s.M < 1 || s.D > 4096 || s.M > 1<<20 {
			return fmt.Errorf("bench: shape d=%d m=%d out of range", s.D, s.M)
		}
	}
	for _, t := range c.DTypes {
		if t != "f32" && t != "f64" {
			return fmt.Errorf("bench: dtype %q (want f32 or f64)", t)
		}
	}
	for _, t := range c.Threads {
		if t < 1 || t > 256 {
			return fmt.Errorf("bench: threads %d out of range", t)
		}
	}
	usable := rff.Kernels()
	if c.Quant {
		usable = quant.Kernels()
	}
	for _, k := range c.Kernels {
		if k != "naive" && !slices.Contains(usable, k) {
			return fmt.Errorf("bench: kernel %q not usable on this machine (have %v and naive)", k, usable)
		}
	}
	return nil
}

// Measure runs the configured measurements, calling progress (if not nil)
// after each with its result, and returns them in configuration order.
func Measure(c Config, progress func(Result)) ([]Result, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	var rs []*runner
	for _, sh := range c.Shapes {
		data := newData(sh, c.Seed)
		for _, dt := range c.DTypes {
			for _, th := range c.Threads {
				for _, k := range c.Kernels {
					r, err := newRunner(data, k, dt, th, c.Quant)
					if err != nil {
						return nil, err
					}
					rs = append(rs, r)
				}
			}
		}
	}
	slice := time.Duration(c.Seconds / float64(c.Rounds) * float64(time.Second))
	for round := 0; round < c.Rounds; round++ {
		for _, r := range rs { // interleaved: drift hits every case alike
			if r.per == 0 {
				r.calibrate()
			}
			rows, el := 0, time.Duration(0)
			start := time.Now()
			for el < slice {
				r.run(r.per)
				rows += r.per
				el = time.Since(start)
			}
			r.Rounds = append(r.Rounds, float64(rows)/el.Seconds())
		}
	}
	out := make([]Result, len(rs))
	for i, r := range rs {
		r.RowsPerSec = median(r.Rounds)
		r.NsPerElem = 1e9 / (r.RowsPerSec * float64(r.M))
		out[i] = r.Result
		if progress != nil {
			progress(r.Result)
		}
	}
	return out, nil
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// data is one shape's inputs, shared by all its runners: x ~ N(0, 1) and
// ω ~ N(0, 9/d), so phases have standard deviation 3 (the reference peers'
// data), with a uniform dither.
type data struct {
	sh    Shape
	freq  *rff.Frequencies
	x32   []float32
	x64   []float64
	om32  []float32
	om64  []float64
	nrows int
}

func newData(sh Shape, seed uint64) *data {
	n := max(1<<12, min(1<<16, (1<<22)/sh.D))
	f, err := rff.NewFrequencies(rff.Params{Law: rff.Gaussian, D: sh.D, M: sh.M,
		Sigma: []float64{math.Sqrt(float64(sh.D)) / 3}, Seed: seed})
	if err != nil {
		panic(err) // shapes are validated
	}
	r := rand.New(rand.NewPCG(seed, 17))
	dt := &data{sh: sh, freq: f, nrows: n, x32: make([]float32, n*sh.D), x64: make([]float64, n*sh.D)}
	for i := range dt.x32 {
		dt.x32[i] = float32(r.NormFloat64())
		dt.x64[i] = float64(dt.x32[i])
	}
	dt.om64 = f.OmegaMatrix()
	dt.om32 = make([]float32, len(dt.om64))
	for i, v := range dt.om64 {
		dt.om32[i] = float32(v)
	}
	return dt
}

func newRunner(dt *data, kern, dtype string, threads int, quantized bool) (*runner, error) {
	r := &runner{max: dt.nrows}
	r.Result = Result{CPU: CPU(), Kernel: kern, DType: dtype, D: dt.sh.D, M: dt.sh.M, Threads: threads}
	if quantized {
		r.Sketch = SketchQuant
		return r, quantRunner(r, dt, kern, dtype, threads)
	}
	d := dt.sh.D
	if kern == "naive" {
		c, s := make([]float64, dt.sh.M), make([]float64, dt.sh.M)
		xi := dt.freq.Xi()
		if dtype == "f32" {
			r.run = func(n int) { Naive(dt.x32[:n*d], d, dt.om32, xi, c, s, threads) }
		} else {
			r.run = func(n int) { Naive(dt.x64[:n*d], d, dt.om64, xi, c, s, threads) }
		}
		return r, nil
	}
	sk := rff.NewSketch(dt.freq)
	if err := sk.SetKernel(kern); err != nil {
		return nil, err
	}
	var err error
	if dtype == "f32" {
		r.run = func(n int) { err = sk.AddParallelF32(dt.x32[:n*d], nil, threads) }
	} else {
		r.run = func(n int) { err = sk.AddParallelF64(dt.x64[:n*d], nil, threads) }
	}
	r.run(1)
	return r, err
}

// calibrate picks the rows per call so that one call lasts about 10 ms
// (long enough to hide call and goroutine overheads, short enough for
// many calls per round).
func (r *runner) calibrate() {
	n := 64
	for {
		start := time.Now()
		r.run(n)
		el := time.Since(start)
		if el > 10*time.Millisecond || n >= r.max {
			r.per = n
			return
		}
		n = min(r.max, n*2)
	}
}

// quantRunner sets r.run to add rows to a quant.Sketch (unweighted, so the
// exact counting path) with kernel kern, or to NaiveQuant.
func quantRunner(r *runner, dt *data, kern, dtype string, threads int) error {
	d := dt.sh.D
	if kern == "naive" {
		c, s := make([]int64, dt.sh.M), make([]int64, dt.sh.M)
		xi := dt.freq.Xi()
		if dtype == "f32" {
			r.run = func(n int) { NaiveQuant(dt.x32[:n*d], d, dt.om32, xi, c, s, threads) }
		} else {
			r.run = func(n int) { NaiveQuant(dt.x64[:n*d], d, dt.om64, xi, c, s, threads) }
		}
		return nil
	}
	sk, err := quant.NewSketch(dt.freq)
	if err != nil {
		return err
	}
	if err := sk.SetKernel(kern); err != nil {
		return err
	}
	if dtype == "f32" {
		r.run = func(n int) { err = sk.AddParallelF32(dt.x32[:n*d], nil, threads) }
	} else {
		r.run = func(n int) { err = sk.AddParallelF64(dt.x64[:n*d], nil, threads) }
	}
	r.run(1)
	return err
}
