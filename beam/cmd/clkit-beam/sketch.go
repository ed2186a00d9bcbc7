package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs" // gs:// inputs and outputs
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/dataflow"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/direct"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/flink"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/spark"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal"
	beamsketch "github.com/clkit/clkit/beam"
	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/internal/cli"
	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
	"github.com/spf13/cobra"
)

// sketchFlags are clkit-beam sketch's options: clkit sketch's where they
// overlap, plus the input glob, the splitting and the runner.
type sketchFlags struct {
	cli.SketchFlags
	input                     string
	batchThreads              int
	splitRows                 int64
	verbose                   bool
	runner, endpoint, envType string
	envConfig, jobName        string
}

var runners = []string{"prism", "direct", "flink", "spark", "dataflow", "universal"}

func newSketch() *cobra.Command {
	var f sketchFlags
	cmd := &cobra.Command{
		Use:   "sketch --input GLOB [flags] -o OUT.sk [-- BEAM-OPTIONS]",
		Short: "Sketch the files matched by a glob on a Beam runner, into one sketch file",
		Long: `sketch matches --input (a glob: local paths, or gs://… on Dataflow), splits
the files (row ranges of .npy and raw files, whole Parquet, CSV and
compressed files), reads the splits on the runner's workers and sums their
rows into one sketch of m random Fourier features, written to -o once the
job has succeeded (atomically: a failed job leaves no file). The flags are
clkit sketch's where they overlap, with the same meanings: the result is
the sketch clkit sketch makes of the same rows (to float64 rounding; the
1-bit sketch exactly).

--sigma auto estimates the kernel scale before the pipeline runs, from the
first --sample-rows rows (whole blocks) of the first file(s) in glob order,
as clkit sketch does (EstimateScale, --k, --sigma-factor).

--runner prism (the default) runs the pipeline in this process, with the
workers in loopback mode; give --endpoint to use a prism, Flink or Spark
job server instead. Flags after -- are the Beam Go SDK's own pipeline
options (for Dataflow: --project, --region, --staging_location,
--temp_location, …), passed through as they are.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash < 0 && len(args) > 0 || dash > 0 {
				return cli.Usagef("sketch takes no arguments but Beam options after --: give the input as --input 'GLOB'")
			}
			var beamArgs []string
			if dash == 0 {
				beamArgs = args
			}
			return runSketch(cmd, &f, beamArgs)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.input, "input", "", "glob of the input files (required), e.g. 'data/part-*.parquet'")
	f.Register(fl)
	fl.StringVar(&f.Format, "format", "", "parquet, npy, csv, tsv, raw-f32 or raw-f64 (default from each file's extension)")
	fl.BoolVar(&f.NoHeader, "no-header", false, "the CSV files have no header line")
	fl.BoolVar(&f.Quiet, "quiet", false, "no summary")
	fl.BoolVar(&f.verbose, "verbose", false, "show the runner's and the SDK's log")
	fl.StringVarP(&f.Out, "output", "o", "", "the sketch file to write (required; a local path, or gs://… with Dataflow)")
	fl.Int64Var(&f.splitRows, "split-rows", 0, "rows of an .npy or raw file read as one element (0: about 64 MiB; -1: whole files)")
	fl.IntVar(&f.batchThreads, "batch-threads", 0, "goroutines sketching one batch (0: all cores with prism and direct, which may read few splits in one bundle; 1 on clusters, which run bundles in parallel)")
	fl.StringVar(&f.runner, "runner", "prism", "Beam runner: "+strings.Join(runners, ", "))
	fl.StringVar(&f.endpoint, "endpoint", "", "job service endpoint (host:port) of a prism, Flink or Spark job server; empty with prism: in process")
	fl.StringVar(&f.envType, "environment-type", "", "worker environment: LOOPBACK (workers in this process), DOCKER, PROCESS or EXTERNAL (default: LOOPBACK with prism, else the runner's)")
	fl.StringVar(&f.envConfig, "environment-config", "", "the environment's configuration: a container image for DOCKER, a worker address for EXTERNAL, …")
	fl.StringVar(&f.jobName, "job-name", "", "job name (default: generated)")
	return cmd
}

// setBeamOptions hands the runner flags and the options after -- to the
// Beam Go SDK, whose pipeline options are Go flags.
func setBeamOptions(f *sketchFlags, args []string) error {
	known := false
	for _, r := range runners {
		known = known || r == f.runner
	}
	if !known {
		return cli.Usagef("--runner %q: want one of %s", f.runner, strings.Join(runners, ", "))
	}
	fs := flag.CommandLine
	fs.Init(os.Args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return cli.Usagef("Beam option: %v", err)
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected %q after --: Beam options are -name=value", fs.Arg(0))
	}
	if f.envType == "" && f.runner == "prism" {
		f.envType = "LOOPBACK" // workers in this process, with a prism in process or on this machine
	}
	for name, v := range map[string]string{"endpoint": f.endpoint,
		"environment_type": f.envType, "environment_config": f.envConfig, "job_name": f.jobName} {
		if v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return cli.Usagef("--%s: %v", strings.ReplaceAll(name, "_", "-"), err)
		}
	}
	return nil
}

func runSketch(cmd *cobra.Command, f *sketchFlags, beamArgs []string) error {
	if f.input == "" || f.Out == "" {
		return cli.Usagef("sketch needs --input 'GLOB' and -o OUT.sk")
	}
	if f.M < 1 || f.SampleRows < 100 || !(f.SigmaFactor > 0) || f.batchThreads < 0 {
		return cli.Usagef("--m must be ≥ 1, --sample-rows ≥ 100, --sigma-factor > 0, --batch-threads ≥ 0")
	}
	law, ro, err := f.Parse()
	if err != nil {
		return err
	}
	if err := setBeamOptions(f, beamArgs); err != nil {
		return err
	}
	if err := checkOutputDir(f.Out); err != nil {
		return err
	}
	ctx := context.Background()
	files, err := beamsketch.Match(ctx, f.input)
	if err != nil {
		return err
	}

	// d from the first file; σ given, or estimated from the first rows,
	// read on from the same open file (a remote file is copied once).
	sm, err := beamsketch.NewSampler(ctx, files, ro)
	if err != nil {
		return err
	}
	d := sm.Dim()
	sigma, err := f.SigmaValues(d, sm.Rows)
	sm.Close()
	if err != nil {
		return err
	}
	cfg := beamsketch.Config{
		Params:  rff.Params{Law: law, D: d, M: f.M, Sigma: sigma, Seed: f.Seed},
		Quant:   f.Quant,
		Workers: f.batchThreads,
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
		if f.runner == "prism" || f.runner == "direct" {
			cfg.Workers = -1 // all cores
		}
	}
	// A configuration that Sketch would reject (rff's or quant's
	// objection) is a usage error, found before the pipeline is built.
	if err := cfg.Validate(); err != nil {
		return cli.Usagef("%v", err)
	}

	return runPipeline(cmd, f, cfg, ro, len(files))
}

// runPipeline builds and runs the pipeline, which writes the sketch under
// a temporary name; it is moved to -o only once the job has succeeded, and
// removed otherwise (also on an interrupt, which cancels the job). A panic
// of the SDK while building the pipeline is an error.
func runPipeline(cmd *cobra.Command, f *sketchFlags, cfg beamsketch.Config, ro dataio.Options, nfiles int) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var st *beamsketch.Staged
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("building the pipeline: %v", r)
		}
		if err != nil && st != nil {
			st.Abort(context.Background())
		}
	}()
	if !f.verbose {
		beamlog.LogLevel = "error"
	}
	beam.Init() // sets up the SDK's logging; required before running
	if !f.verbose {
		// The job's errors come back from beam.Run and are printed once.
		slog.SetDefault(slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelError + 4})))
	}
	if st, err = beamsketch.Stage(f.Out); err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	batches := beamsketch.ReadGlob(s, f.input, beamsketch.ReadOptions{Options: ro, SplitRows: f.splitRows})
	beamsketch.WriteFile(s, st.Temp, cfg, beamsketch.Sketch(s, batches, cfg))
	t0 := time.Now()
	res, err := beam.Run(ctx, f.runner, p)
	if err != nil {
		if f.verbose {
			return fmt.Errorf("the %s job failed: %w", f.runner, err)
		}
		return fmt.Errorf("the %s job failed: %s (--verbose for the runner's report)", f.runner, rootCause(err))
	}
	if err := st.Commit(ctx); err != nil {
		return err
	}
	if !f.Quiet {
		summary(cmd.ErrOrStderr(), f, cfg, nfiles, res, time.Since(t0).Seconds())
	}
	return nil
}

// checkOutputDir fails early, before the job, when a local output cannot be
// written.
func checkOutputDir(out string) error {
	if strings.Contains(out, "://") {
		return nil
	}
	dir := filepath.Dir(out)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("-o %s: %s is not a directory", out, dir)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("-o %s is a directory", out)
	}
	return nil
}

// summary prints what was sketched: rows from the written file (when
// local), skipped rows from the job's counters.
func summary(w io.Writer, f *sketchFlags, cfg beamsketch.Config, nfiles int, res beam.PipelineResult, el float64) {
	rows := int64(-1)
	if !strings.Contains(f.Out, "://") {
		if cfg.Quant {
			if q, err := quant.ReadFile(f.Out); err == nil {
				rows = q.Rows()
			}
		} else if s, err := rff.ReadFile(f.Out); err == nil {
			rows = s.Rows()
		}
	}
	// The counters, where the runner reports them: rows read, and skipped
	// (a counter that was never incremented is not reported).
	skipped, counted := int64(0), false
	if res != nil {
		for _, c := range res.Metrics().AllMetrics().Counters() {
			switch {
			case c.Key.Namespace == "clkit" && c.Key.Name == "skipped":
				skipped += c.Result()
			case c.Key.Namespace == "clkit" && c.Key.Name == "rows":
				counted = true
			}
		}
	}
	if !counted {
		skipped = -1
	}
	var sk string
	if skipped >= 0 {
		sk = fmt.Sprintf(" (%d skipped)", skipped)
	}
	fmt.Fprintf(w, "clkit-beam: %d rows%s from %d files, d=%d, m=%d, σ=%s, on %s → %s in %.2f s (%.3gM rows/s)\n",
		rows, sk, nfiles, cfg.Params.D, cfg.Params.M, cli.Floats(cfg.Params.Sigma, ","), f.runner, f.Out, el, float64(rows)/el/1e6)
}

// rootCause is the message of the DoFn error that failed a job: the SDK
// reports it last, after the failed bundle's plan ("… failed:\n" then the
// message), or the whole error when it has no such form.
func rootCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "] failed:\n"); i >= 0 {
		m := strings.TrimSpace(msg[i+len("] failed:\n"):])
		if first, rest, ok := strings.Cut(m, "\n"); ok && strings.HasPrefix(first, "invoking ") {
			m = strings.TrimSpace(rest) // "invoking AddInput": which method, not what went wrong
		}
		if m != "" {
			return m
		}
	}
	return msg
}
