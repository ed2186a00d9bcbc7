package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"time"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/meta"
	"github.com/clkit/clkit/meta/pretrained"
	"github.com/clkit/clkit/solver/dp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newMeta() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "meta",
		Short: "Compressive meta-learning: learned Sketch- and Query-Networks (PCA, ridge, k-means, autoencoders)",
		Long: `meta trains, and uses, a Sketch-Network (a learned per-row feature map whose
mean over the rows is the sketch: streaming, mergeable, rows can be
removed) and a Query-Network (which turns a sketch into a model: a PCA
subspace, ridge coefficients, k-means centroids, autoencoder weights),
meta-learned over many synthetic data sets of the task's family.

MODEL is a model file, or the name of a shipped pretrained model (d = 20,
m = 64): pca-shared (k = 3) and ridge-shared (λ = 0.01), trained on the
families whose data sets' directions lie near one rotation (--shared 0.3);
"clkit meta eval NAME" shows how they do.`,
	}
	cmd.AddCommand(newMetaTrain(), newMetaSketch(), newMetaPredict(), newMetaEval())
	return cmd
}

// loadMetaModel opens a model file, or a shipped model by name when no such
// file exists.
func loadMetaModel(name string) (*meta.Model, error) {
	if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) && pretrained.Has(name) {
		return pretrained.Load(name)
	}
	return meta.LoadModel(name)
}

type metaTrainFlags struct {
	task, out                   string
	d, m, k, steps, batch       int
	nmin, nmax, every, workers  int
	fourier, quadratic, width   int
	qwidth                      int
	lr, shared                  float64
	seed, familySeed            uint64
	noise, quiet, frozenFourier bool
}

func newMetaTrain() *cobra.Command {
	var f metaTrainFlags
	cmd := &cobra.Command{
		Use:   "train --task pca|ridge|kmeans|ae -o MODEL.safetensors",
		Short: "Meta-train a model on a task family",
		Long: `train draws --batch synthetic data sets of the task's family per step
(n log-uniform in [--nmin, --nmax]), sketches each with the Sketch-Network,
decodes each sketch with the Query-Network and takes an AdamW step on the
task's loss (warm-up, then cosine decay). It is seeded and reproducible;
with --checkpoint N it also writes the model every N steps. --noise
trains for differentially private sketches (the Query-Network learns to
decode noisy ones). The defaults: d = 20, m = 64, 3000 steps of 16 data
sets; the shipped models were made with

  clkit meta train --task pca --shared 0.3 -o pca-shared.safetensors
  clkit meta train --task ridge --shared 0.3 -o ridge-shared.safetensors

(each file records its command under clkit.meta.command).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runMetaTrain(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.task, "task", "", "pca, ridge, kmeans or ae (required)")
	fl.StringVarP(&f.out, "output", "o", "", "model file to write (required)")
	fl.IntVar(&f.d, "d", 20, "data dimension (ridge: of x)")
	fl.IntVar(&f.m, "m", 64, "sketch size (numbers)")
	fl.IntVarP(&f.k, "k", "k", 0, "components (pca: 3), clusters (kmeans: 5) or hidden units (ae: 3)")
	fl.IntVar(&f.steps, "steps", 3000, "training steps")
	fl.IntVar(&f.batch, "batch", 16, "data sets per step")
	fl.IntVar(&f.nmin, "nmin", 128, "fewest rows of a training data set")
	fl.IntVar(&f.nmax, "nmax", 4096, "most rows of a training data set")
	fl.IntVar(&f.fourier, "fourier", 128, "frequencies of the Sketch-Network's Fourier branch (-1: none)")
	fl.IntVar(&f.quadratic, "quadratic", 0, "quadratic measurements of the Sketch-Network (0: half of what the moments leave, -1: none)")
	fl.IntVar(&f.width, "width", 256, "Sketch-Network trunk width")
	fl.IntVar(&f.qwidth, "query-width", 128, "Query-Network width")
	fl.BoolVar(&f.frozenFourier, "frozen-fourier", false, "keep the random frequencies of the Fourier branch")
	fl.Float64Var(&f.lr, "lr", 1e-3, "peak learning rate")
	fl.BoolVar(&f.noise, "noise", false, "train for noisy (differentially private) sketches")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	fl.Float64Var(&f.shared, "shared", 0, "pca, ridge: data sets' directions near one family-wide rotation, tilted by about this many radians (0: uniform)")
	fl.Uint64Var(&f.familySeed, "family-seed", 1, "with --shared: seed of the family-wide rotation")
	fl.IntVar(&f.every, "checkpoint", 0, "write the model every N steps (0: only at the end)")
	fl.IntVar(&f.workers, "threads", 0, "goroutines (0 = all cores)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func makeTask(name string, d, k int) (meta.Task, error) {
	var (
		t   meta.Task
		err error
	)
	switch name {
	case "pca":
		t, err = meta.NewPCATask(d, kOr(k, 3))
	case "ridge":
		t, err = meta.NewRidgeTask(d, 1e-2)
	case "kmeans":
		t, err = meta.NewKMeansTask(d, kOr(k, 5))
	case "ae":
		t, err = meta.NewAETask(d, kOr(k, 3))
	case "":
		return nil, usagef("--task must be given: pca, ridge, kmeans or ae")
	default:
		return nil, usagef("--task %q: want pca, ridge, kmeans or ae", name)
	}
	if err != nil {
		return nil, usageError{err}
	}
	return t, nil
}

func kOr(k, def int) int {
	if k == 0 {
		return def
	}
	return k
}

func runMetaTrain(cmd *cobra.Command, f *metaTrainFlags) error {
	if f.out == "" {
		return usagef("-o: the model file must be given")
	}
	task, err := makeTask(f.task, f.d, f.k)
	if err != nil {
		return err
	}
	if f.shared != 0 {
		switch t := task.(type) {
		case *meta.PCATask:
			t.Family.Shared, t.Family.SharedSeed = f.shared, f.familySeed
		case *meta.RidgeTask:
			t.Family.Shared, t.Family.SharedSeed = f.shared, f.familySeed
		default:
			return usagef("--shared applies to pca and ridge, not %s", f.task)
		}
	}
	if f.steps < 1 || f.batch < 1 || f.nmin < 2 || f.nmax < f.nmin || f.every < 0 {
		return usagef("--steps, --batch must be positive, 2 ≤ --nmin ≤ --nmax, --checkpoint ≥ 0")
	}
	mod, err := meta.NewModel(task, meta.SketchConfig{M: f.m, Fourier: f.fourier, Quadratic: f.quadratic, Width: f.width, FrozenFourier: f.frozenFourier},
		meta.QueryConfig{Width: f.qwidth}, f.nmax, f.seed)
	if err != nil {
		return usageError{err}
	}
	bar := newStepBar(cmd.ErrOrStderr(), "meta-training", int64(f.steps), f.quiet)
	var ckErr error
	o := meta.TrainOptions{Steps: f.steps, Batch: f.batch, NMin: f.nmin, NMax: f.nmax, LR: f.lr, Noise: f.noise, Seed: f.seed, Workers: f.workers,
		Progress: func(p meta.TrainProgress) {
			bar.step(fmt.Sprintf("step %d/%d loss %.4f", p.Step, p.Steps, p.Loss))
			if f.every > 0 && p.Step%f.every == 0 && p.Step < p.Steps && ckErr == nil {
				ckErr = mod.Save(f.out)
			}
		}}
	t0 := time.Now()
	res, err := meta.Train(mod, o)
	bar.finish(err == nil)
	if err == nil {
		err = ckErr
	}
	if err != nil {
		return err
	}
	tail := res.Loss[max(0, len(res.Loss)-100):]
	var last float64
	for _, v := range tail {
		last += v / float64(len(tail))
	}
	mod.Info["clkit.meta.command"] = trainCommand(cmd)
	mod.Info["clkit.meta.final_loss"] = fmt.Sprintf("%.6g", last)
	mod.Info["clkit.meta.seconds"] = fmt.Sprintf("%.0f", time.Since(t0).Seconds())
	if err := mod.Save(f.out); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "clkit: meta: %s, d=%d, m=%d: %d steps, loss %.4g (mean of the last 100), %.1f min → %s\n",
		task.Name(), f.d, f.m, f.steps, last, time.Since(t0).Minutes(), f.out)
	return nil
}

// trainCommand is the command line that reproduces a model (the flags that
// change the result, as given), recorded in the model file.
func trainCommand(cmd *cobra.Command) string {
	line := "clkit meta train"
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		switch fl.Name {
		case "output", "quiet", "threads", "checkpoint":
			return
		}
		line += " --" + fl.Name + " " + fl.Value.String()
	})
	return line
}

type metaSketchFlags struct {
	out, format, remove string
	columns             []string
	threads             int
}

func newMetaSketch() *cobra.Command {
	var f metaSketchFlags
	cmd := &cobra.Command{
		Use:   "sketch MODEL INPUT -o OUT.msk",
		Short: "Sketch a data file with a model's Sketch-Network",
		Long: `sketch streams the rows of INPUT (any format clkit sketch reads; ridge rows
are x then y) through the Sketch-Network and writes the learned sketch
(Σ f(x_i) and n, in float64). --remove SKETCH subtracts these rows from an
existing sketch instead (rows must have been added before).`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.out == "" {
				return usagef("-o: the output sketch must be given")
			}
			mod, err := loadMetaModel(args[0])
			if err != nil {
				return err
			}
			s := mod.NewSketch()
			if f.remove != "" {
				if s, err = mod.ReadSketch(f.remove); err != nil {
					return err
				}
			}
			r, err := dataio.Open(args[1], dataio.Options{Format: f.format, Columns: f.columns, Float64: true})
			if err != nil {
				return err
			}
			defer r.Close()
			if r.Dim() != mod.Sketch.D() {
				return usagef("%s: %d columns, the model's rows have %d", args[1], r.Dim(), mod.Sketch.D())
			}
			var b dataio.Block
			var seen int64
			for {
				if err := r.Next(&b); err == io.EOF {
					break
				} else if err != nil {
					return err
				}
				x := b.X64[:b.Rows*r.Dim()]
				if f.remove != "" {
					err = s.Remove(x, f.threads)
				} else {
					err = s.Add(x, f.threads)
				}
				var re *meta.RowError
				if errors.As(err, &re) {
					return fmt.Errorf("%s: row %d, column %d: %s", args[1], seen+int64(re.Row), re.Col, re.Msg)
				} else if err != nil {
					return fmt.Errorf("%s: %w", args[1], err)
				}
				seen += int64(b.Rows)
			}
			if err := s.WriteFile(f.out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "clkit: meta: %d rows → %s (%d rows in the sketch)\n", seen, f.out, s.Rows())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "sketch file to write (required)")
	fl.StringVar(&f.format, "format", "", "input format (default from the extension)")
	fl.StringSliceVar(&f.columns, "columns", nil, "columns to read (default all)")
	fl.StringVar(&f.remove, "remove", "", "subtract the rows from this sketch instead of starting empty")
	fl.IntVar(&f.threads, "threads", 0, "goroutines (0 = all cores)")
	return cmd
}

type metaPredictFlags struct {
	out, mech     string
	epsilon, dlt  float64
	replace       bool
	seed          uint64
	mergeSketches []string
}

func newMetaPredict() *cobra.Command {
	var f metaPredictFlags
	cmd := &cobra.Command{
		Use:   "predict MODEL SKETCH… [-o OUT.json]",
		Short: "Decode the task's model from learned sketches (merged when several)",
		Long: `predict merges the sketch files, optionally releases the result with
differential privacy (--epsilon, Gaussian with --delta or Laplace), and
writes what the Query-Network predicts, as JSON: pca: the orthonormal basis
U (d×k) and the mean; ridge: beta and the intercept; kmeans: the
centroids; ae: the encoder and decoder weights.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			mod, err := loadMetaModel(args[0])
			if err != nil {
				return err
			}
			s := mod.NewSketch()
			for _, p := range args[1:] {
				o, err := mod.ReadSketch(p)
				if err != nil {
					return err
				}
				if err := s.Merge(o); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
			}
			if s.Rows() == 0 {
				return errors.New("meta: the sketch is empty")
			}
			if f.epsilon > 0 {
				p := meta.Privacy{Epsilon: f.epsilon, Delta: f.dlt, Seed: f.seed}
				switch f.mech {
				case "gaussian":
					p.Mechanism = dp.Gaussian
				case "laplace":
					p.Mechanism = dp.Laplace
				default:
					return usagef("--mechanism %q: want gaussian or laplace", f.mech)
				}
				if f.replace {
					p.Neighbourhood = dp.ReplaceOne
				}
				if s, err = s.Privatize(p); err != nil {
					return usageError{err}
				}
			}
			out, err := mod.Predict(s.Z(), float64(s.Rows()), s.Sigma)
			if err != nil {
				return err
			}
			res, err := describe(mod.Task, out)
			if err != nil {
				return err
			}
			res["rows"] = s.Rows()
			res["noise_sigma"] = s.Sigma
			write := func(w io.Writer) error {
				e := json.NewEncoder(w)
				e.SetIndent("", "  ")
				return e.Encode(res)
			}
			if f.out == "" {
				return write(cmd.OutOrStdout())
			}
			return writeAtomic(f.out, write)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "JSON file to write (default stdout)")
	fl.Float64Var(&f.epsilon, "epsilon", 0, "release the sketch with (ε, δ)-differential privacy first (0: exact)")
	fl.Float64Var(&f.dlt, "delta", 1e-6, "δ of the Gaussian mechanism")
	fl.StringVar(&f.mech, "mechanism", "gaussian", "gaussian or laplace")
	fl.BoolVar(&f.replace, "replace-one", false, "bounded DP (replace a row) instead of add/remove")
	fl.Uint64Var(&f.seed, "noise-seed", 0, "seed of the privacy noise (0: crypto/rand; fixed seeds are for tests)")
	return cmd
}

// describe turns a raw prediction into named parameters.
func describe(t meta.Task, out []float64) (map[string]any, error) {
	res := map[string]any{"task": t.Name()}
	switch t := t.(type) {
	case *meta.PCATask:
		U, mu, err := t.Decode(out)
		if err != nil {
			return nil, err
		}
		res["basis"], res["mean"] = rowsOf(U, t.K), mu
	case *meta.RidgeTask:
		res["beta"], res["intercept"] = out[:t.D], out[t.D]
	case *meta.KMeansTask:
		res["centroids"] = rowsOf(out, t.D)
	case *meta.AETask:
		d, h := t.D, t.H
		res["encoder_weight"], res["encoder_bias"] = rowsOf(out[:h*d], d), out[h*d:h*d+h]
		res["decoder_weight"], res["decoder_bias"] = rowsOf(out[h*d+h:2*h*d+h], h), out[2*h*d+h:]
	}
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("meta: the Query-Network produced a non-finite value")
		}
	}
	return res, nil
}

func newMetaEval() *cobra.Command {
	var (
		sets, n int
		epsilon float64
		noBase  bool
	)
	cmd := &cobra.Command{
		Use:   "eval MODEL",
		Short: "Measure a model on held-out data sets of its family, against the random-sketch baseline",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mod, err := loadMetaModel(args[0])
			if err != nil {
				return err
			}
			o := meta.EvalOptions{Sets: sets, N: n, NoBaseline: noBase}
			if epsilon > 0 {
				o.Privacy = &meta.Privacy{Mechanism: dp.Gaussian, Epsilon: epsilon, Delta: 1e-6}
			}
			res, err := meta.Evaluate(mod, o)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s, m=%d, %d held-out data sets of %d rows (error ratio: 1 = exact on the full data)\n", res.Task, res.M, res.Sets, n)
			fmt.Fprintf(w, "  meta-learned   median %.4f\n", meta.Median(res.Meta))
			if res.Baseline != nil {
				fmt.Fprintf(w, "  %s   median %.4f\n", res.BaseName, meta.Median(res.Baseline))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&sets, "sets", 50, "held-out data sets")
	fl.IntVar(&n, "n", 2000, "rows per data set")
	fl.Float64Var(&epsilon, "epsilon", 0, "evaluate on (ε, 1e-6)-DP releases of the sketches")
	fl.BoolVar(&noBase, "no-baseline", false, "skip the baseline")
	return cmd
}
