package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/clkit/clkit/bench"
	"github.com/clkit/clkit/meta"
	"github.com/clkit/clkit/nn"
	"github.com/clkit/clkit/rff"
)

// metaBenchLine is one measurement of `clkit bench --meta`.
type metaBenchLine struct {
	Sketch     string  `json:"sketch"` // "meta"
	D          int     `json:"d"`
	M          int     `json:"m"`
	Threads    int     `json:"threads"`
	GemmKernel string  `json:"gemm_kernel"`
	RFFKernel  string  `json:"rff_kernel"`
	RowsPerSec float64 `json:"rows_per_sec"`
	GFlops     float64 `json:"gflops"`
	FlopsRow   float64 `json:"flops_per_row"`
}

// benchMeta measures the Sketch-Network's inference (meta.Sketch.Add of a
// block of rows) for the default network at (d, m): rows/s, the median of
// interleaved rounds, and GFLOP/s from its flops per row.
func benchMeta(w io.Writer, d, m int, threads []int, seconds float64, rounds int, asJSON bool) error {
	task, err := meta.NewPCATask(d, min(3, d-1))
	if err != nil {
		return usageError{err}
	}
	mod, err := meta.NewModel(task, meta.SketchConfig{M: m}, meta.QueryConfig{}, 4096, 1)
	if err != nil {
		return usageError{err}
	}
	const n = 8192
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	rates := make([][]float64, len(threads))
	s := mod.NewSketch()
	for range rounds {
		for ti, th := range threads {
			t0, rows := time.Now(), 0
			for time.Since(t0).Seconds() < seconds || rows == 0 {
				if err := s.Add(x, th); err != nil {
					return err
				}
				rows += n
			}
			rates[ti] = append(rates[ti], float64(rows)/time.Since(t0).Seconds())
		}
	}
	fl := mod.Sketch.FlopsPerRow()
	var lines []metaBenchLine
	for ti, th := range threads {
		slices.Sort(rates[ti])
		rps := rates[ti][len(rates[ti])/2]
		lines = append(lines, metaBenchLine{Sketch: "meta", D: d, M: m, Threads: th, GemmKernel: nn.Kernels()[0],
			RFFKernel: rff.DefaultKernel(), RowsPerSec: rps, GFlops: rps * fl / 1e9, FlopsRow: fl})
	}
	if asJSON {
		enc := json.NewEncoder(w)
		for _, l := range lines {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(w, "CPU: %s\nSketch-Network (meta) at d=%d, m=%d: %.0f flops a row; GEMM kernels %s, rff kernels %s\n\n",
		bench.CPU(), d, m, fl, strings.Join(nn.Kernels(), ", "), strings.Join(rff.Kernels(), ", "))
	for _, l := range lines {
		fmt.Fprintf(w, "  %d thread(s): %s rows/s, %.1f GFLOP/s\n", l.Threads, si(l.RowsPerSec), l.GFlops)
	}
	_, err = fmt.Fprintln(w, "\nrows/s: median of rounds, wall clock; CLKIT_NOASM=1 measures the pure-Go kernels.")
	return err
}
