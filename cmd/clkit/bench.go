package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/clkit/clkit/bench"
	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
	"github.com/spf13/cobra"
)

// benchLine is one JSON line of `clkit bench --json`: the measurement plus
// its ratios to the pure-Go kernel and the naive loop in the same run.
type benchLine struct {
	bench.Result
	Default    bool    `json:"default_kernel"`
	RatioGo    float64 `json:"ratio_go,omitempty"`
	RatioNaive float64 `json:"ratio_naive,omitempty"`
}

func newBench() *cobra.Command {
	var (
		d, m, threads     int
		dtype, kern       string
		seconds           float64
		rounds            int
		asJSON, quantized bool
		metaNet           bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure sketch throughput (rows/s, ns per row·frequency) of each kernel",
		Long: `bench measures the sketch kernels on this machine: rows per second and
nanoseconds per row·frequency, the median of interleaved rounds, with ratios
to the pure-Go kernel and to a naive math.Sincos loop measured in the same
run (machines are noisy: compare ratios, not absolute times across runs).

Without flags it measures (d, m) = (2, 1000), (10, 1000), (64, 2048), float32
and float64, 1 and 2 threads, every usable kernel. Each flag narrows that.
Data: x ~ N(0, 1), ω ~ N(0, 9/d), uniform dither.

With --quant it measures the 1-bit sketch (package quant: two sign bits per
row and frequency, counted exactly) through the same flags, kernels from
quant's list, and a naive baseline that counts the signs of math.Sincos;
its JSON lines carry "sketch":"quant".

With --meta it measures the hot path of compressive meta-learning: the
default Sketch-Network (package meta) on rows of dimension --d into a
sketch of --m values (defaults 20 and 64), rows/s and GFLOP/s, for 1 and
2 threads (or --threads).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if metaNet {
				fl := cmd.Flags()
				md, mm, th := 20, 64, []int{1, 2}
				if fl.Changed("d") {
					md = d
				}
				if fl.Changed("m") {
					mm = m
				}
				if fl.Changed("threads") {
					th = []int{threads}
				}
				return benchMeta(cmd.OutOrStdout(), md, mm, th, seconds, rounds, asJSON)
			}
			c := bench.DefaultConfig()
			defKernel := rff.DefaultKernel()
			if quantized {
				c, defKernel = bench.DefaultQuantConfig(), quant.DefaultKernel()
			}
			c.Seconds, c.Rounds = seconds, rounds
			fl := cmd.Flags()
			if fl.Changed("d") || fl.Changed("m") {
				c.Shapes = []bench.Shape{{D: d, M: m}}
			}
			if fl.Changed("dtype") {
				c.DTypes = []string{dtype}
			}
			if fl.Changed("threads") {
				c.Threads = []int{threads}
			}
			if fl.Changed("kernel") {
				k := kern
				if k == "auto" {
					k = defKernel
				}
				// The baselines are always measured: the ratios need them.
				c.Kernels = []string{k}
				for _, base := range []string{"go", "naive"} {
					if !slices.Contains(c.Kernels, base) {
						c.Kernels = append(c.Kernels, base)
					}
				}
			}
			if !asJSON {
				fmt.Fprintf(cmd.ErrOrStderr(), "measuring %d cases, %.3g s each (%d interleaved rounds)…\n",
					len(c.Shapes)*len(c.DTypes)*len(c.Threads)*len(c.Kernels), c.Seconds, c.Rounds)
			}
			res, err := bench.Measure(c, nil)
			if err != nil {
				return err
			}
			lines := withRatios(res, defKernel)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, l := range lines {
					if err := enc.Encode(l); err != nil {
						return err
					}
				}
				return nil
			}
			return printTable(cmd.OutOrStdout(), lines, quantized)
		},
	}
	f := cmd.Flags()
	f.IntVar(&d, "d", 10, "input dimension")
	f.IntVar(&m, "m", 1000, "number of frequencies")
	f.StringVar(&dtype, "dtype", "f32", "input type: f32 or f64")
	f.IntVar(&threads, "threads", 1, "worker goroutines")
	f.StringVar(&kern, "kernel", "auto", "kernel: auto or one of "+strings.Join(rff.Kernels(), ", ")+
		" (with --quant: "+strings.Join(quant.Kernels(), ", ")+"; go and naive are always measured too)")
	f.Float64Var(&seconds, "seconds", 1, "wall-clock seconds per measurement")
	f.IntVar(&rounds, "rounds", 5, "interleaved rounds per measurement (the median is reported)")
	f.BoolVar(&asJSON, "json", false, "one JSON object per measurement per line")
	f.BoolVar(&quantized, "quant", false, "measure the 1-bit quantized sketch (package quant) instead of the smooth one")
	f.BoolVar(&metaNet, "meta", false, "measure the meta-learned Sketch-Network (package meta) instead")
	return cmd
}

// withRatios adds the ratios to the baselines of the same case; def is the
// default kernel's name.
func withRatios(res []bench.Result, def string) []benchLine {
	type key struct {
		sketch, dt string
		d, m, thrd int
	}
	base := map[key]map[string]float64{}
	for _, r := range res {
		k := key{r.Sketch, r.DType, r.D, r.M, r.Threads}
		if base[k] == nil {
			base[k] = map[string]float64{}
		}
		base[k][r.Kernel] = r.RowsPerSec
	}
	lines := make([]benchLine, len(res))
	for i, r := range res {
		b := base[key{r.Sketch, r.DType, r.D, r.M, r.Threads}]
		lines[i] = benchLine{Result: r, Default: r.Kernel == def}
		if g := b["go"]; g > 0 {
			lines[i].RatioGo = r.RowsPerSec / g
		}
		if n := b["naive"]; n > 0 {
			lines[i].RatioNaive = r.RowsPerSec / n
		}
	}
	return lines
}

func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

func printTable(w io.Writer, lines []benchLine, quantized bool) error {
	fmt.Fprintf(w, "CPU: %s (%s, %d logical CPUs)\n", bench.CPU(), runtime.GOARCH, runtime.NumCPU())
	if quantized {
		fmt.Fprintf(w, "1-bit sketch (quant) kernels: %s (default %s)\n\n", strings.Join(quant.Kernels(), ", "), quant.DefaultKernel())
	} else {
		fmt.Fprintf(w, "kernels: %s (default %s)\n\n", strings.Join(rff.Kernels(), ", "), rff.DefaultKernel())
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "d\tm\tdtype\tthreads\tkernel\trows/s\tns/row·freq\t×go\t×naive\t")
	for _, l := range lines {
		name := l.Kernel
		if l.Default {
			name += "*"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%s\t%s\t%.3g\t%.2f\t%.1f\t\n", l.D, l.M, l.DType, l.Threads, name,
			si(l.RowsPerSec), l.NsPerElem, l.RatioGo, l.RatioNaive)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\n* default kernel. rows/s: median of rounds, wall clock; ratios measured in this run.")
	return err
}
