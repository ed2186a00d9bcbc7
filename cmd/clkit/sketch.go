package main

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/internal/cli"
	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
	"github.com/spf13/cobra"
)

// accumulator is a sketch being built: the complex-exponential rff.Sketch
// or the 1-bit quant.Sketch.
type accumulator interface {
	add(b *dataio.Block, d int) error
	merge(o accumulator) error
	reset()
	fresh() accumulator // an empty sketch with the same frequencies
	rows() int64
	writeFile(path string) error
}

type rffAcc struct{ s *rff.Sketch }

func (a rffAcc) add(b *dataio.Block, d int) error {
	if b.X32 != nil {
		return a.s.AddF32(b.X32[:b.Rows*d], b.W32)
	}
	return a.s.AddF64(b.X64[:b.Rows*d], b.W64)
}
func (a rffAcc) merge(o accumulator) error   { return a.s.Merge(o.(rffAcc).s) }
func (a rffAcc) reset()                      { a.s.Reset() }
func (a rffAcc) fresh() accumulator          { return rffAcc{rff.NewSketch(a.s.Frequencies())} }
func (a rffAcc) rows() int64                 { return a.s.Rows() }
func (a rffAcc) writeFile(path string) error { return a.s.WriteFile(path) }

// sketchFlags are clkit sketch's options: those it shares with clkit-beam
// sketch, and --threads.
type sketchFlags struct {
	cli.SketchFlags
	threads int
}

func newSketch() *cobra.Command {
	var f sketchFlags
	cmd := &cobra.Command{
		Use:   "sketch [flags] -o OUT.sk INPUT|-",
		Short: "Sketch a data file (Parquet, .npy, CSV, raw floats) in one streaming pass",
		Long: `sketch reads the rows of INPUT (a file, or - for stdin) in blocks and adds
them to a sketch of m random Fourier features, in parallel, with bounded
memory, then writes the sketch file (atomically). The result does not
depend on --threads.

Input format from the extension (.parquet, .npy, .csv, .tsv, .f32, .f64)
unless --format is given (required for stdin; raw floats need --dim).

--sigma auto estimates the kernel scale from the first --sample-rows rows:
the within-cluster variance (EstimateScale; --k, the number of clusters if
known, makes it robust with many clusters) times --sigma-factor. Data
sorted by cluster should be shuffled first, or σ given.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSketch(cmd, args[0], &f) },
	}
	fl := cmd.Flags()
	f.Register(fl)
	fl.IntVar(&f.threads, "threads", 0, "sketching goroutines (0 = all cores)")
	fl.StringVar(&f.Format, "format", "", "parquet, npy, csv, tsv, raw-f32 or raw-f64 (default from the extension)")
	fl.BoolVar(&f.NoHeader, "no-header", false, "the CSV has no header line")
	fl.BoolVar(&f.Quiet, "quiet", false, "no progress bar or summary")
	fl.StringVarP(&f.Out, "output", "o", "", "the sketch file to write (required)")
	return cmd
}

func runSketch(cmd *cobra.Command, input string, f *sketchFlags) error {
	if f.Out == "" {
		return usagef("sketch needs -o OUT.sk")
	}
	if f.M < 1 || f.threads < 0 || f.SampleRows < 100 || !(f.SigmaFactor > 0) {
		return usagef("--m must be ≥ 1, --threads ≥ 0, --sample-rows ≥ 100, --sigma-factor > 0")
	}
	law, ro, err := f.Parse()
	if err != nil {
		return err
	}
	var r dataio.Reader
	if input == "-" {
		if ro.Format == "" {
			return usagef("reading stdin needs --format")
		}
		r, err = dataio.NewReader(cmd.InOrStdin(), "stdin", ro)
	} else {
		r, err = dataio.Open(input, ro)
	}
	if err != nil {
		return err
	}
	defer r.Close()
	d := r.Dim()

	// σ: given, or estimated from the first rows (kept, and sketched first).
	var sample []*dataio.Block
	sigma, err := f.SigmaValues(d, func(limit int) (x []float64, err error) {
		sample, x, err = readSample(r, d, limit)
		return x, err
	})
	if err != nil {
		return err
	}
	freq, err := rff.NewFrequencies(rff.Params{Law: law, D: d, M: f.M, Sigma: sigma, Seed: f.Seed})
	if err != nil {
		return usagef("%v", err)
	}
	acc, err := newAccumulator(freq, f.Quant)
	if err != nil {
		return err
	}
	t0 := time.Now()
	bar := newProgress(cmd.ErrOrStderr(), input, r.Rows(), f.Quiet)
	err = sketchStream(r, input, sample, acc, f.threads, bar.add)
	bar.finish(err == nil)
	if err != nil {
		return err
	}
	if err := acc.writeFile(f.Out); err != nil {
		return err
	}
	if !f.Quiet {
		el := time.Since(t0).Seconds()
		fmt.Fprintf(cmd.ErrOrStderr(), "clkit: %d rows (%d skipped), d=%d, m=%d, σ=%s → %s in %.2f s (%.3gM rows/s)\n",
			acc.rows(), r.Skipped(), d, f.M, floats(sigma), f.Out, el, float64(acc.rows())/el/1e6)
	}
	return nil
}

// readSample reads whole blocks until it has at least limit rows (or the
// input ends), for the σ estimate; it returns the blocks read, to be
// sketched before the rest, and their rows as float64.
func readSample(r dataio.Reader, d, limit int) ([]*dataio.Block, []float64, error) {
	var blocks []*dataio.Block
	var x []float64
	for len(x) < limit*d {
		b := new(dataio.Block)
		err := r.Next(b)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		blocks = append(blocks, b)
		if b.X32 != nil {
			for _, v := range b.X32[:b.Rows*d] {
				x = append(x, float64(v))
			}
		} else {
			x = append(x, b.X64[:b.Rows*d]...)
		}
	}
	return blocks, x, nil
}

// sketchStream adds every row of r (after the already read blocks first)
// into acc with the given number of goroutines. Each block is sketched
// into its own partial sketch and the partials are merged in block order,
// so the result is the same for any number of goroutines. At most a few
// blocks per goroutine are in memory. The first error in row order wins.
func sketchStream(r dataio.Reader, name string, first []*dataio.Block, acc accumulator, threads int, progress func(rows int)) error {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	d := r.Dim()
	type job struct {
		seq  int
		blk  *dataio.Block
		part accumulator
		err  error
	}
	type readEnd struct {
		blocks int
		err    error
	}
	inFlight := 2*threads + 2
	free := make(chan *dataio.Block, inFlight)
	for range inFlight {
		free <- new(dataio.Block)
	}
	parts := make(chan accumulator, inFlight+len(first))
	for range cap(parts) {
		parts <- acc.fresh()
	}
	jobs := make(chan job, inFlight)
	done := make(chan job, inFlight)
	stop := make(chan struct{})
	ended := make(chan readEnd, 1)

	go func() { // reader: blocks in order, numbered
		defer close(jobs)
		seq := 0
		send := func(b *dataio.Block) bool {
			select {
			case jobs <- job{seq: seq, blk: b}:
				seq++
				return true
			case <-stop:
				return false
			}
		}
		for _, b := range first {
			if !send(b) {
				return
			}
		}
		for {
			var b *dataio.Block
			select {
			case b = <-free:
			case <-stop:
				return
			}
			if err := r.Next(b); err != nil {
				if err == io.EOF {
					err = nil
				}
				ended <- readEnd{seq, err}
				return
			}
			if !send(b) {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range threads { // sketchers
		wg.Go(func() {
			for j := range jobs {
				j.part = <-parts
				j.part.reset()
				j.err = j.part.add(j.blk, d)
				done <- j
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	// On return, stop the reader and let the sketchers drain.
	defer func() {
		close(stop)
		go func() {
			for range done {
			}
		}()
	}()

	pending := map[int]job{}
	total, next := -1, 0
	var readErr error
	for total < 0 || next < total {
		j, ok := pending[next]
		if !ok {
			select {
			case j := <-done:
				pending[j.seq] = j
			case e := <-ended:
				total, readErr = e.blocks, e.err
			}
			continue
		}
		delete(pending, next)
		next++
		if j.err != nil {
			return cli.BlockError(j.err, j.blk, name, r.Columns())
		}
		if err := acc.merge(j.part); err != nil {
			return err
		}
		progress(j.blk.Rows)
		parts <- j.part
		select {
		case free <- j.blk:
		default: // one of the σ sample's blocks, beyond the pool
		}
	}
	return readErr
}

func newAccumulator(f *rff.Frequencies, quantized bool) (accumulator, error) {
	if quantized {
		q, err := quant.NewSketch(f)
		return quantAcc{q}, err
	}
	return rffAcc{rff.NewSketch(f)}, nil
}

type quantAcc struct{ s *quant.Sketch }

func (a quantAcc) add(b *dataio.Block, d int) error {
	if b.X32 != nil {
		return a.s.AddF32(b.X32[:b.Rows*d], b.W32)
	}
	return a.s.AddF64(b.X64[:b.Rows*d], b.W64)
}
func (a quantAcc) merge(o accumulator) error   { return a.s.Merge(o.(quantAcc).s) }
func (a quantAcc) reset()                      { a.s.Reset() }
func (a quantAcc) rows() int64                 { return a.s.Rows() }
func (a quantAcc) writeFile(path string) error { return a.s.WriteFile(path) }
func (a quantAcc) fresh() accumulator {
	q, _ := quant.NewSketch(a.s.Frequencies()) // accepted once already
	return quantAcc{q}
}
