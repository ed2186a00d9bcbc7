package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/rff"
	"github.com/clkit/clkit/solver"
	"github.com/spf13/pflag"
)

// SketchFlags are the options clkit sketch and clkit-beam sketch share,
// with the same names, defaults and meanings, so that both make the same
// sketch of the same rows.
type SketchFlags struct {
	M, Dim, K, SampleRows          int
	Law, Sigma, Dtype, Format, Out string
	Weights, Delimiter             string
	Columns                        []string
	Seed                           uint64
	SigmaFactor                    float64
	Quant, Quiet, Strict, NoHeader bool
}

// Register adds the flags whose help is the same in both commands. Each
// command adds --format, --no-header, --quiet and -o itself, as their help
// speaks of one input file or of many.
func (f *SketchFlags) Register(fl *pflag.FlagSet) {
	fl.IntVar(&f.M, "m", 1000, "number of frequencies")
	fl.StringVar(&f.Law, "law", "adapted", "frequency law: adapted, gaussian or folded")
	fl.StringVar(&f.Sigma, "sigma", "auto", "kernel scale σ: auto, a value, or d comma-separated values")
	fl.Float64Var(&f.SigmaFactor, "sigma-factor", 2, "with --sigma auto, σ² = factor × estimated cluster variance")
	fl.IntVar(&f.K, "k", 0, "with --sigma auto, the number of clusters, if known")
	fl.IntVar(&f.SampleRows, "sample-rows", 200000, "with --sigma auto, rows read for the estimate")
	fl.Uint64Var(&f.Seed, "seed", 1, "seed of the frequencies")
	fl.StringVar(&f.Dtype, "dtype", "f32", "compute precision: f32 (fast) or f64")
	fl.BoolVar(&f.Quant, "quant", false, "1-bit quantized sketch (sign of cos and sin)")
	fl.StringSliceVar(&f.Columns, "columns", nil, "columns to use, by name or 0-based index (default all but --weights)")
	fl.StringVar(&f.Weights, "weights", "", "column of per-row weights")
	fl.IntVar(&f.Dim, "dim", 0, "values per row (raw floats, or a 1-D .npy)")
	fl.StringVar(&f.Delimiter, "delimiter", "", "CSV field separator (default , or tab for tsv)")
	fl.BoolVar(&f.Strict, "strict", false, "missing values are errors (default: such rows are skipped and counted)")
}

// Parse reads --law, and turns the input flags into dataio options.
func (f *SketchFlags) Parse() (rff.Law, dataio.Options, error) {
	law, err := parseLaw(f.Law)
	if err != nil {
		return 0, dataio.Options{}, err
	}
	o, err := f.readerOptions()
	return law, o, err
}

// readerOptions turns the flags into dataio options.
func (f *SketchFlags) readerOptions() (dataio.Options, error) {
	o := dataio.Options{Columns: f.Columns, Weights: f.Weights, Dim: f.Dim, NoHeader: f.NoHeader, Strict: f.Strict}
	switch f.Format {
	case "", dataio.Parquet, dataio.Npy, dataio.CSV, dataio.TSV:
		o.Format = f.Format
	case "raw-f32", dataio.F32:
		o.Format = dataio.F32
	case "raw-f64", dataio.F64:
		o.Format = dataio.F64
	default:
		return o, Usagef("--format %q: want parquet, npy, csv, tsv, raw-f32 or raw-f64", f.Format)
	}
	switch f.Dtype {
	case "f32":
	case "f64":
		o.Float64 = true
	default:
		return o, Usagef("--dtype %q: want f32 or f64", f.Dtype)
	}
	if f.Delimiter != "" {
		r := []rune(f.Delimiter)
		if f.Delimiter == `\t` {
			r = []rune{'\t'}
		}
		if len(r) != 1 {
			return o, Usagef("--delimiter %q: want one character", f.Delimiter)
		}
		o.Delimiter = r[0]
	}
	return o, nil
}

// parseLaw reads --law: rff's law names, or the short adapted and folded.
func parseLaw(s string) (rff.Law, error) {
	switch strings.ToLower(s) {
	case "adapted", "adapted-radius":
		return rff.AdaptedRadius, nil
	case "gaussian":
		return rff.Gaussian, nil
	case "folded", "folded-gaussian":
		return rff.FoldedGaussian, nil
	}
	return 0, Usagef("--law %q: want adapted, gaussian or folded", s)
}

// SigmaValues returns σ for rows of d values: those of --sigma, or with
// --sigma auto the estimate from the first rows, which sample returns
// row-major (at least limit of them, unless the input ends first). The
// limit keeps the sample within 64 MB.
func (f *SketchFlags) SigmaValues(d int, sample func(limit int) ([]float64, error)) ([]float64, error) {
	if f.Sigma == "auto" {
		x, err := sample(max(100, min(f.SampleRows, (64<<20)/(8*d))))
		if err != nil {
			return nil, err
		}
		if len(x) < 2*d {
			return nil, errors.New("--sigma auto: the input has fewer than 2 rows")
		}
		res, err := solver.EstimateScale(x, d, solver.ScaleOptions{Seed: f.Seed, K: f.K})
		if err != nil {
			return nil, fmt.Errorf("--sigma auto: %w (give --sigma)", err)
		}
		return []float64{math.Sqrt(f.SigmaFactor * res.Sigma2)}, nil
	}
	var sigma []float64
	for _, p := range strings.Split(f.Sigma, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, Usagef("--sigma %q: want auto, a positive number, or %d of them", f.Sigma, d)
		}
		sigma = append(sigma, v)
	}
	if len(sigma) != 1 && len(sigma) != d {
		return nil, Usagef("--sigma has %d values, want 1 or d=%d", len(sigma), d)
	}
	return sigma, nil
}
