package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
	"github.com/clkit/clkit/solver"
	"github.com/spf13/cobra"
	"gonum.org/v1/plot/plotter"
)

// model is a decoded k-means or GMM, as written by -o.
type model struct {
	Model     string      `json:"model"` // "kmeans" or "gmm"
	K         int         `json:"k"`
	D         int         `json:"d"`
	Weights   []float64   `json:"weights"`
	Centroids [][]float64 `json:"centroids,omitempty"` // kmeans
	Means     [][]float64 `json:"means,omitempty"`     // gmm
	Variances [][]float64 `json:"variances,omitempty"` // gmm, diagonal
	Residual  float64     `json:"residual"`            // ‖z − model sketch‖ / ‖z‖
	Sketch    sketchInfo  `json:"sketch"`
	Seconds   float64     `json:"seconds"`
}

// centres returns the centroids or means.
func (m *model) centres() [][]float64 {
	if m.Model == "gmm" {
		return m.Means
	}
	return m.Centroids
}

func rowsOf(a []float64, d int) [][]float64 {
	out := make([][]float64, len(a)/d)
	for i := range out {
		out[i] = a[i*d : (i+1)*d : (i+1)*d]
	}
	return out
}

// table is the model as rows: weight, centre (then variances for a GMM).
func (m *model) table() (header []string, rows [][]float64) {
	header = []string{"weight"}
	prefix := "x"
	if m.Model == "gmm" {
		prefix = "mean_"
	}
	for k := range m.D {
		header = append(header, prefix+strconv.Itoa(k))
	}
	if m.Model == "gmm" {
		for k := range m.D {
			header = append(header, "var_"+strconv.Itoa(k))
		}
	}
	for i, c := range m.centres() {
		row := append([]float64{m.Weights[i]}, c...)
		if m.Model == "gmm" {
			row = append(row, m.Variances[i]...)
		}
		rows = append(rows, row)
	}
	return header, rows
}

func (m *model) write(w io.Writer, format string) error {
	switch format {
	case "json":
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(m)
	case "npy":
		header, rows := m.table()
		var flat []float64
		for _, r := range rows {
			flat = append(flat, r...)
		}
		return writeNpy(w, flat, len(rows), len(header))
	default:
		header, rows := m.table()
		cw := csv.NewWriter(w)
		cw.Write(header)
		for _, r := range rows {
			rec := make([]string, len(r))
			for i, v := range r {
				rec[i] = strconv.FormatFloat(v, 'g', -1, 64)
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}
}

// modelFlags are the flags kmeans and gmm share.
type modelFlags struct {
	k, replicates, workers int
	seed                   uint64
	out, plot, data        string
	dims                   []int
}

func (f *modelFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVarP(&f.k, "k", "k", 0, "number of clusters / components (required)")
	fl.IntVar(&f.replicates, "replicates", 5, "independent CL-OMPR runs; the smallest sketch residual wins")
	fl.IntVar(&f.workers, "workers", 0, "goroutines over replicates (0 = all cores)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed of the decoder")
	fl.StringVarP(&f.out, "output", "o", "", "write the model to this file (.csv, .json or .npy); default CSV on stdout")
	fl.StringVar(&f.plot, "plot", "", "draw the model over a 2-D view into this PNG")
	fl.StringVar(&f.data, "data", "", "with --plot, also draw a sample of these rows (any input clkit sketch reads)")
	fl.IntSliceVar(&f.dims, "dims", []int{0, 1}, "with --plot, the two dimensions to draw")
}

func (f *modelFlags) check(d int) error {
	if f.k <= 0 {
		return usagef("-k: the number of clusters must be given and positive")
	}
	if f.replicates <= 0 {
		return usagef("--replicates must be positive")
	}
	var err error
	if f.out != "" {
		_, err = outputFormat(f.out)
	}
	if err == nil && f.plot != "" {
		if len(f.dims) != 2 || f.dims[0] < 0 || f.dims[1] < 0 || f.dims[0] >= d || f.dims[1] >= d || (d > 1 && f.dims[0] == f.dims[1]) {
			err = usagef("--dims %v: want two different dimensions in [0, %d)", f.dims, d)
		}
	}
	return err
}

// emit writes the model (-o or stdout) and the plot.
func (f *modelFlags) emit(cmd *cobra.Command, m *model) error {
	if f.plot != "" {
		var pts plotter.XYs
		if f.data != "" {
			var err error
			if pts, err = samplePoints(f.data, m.D, f.dims, 20000); err != nil {
				return err
			}
		}
		if err := plotModel(f.plot, m, pts, f.dims, nil, ""); err != nil {
			return err
		}
	}
	if f.out == "" {
		return m.write(cmd.OutOrStdout(), "csv")
	}
	format, _ := outputFormat(f.out)
	if err := writeAtomic(f.out, func(w io.Writer) error { return m.write(w, format) }); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "clkit: %s: K=%d, residual %.4g, %.2f s → %s\n", m.Model, m.K, m.Residual, m.Seconds, f.out)
	return nil
}

// newDecodeCommand builds kmeans and gmm: read the sketch, check the
// flags, decode (fit fills the model's parameters), write.
func newDecodeCommand(use, short, long string, fit func(s *rff.Sketch, f *modelFlags, m *model) error) *cobra.Command {
	var f modelFlags
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sf, err := openSketch(args[0])
			if err != nil {
				return err
			}
			s := sf.smooth()
			d := s.Frequencies().D()
			if err := f.check(d); err != nil {
				return err
			}
			t0 := time.Now()
			m := &model{K: f.k, D: d, Sketch: summarize(sf)}
			if err := fit(s, &f, m); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			m.Seconds = time.Since(t0).Seconds()
			return f.emit(cmd, m)
		},
	}
	f.register(cmd)
	return cmd
}

func newKMeans() *cobra.Command {
	return newDecodeCommand("kmeans SKETCH",
		"Decode K centroids from a sketch file (compressive k-means, CL-OMPR)",
		`kmeans fits K centroids and their weights to the sketch alone. Centroids
are searched inside the data's bounding box, recorded in the sketch file.

Output (-o): CSV with columns weight,x0,..; JSON; or .npy, a K×(1+d)
float64 array [weight, centroid].`,
		func(s *rff.Sketch, f *modelFlags, m *model) error {
			res, err := solver.KMeans(s, f.k, solver.KMeansOptions{Replicates: f.replicates, Workers: f.workers, Seed: f.seed})
			m.Model, m.Weights, m.Centroids, m.Residual = "kmeans", res.Weights, rowsOf(res.Centroids, m.D), res.Residual
			return err
		})
}

func newGMM() *cobra.Command {
	return newDecodeCommand("gmm SKETCH",
		"Decode a K-component diagonal Gaussian mixture from a sketch file",
		`gmm fits K Gaussians with diagonal covariances, and their weights, to the
sketch alone (CL-OMPR with Gaussian atoms), inside the data's bounding box.

Output (-o): CSV with columns weight,mean_0..,var_0..; JSON; or .npy, a
K×(1+2d) float64 array [weight, mean, variances].`,
		func(s *rff.Sketch, f *modelFlags, m *model) error {
			res, err := solver.GMM(s, f.k, solver.GMMOptions{Replicates: f.replicates, Workers: f.workers, Seed: f.seed})
			m.Model, m.Weights, m.Means, m.Variances, m.Residual = "gmm", res.Weights, rowsOf(res.Means, m.D), rowsOf(res.Variances, m.D), res.Residual
			return err
		})
}

// sketchFile is a sketch file of either kind.
type sketchFile struct {
	path string
	s    *rff.Sketch   // a complex-exponential sketch, or
	q    *quant.Sketch // a 1-bit one
}

// openSketch reads a sketch file of either kind (by its magic); errors name
// the file.
func openSketch(path string) (*sketchFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	magic := make([]byte, 8)
	_, err = io.ReadFull(f, magic)
	f.Close()
	if err == nil && string(magic) == "CLKQSKCH" {
		q, err := quant.ReadFile(path)
		return &sketchFile{path: path, q: q}, err
	}
	s, err := rff.ReadFile(path)
	return &sketchFile{path: path, s: s}, err
}

// smooth is the sketch the decoders fit: the sketch itself, or for a 1-bit
// sketch its smooth estimate (asymmetric decoding).
func (f *sketchFile) smooth() *rff.Sketch {
	if f.q != nil {
		return f.q.Smooth()
	}
	return f.s
}

func (f *sketchFile) kind() string {
	if f.q != nil {
		return "quantized-1bit"
	}
	return "complex-exponential"
}

// readSketch reads a sketch file of either kind as the sketch to decode.
func readSketch(path string) (*rff.Sketch, error) {
	f, err := openSketch(path)
	if err != nil {
		return nil, err
	}
	return f.smooth(), nil
}
