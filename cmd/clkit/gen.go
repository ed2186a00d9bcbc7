package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/clkit/clkit/gen"
	"github.com/clkit/clkit/nn"
	"github.com/clkit/clkit/rff"
	"github.com/spf13/cobra"
	"gonum.org/v1/plot/plotter"
)

func newGen() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generative networks trained from a sketch alone (CL-GN)",
		Long: `gen trains a generator network so that the sketch of its samples matches a
data set's sketch (compressive learning of generative networks), and draws
samples from trained generators.`,
	}
	cmd.AddCommand(newGenTrain(), newGenSample(), newGenToy())
	return cmd
}

// genTrainFlags are gen train's options.
type genTrainFlags struct {
	out, layers, act, dtype string
	latent, epochs, batch   int
	pool, patience, threads int
	lr, lrFinal, minDelta   float64
	slope                   float64
	fresh, unbiased, quiet  bool
	seed                    uint64
}

func newGenTrain() *cobra.Command {
	var f genTrainFlags
	cmd := &cobra.Command{
		Use:   "train SKETCH -o MODEL.safetensors",
		Short: "Train a generator from a sketch file",
		Long: `train fits a generator G: R^latent → R^d (dense layers) to the sketch alone:
it minimises (1/m)·‖z − (1/n_b)·Σ Φ(G(z_i))‖² over batches of n_b latent
draws z_i ~ N(0, I) by Adam. The defaults are the CL-GN paper's: latent 10,
7 hidden layers of 10 units with LeakyReLU(0.2), batches of 1000 from a
pool of 1e5 latent vectors, learning rate 1e-3, up to 25 epochs with early
stopping (min delta 5e-4, patience 2).

The model is written in the safetensors format with its architecture and
training summary in the metadata; 'clkit gen sample' draws from it.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runGenTrain(cmd, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "model file to write (.safetensors; required)")
	fl.IntVar(&f.latent, "latent", 10, "latent dimension")
	fl.StringVar(&f.layers, "layers", "7x10", "hidden layers: COUNTxWIDTH, or widths separated by commas")
	fl.StringVar(&f.act, "act", "leakyrelu", "hidden activation: leakyrelu, relu, tanh, sigmoid, gelu, softplus")
	fl.Float64Var(&f.slope, "slope", 0.2, "negative slope of leakyrelu")
	fl.IntVar(&f.epochs, "epochs", 25, "at most this many epochs")
	fl.IntVar(&f.batch, "batch", 1000, "generated samples per step")
	fl.IntVar(&f.pool, "pool", 100000, "latent vectors drawn once; an epoch is pool/batch steps")
	fl.BoolVar(&f.fresh, "fresh", false, "draw new latent vectors every step instead of reusing the pool")
	fl.Float64Var(&f.lr, "lr", 1e-3, "Adam learning rate")
	fl.Float64Var(&f.lrFinal, "lr-final", 0, "if set, cosine decay of the learning rate to this value over the epochs")
	fl.BoolVar(&f.unbiased, "unbiased", false, "unbiased (U-statistic) batch loss instead of the paper's")
	fl.Float64Var(&f.minDelta, "min-delta", 5e-4, "early stopping: smallest improvement of the epoch loss that counts")
	fl.IntVar(&f.patience, "patience", 2, "early stopping: epochs without improvement before stopping (negative: never)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the weights and the latent draws")
	fl.StringVar(&f.dtype, "dtype", "f32", "network precision: f32 or f64")
	fl.IntVar(&f.threads, "threads", 0, "goroutines for the sketch layer (0 = all cores)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

// parseLayers reads "7x10" (seven layers of ten) or "64,64,32".
func parseLayers(s string) ([]int, error) {
	var widths []int
	if c, w, ok := strings.Cut(s, "x"); ok {
		n, err1 := strconv.Atoi(c)
		wd, err2 := strconv.Atoi(w)
		if err1 != nil || err2 != nil || n < 0 || n > 1000 || wd < 1 {
			return nil, usagef("--layers %q: want COUNTxWIDTH, e.g. 7x10", s)
		}
		for range n {
			widths = append(widths, wd)
		}
		return widths, nil
	}
	for _, p := range strings.Split(s, ",") {
		wd, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || wd < 1 {
			return nil, usagef("--layers %q: want COUNTxWIDTH or positive widths separated by commas", s)
		}
		widths = append(widths, wd)
	}
	return widths, nil
}

func parseAct(name string, slope float64) (nn.Activation, error) {
	switch strings.ToLower(name) {
	case "leakyrelu":
		return nn.LeakyReLU(slope), nil
	case "relu":
		return nn.ReLU, nil
	case "tanh":
		return nn.Tanh, nil
	case "sigmoid":
		return nn.Sigmoid, nil
	case "gelu":
		return nn.GELU, nil
	case "softplus":
		return nn.Softplus, nil
	}
	return nn.Activation{}, usagef("--act %q: want leakyrelu, relu, tanh, sigmoid, gelu or softplus", name)
}

func runGenTrain(cmd *cobra.Command, path string, f *genTrainFlags) error {
	if f.out == "" {
		return usagef("-o: the model file must be given")
	}
	widths, err := parseLayers(f.layers)
	if err != nil {
		return err
	}
	act, err := parseAct(f.act, f.slope)
	if err != nil {
		return err
	}
	switch {
	case f.latent < 1:
		return usagef("--latent must be positive")
	case f.epochs < 1:
		return usagef("--epochs must be positive")
	case f.batch < 2:
		return usagef("--batch must be at least 2")
	case f.pool < f.batch:
		return usagef("--pool (%d) must be at least --batch (%d)", f.pool, f.batch)
	case !(f.lr > 0), f.lrFinal < 0:
		return usagef("--lr must be positive, --lr-final non-negative")
	case f.dtype != "f32" && f.dtype != "f64":
		return usagef("--dtype %q: want f32 or f64", f.dtype)
	}
	sf, err := openSketch(path)
	if err != nil {
		return err
	}
	s := sf.smooth()
	d := s.Frequencies().D()
	o := gen.Options{Batch: f.batch, Pool: f.pool, Fresh: f.fresh, Epochs: f.epochs, LR: nn.Constant(f.lr),
		Unbiased: f.unbiased, MinDelta: f.minDelta, Patience: f.patience, Seed: f.seed, Workers: f.threads}
	if f.patience == 0 {
		o.Patience = -1
	}
	steps := f.pool / f.batch
	if f.lrFinal > 0 {
		o.LR = nn.WarmupCosine(f.lr, 0, f.epochs*steps, f.lrFinal)
	}
	bar := newStepBar(cmd.ErrOrStderr(), "training", int64(f.epochs*steps), f.quiet)
	o.Progress = func(p gen.Progress) {
		bar.step(fmt.Sprintf("epoch %d/%d loss %.4f", p.Epoch, p.Epochs, p.EpochLoss))
	}
	meta := map[string]string{
		"clkit.model":               "gen",
		"clkit.gen.latent":          strconv.Itoa(f.latent),
		"clkit.gen.sketch":          fmt.Sprintf("%016x", s.Frequencies().Fingerprint()),
		"clkit.gen.sketch_rows":     strconv.FormatInt(s.Rows(), 10),
		"clkit.gen.frequency_law":   s.Frequencies().Params().Law.String(),
		"clkit.gen.frequencies":     strconv.Itoa(s.Frequencies().M()),
		"clkit.gen.batch":           strconv.Itoa(f.batch),
		"clkit.gen.unbiased_loss":   strconv.FormatBool(f.unbiased),
		"clkit.gen.seed":            strconv.FormatUint(f.seed, 10),
		"clkit.gen.training_sketch": path,
	}
	t0 := time.Now()
	var res gen.Result
	if f.dtype == "f32" {
		res, err = trainAndSave[float32](s, f, widths, act, d, o, meta)
	} else {
		res, err = trainAndSave[float64](s, f, widths, act, d, o, meta)
	}
	bar.finish(err == nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	last := res.EpochLoss[len(res.EpochLoss)-1]
	how := "all epochs"
	if res.Stopped {
		how = "early stop"
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "clkit: gen: %d epochs (%s), %d steps, loss %.4g, %.1f s (%.2f s/epoch) → %s\n",
		len(res.EpochLoss), how, res.Steps, last, time.Since(t0).Seconds(), res.Elapsed.Seconds()/float64(len(res.EpochLoss)), f.out)
	return nil
}

// trainAndSave builds the generator in precision T, trains it and writes it.
func trainAndSave[T nn.Float](s *rff.Sketch, f *genTrainFlags, widths []int, act nn.Activation, d int, o gen.Options, meta map[string]string) (gen.Result, error) {
	net, err := nn.MLP[T](f.latent, widths, d, act, nn.Identity)
	if err != nil {
		return gen.Result{}, err
	}
	net.Init(f.seed)
	res, err := gen.Train(s, net, o)
	if err != nil {
		return res, err
	}
	meta["clkit.gen.epochs"] = strconv.Itoa(len(res.EpochLoss))
	meta["clkit.gen.final_loss"] = strconv.FormatFloat(res.EpochLoss[len(res.EpochLoss)-1], 'g', 6, 64)
	return res, net.Save(f.out, meta)
}

// genSampleFlags are gen sample's options.
type genSampleFlags struct {
	n           int
	seed        uint64
	out, plot   string
	data, dtype string
	dims        []int
}

func newGenSample() *cobra.Command {
	var f genSampleFlags
	cmd := &cobra.Command{
		Use:   "sample MODEL -n N -o OUT.npy|OUT.csv",
		Short: "Draw samples from a trained generator",
		Long: `sample pushes N latent draws z ~ N(0, I) through the generator and writes
the samples: .npy (N×d float64) or .csv (header x0,x1,…). --plot draws a
2-D histogram of them, next to one of the data with --data.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runGenSample(cmd, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.n, "n", "n", 50000, "number of samples")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the latent draws")
	fl.StringVarP(&f.out, "output", "o", "", "write the samples to this file (.npy or .csv); default CSV on stdout")
	fl.StringVar(&f.plot, "plot", "", "draw a 2-D histogram of the samples into this PNG")
	fl.StringVar(&f.data, "data", "", "with --plot, draw the histogram of these rows beside it (any input clkit sketch reads)")
	fl.IntSliceVar(&f.dims, "dims", []int{0, 1}, "with --plot, the two dimensions to draw")
	return cmd
}

func runGenSample(cmd *cobra.Command, path string, f *genSampleFlags) error {
	if f.n < 1 {
		return usagef("-n must be positive")
	}
	format := "csv"
	if f.out != "" {
		switch strings.ToLower(filepath.Ext(f.out)) {
		case ".npy":
			format = "npy"
		case ".csv":
		default:
			return usagef("output %s: unknown extension (want .npy or .csv)", f.out)
		}
	}
	net, meta, err := nn.Load[float64](path)
	if err != nil {
		return err
	}
	if meta["clkit.model"] != "gen" {
		return fmt.Errorf("%s: not a generator (clkit.model = %q)", path, meta["clkit.model"])
	}
	d := net.Out()
	if f.plot != "" && (len(f.dims) != 2 || f.dims[0] < 0 || f.dims[1] < 0 || f.dims[0] >= d || f.dims[1] >= d || (d > 1 && f.dims[0] == f.dims[1])) {
		return usagef("--dims %v: want two different dimensions in [0, %d)", f.dims, d)
	}
	y := gen.Sample(net, f.n, f.seed)
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: the generator produced %v (sample %d)", path, v, i/d)
		}
	}
	if f.plot != "" {
		var pts plotter.XYs
		if f.data != "" {
			if pts, err = samplePoints(f.data, d, f.dims, 200000); err != nil {
				return err
			}
		}
		if err := plotSamples(f.plot, y, d, f.dims, pts, meta); err != nil {
			return err
		}
	}
	write := func(w io.Writer) error {
		if format == "npy" {
			return writeNpy(w, y, f.n, d)
		}
		return writeCSVRows(w, y, d)
	}
	if f.out == "" {
		return write(cmd.OutOrStdout())
	}
	if err := writeAtomic(f.out, write); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "clkit: gen: %d samples of d=%d → %s (using %d cores)\n", f.n, d, f.out, runtime.GOMAXPROCS(0))
	return nil
}

// writeCSVRows writes rows of d values under the header x0,x1,….
func writeCSVRows(w io.Writer, y []float64, d int) error {
	var b strings.Builder
	for k := range d {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "x%d", k)
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	buf := make([]byte, 0, 64*d)
	for i := 0; i < len(y); i += d {
		buf = buf[:0]
		for k, v := range y[i : i+d] {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func newGenToy() *cobra.Command {
	var (
		n, k int
		seed uint64
		out  string
	)
	cmd := &cobra.Command{
		Use:   "toy spiral|circle|mixture -o OUT.npy|OUT.csv",
		Short: "Write one of the CL-GN paper's 2-D data sets",
		Long: `toy writes the 2-D data sets of the CL-GN experiments as the authors'
notebook generates them (a spiral, a circle, a mixture of K Gaussians),
scaled into the unit ball as it does, to sketch and train on.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 2 {
				return usagef("-n must be at least 2")
			}
			var x []float64
			switch args[0] {
			case "spiral":
				x = gen.Spiral(n, seed)
			case "circle":
				x = gen.Circle(n, seed)
			case "mixture":
				var err error
				if x, err = gen.Mixture(n, k, seed); err != nil {
					return usageError{err}
				}
			default:
				return usagef("unknown data set %q: want spiral, circle or mixture", args[0])
			}
			gen.ScaleToUnitBall(x, 2)
			if out == "" {
				return writeCSVRows(cmd.OutOrStdout(), x, 2)
			}
			var write func(w io.Writer) error
			switch strings.ToLower(filepath.Ext(out)) {
			case ".npy":
				write = func(w io.Writer) error { return writeNpy(w, x, n, 2) }
			case ".csv":
				write = func(w io.Writer) error { return writeCSVRows(w, x, 2) }
			default:
				return usagef("output %s: unknown extension (want .npy or .csv)", out)
			}
			return writeAtomic(out, write)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&n, "n", "n", 100000, "rows")
	fl.IntVarP(&k, "k", "k", 5, "components of the mixture (the notebook's 5; the paper says 6)")
	fl.Uint64Var(&seed, "seed", 1, "random seed")
	fl.StringVarP(&out, "output", "o", "", "write to this file (.npy or .csv); default CSV on stdout")
	return cmd
}
