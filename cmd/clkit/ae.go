package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/internal/cli"
	"github.com/clkit/clkit/quant/ae"
	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func newAE() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ae",
		Short: "1-bit autoencoders: sign(Bx) codes, trained decoders, denoisers",
		Long: `ae compresses each row x ∈ R^d to n = r·d bits c = sign(Bx) and decodes
them by x̂ = A c, by a denoiser f(A c), or by a small multi-layer decoder
(package quant/ae). Models are safetensors files; codes are .npy arrays of
bytes, numpy's packbits(c > 0, axis=-1, bitorder="little").`,
	}
	cmd.AddCommand(newAETrain(), newAEEncode(), newAEDecode(), newAEReport(), newAETransition())
	return cmd
}

// aeTrainFlags are ae train's options.
type aeTrainFlags struct {
	out, source, decoder, tie, relax string
	rate, p, lr, decLR               float64
	d, steps, decSteps, batch        int
	blocks, hidden, samples, masks   int
	seed                             uint64
	quiet                            bool
}

func newAETrain() *cobra.Command {
	var f aeTrainFlags
	cmd := &cobra.Command{
		Use:   "train [DATA] -o MODEL.safetensors",
		Short: "Train an encoder and a decoder on data or on a synthetic source",
		Long: `train learns B (unit rows) and a decoder. On DATA (.npy, CSV, Parquet, …:
whatever clkit sketch reads) it trains by minibatch Adam through a surrogate
of sign (--relax ste or tanh) and refits the linear decoder by least
squares. Without DATA it trains on a synthetic source (--source gauss or bg
by gradient descent on the exact population loss; rademacher on --samples
drawn rows).

Decoders: linear, affine, bayes (the closed-form Bernoulli-Gaussian
posterior mean, --source bg, or data assumed so with --p; each coordinate's
channel is measured on DATA or on --samples rows), denoised (a
learned coordinate-wise network trained jointly with A) and deep (ours: the
denoised decoder refined by --blocks blocks). The learned ones train on DATA
or on --samples rows of the source.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runAETrain(cmd, args, &f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "model file to write (.safetensors; required)")
	fl.Float64Var(&f.rate, "rate", 1, "code bits per input coordinate (n = rate·d)")
	fl.StringVar(&f.source, "source", "", "synthetic source instead of DATA: gauss, bg or rademacher")
	fl.Float64Var(&f.p, "p", 0.1, "sparsity of the source (probability of a non-zero coordinate)")
	fl.IntVar(&f.d, "d", 100, "dimension of the synthetic source")
	fl.StringVar(&f.decoder, "decoder", "linear", "linear, affine, bayes, denoised or deep")
	fl.IntVar(&f.blocks, "blocks", 2, "deep decoder: refinement blocks")
	fl.IntVar(&f.hidden, "hidden", ae.DefaultHidden, "hidden units of the learned coordinate-wise functions")
	fl.IntVar(&f.steps, "steps", 0, "encoder training steps (0: the library's default)")
	fl.IntVar(&f.decSteps, "decoder-steps", 0, "learned decoder training steps (0: the library's default)")
	fl.IntVar(&f.batch, "batch", 256, "rows per minibatch")
	fl.Float64Var(&f.lr, "lr", 0, "encoder learning rate (0: the library's default)")
	fl.Float64Var(&f.decLR, "decoder-lr", 0, "learned decoder learning rate (0: the library's default)")
	fl.IntVar(&f.masks, "masks", 0, "support masks a step of the population loss (0: default)")
	fl.IntVar(&f.samples, "samples", 20000, "rows drawn from a synthetic source for sample training")
	fl.StringVar(&f.tie, "tie", "plus", "sign(0): plus (+1, a 1-bit code) or zero (ternary)")
	fl.StringVar(&f.relax, "relax", "ste", "surrogate of sign on samples: ste or tanh")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initialisation, masks, batches and drawn rows")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func parseTie(s string) (ae.Tie, error) {
	switch s {
	case "plus":
		return ae.TiePlus, nil
	case "zero":
		return ae.TieZero, nil
	}
	return 0, usagef("--tie %q: want plus or zero", s)
}

func parseRelax(s string) (ae.Relax, error) {
	switch s {
	case "ste":
		return ae.STE, nil
	case "tanh":
		return ae.Tanh, nil
	}
	return 0, usagef("--relax %q: want ste or tanh", s)
}

// dataRows is a whole data file read into memory as float32 rows.
type dataRows struct {
	path    string
	x       []float32 // rows×d, row-major
	d       int
	cols    []string // the file's names of the d columns
	skipped int64    // rows with missing values skipped (0 if strict)
	// nums is each row's 0-based row number in the file, nil when they
	// are 0, 1, … (no row skipped).
	nums []int64
}

func (r *dataRows) rows() int { return len(r.x) / r.d }

// fileRow is the file's row number of row i.
func (r *dataRows) fileRow(i int) int64 {
	if r.nums == nil {
		return int64(i)
	}
	return r.nums[i]
}

// wrap names the file in err, and for an *ae.RowError about row first+Row
// of r (first: where the rows the library saw start) the file's row number
// and column name.
func (r *dataRows) wrap(err error, first int) error {
	var re *ae.RowError
	if errors.As(err, &re) && first+re.Row >= 0 && first+re.Row < r.rows() {
		return cli.RowError(r.path, r.fileRow(first+re.Row), re.Col, r.cols, "", re.Msg)
	}
	return fmt.Errorf("%s: %w", r.path, err)
}

// readRows32 reads a whole data file into memory as float32 rows. With
// strict, a missing value (a Parquet null, an empty CSV cell) is an error,
// as it must be where every row needs its output (ae encode); otherwise
// such rows are skipped and counted.
func readRows32(path string, strict bool) (*dataRows, error) {
	r, err := dataio.Open(path, dataio.Options{Strict: strict})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := &dataRows{path: path, d: r.Dim(), cols: r.Columns()}
	d := out.d
	var b dataio.Block
	for {
		if err := r.Next(&b); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		have := len(out.x) / d
		if out.nums == nil && (len(b.RowNums) > 0 || b.FirstRow != int64(have)) {
			out.nums = make([]int64, have, 2*have+b.Rows)
			for i := range out.nums {
				out.nums[i] = int64(i)
			}
		}
		if out.nums != nil {
			for i := range b.Rows {
				out.nums = append(out.nums, b.Row(i))
			}
		}
		out.x = append(out.x, b.X32[:b.Rows*d]...)
	}
	if len(out.x) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	out.skipped = r.Skipped()
	return out, nil
}

// skippedNote is " (N with missing values skipped)", or "" for none.
func skippedNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d with missing values skipped)", n)
}

// checkRate refuses a rate that gives no code bits in dimension d.
func checkRate(flag string, rate float64, d int) error {
	if math.Round(rate*float64(d)) < 1 {
		return usagef("--%s %v gives no code bits for d = %d", flag, rate, d)
	}
	return nil
}

func runAETrain(cmd *cobra.Command, args []string, f *aeTrainFlags) error {
	if f.out == "" {
		return usagef("-o: the model file must be given")
	}
	tie, err := parseTie(f.tie)
	if err != nil {
		return err
	}
	relax, err := parseRelax(f.relax)
	if err != nil {
		return err
	}
	switch f.decoder {
	case "linear", "affine", "bayes", "denoised", "deep":
	default:
		return usagef("--decoder %q: want linear, affine, bayes, denoised or deep", f.decoder)
	}
	if (len(args) == 1) == (f.source != "") {
		return usagef("give DATA or --source, not both or neither")
	}
	switch {
	case !(f.rate > 0) || math.IsInf(f.rate, 0):
		return usagef("--rate must be positive")
	case f.batch < 1 || f.samples < 1 || f.hidden < 1 || f.blocks < 1:
		return usagef("--batch, --samples, --hidden and --blocks must be positive")
	case f.blocks > 16:
		return usagef("--blocks %d: want at most 16", f.blocks)
	case f.steps < 0 || f.decSteps < 0 || f.masks < 0 || !(f.lr >= 0) || !(f.decLR >= 0):
		return usagef("--steps, --decoder-steps, --masks, --lr and --decoder-lr must not be negative")
	}
	// The options are all checked here, before any training: what the
	// library refuses after this is a runtime error (exit 1), not a usage
	// error.
	var (
		data *dataRows // DATA, if given
		x    []float32 // rows for the learned decoders
		d    int
		src  ae.Source
	)
	if len(args) == 1 {
		if data, err = readRows32(args[0], false); err != nil {
			return err
		}
		x, d = data.x, data.d
		src = ae.Source{Law: ae.BernoulliGaussian, P: f.p} // for --decoder bayes
	} else {
		law, err := ae.ParseLaw(f.source)
		if err != nil {
			return usageError{err}
		}
		src, d = ae.Source{Law: law, P: f.p}, f.d
		if d < 1 {
			return usagef("--d must be positive")
		}
		if f.decoder == "bayes" && law != ae.BernoulliGaussian {
			return usagef("--decoder bayes is the Bernoulli-Gaussian posterior mean: use --source bg, or DATA with --p")
		}
	}
	if err := checkRate("rate", f.rate, d); err != nil {
		return err
	}
	if ((data == nil && src.Law != ae.Gaussian) || f.decoder == "bayes") && !(f.p > 0 && f.p <= 1) {
		return usagef("--p must be in (0, 1]")
	}
	affine := f.decoder == "affine"
	bar := newStepBar(cmd.ErrOrStderr(), "training", 0, f.quiet)
	progress := func(step, steps int, loss float64) {
		if bar != nil && step == 1 {
			bar.bar.SetTotal(int64(steps), false)
			bar.bar.SetCurrent(0)
		}
		bar.step(fmt.Sprintf("loss %.4f", loss))
	}
	meta := map[string]string{"clkit.train.seed": strconv.FormatUint(f.seed, 10), "clkit.train.decoder": f.decoder}
	t0 := time.Now()
	var (
		m    *ae.Model
		what string
		mse  float64
	)
	so := ae.SampleOptions{Rate: f.rate, Steps: f.steps, Batch: f.batch, LR: f.lr, Relax: relax, Affine: affine, Tie: tie, Seed: f.seed, Progress: progress}
	if data != nil {
		meta["clkit.train.data"] = args[0]
		var rep *ae.SampleReport
		if m, rep, err = ae.TrainSamples(x, d, so); err != nil {
			bar.finish(false)
			return data.wrap(err, 0)
		}
		what, mse = fmt.Sprintf("%d rows of %s%s", data.rows(), args[0], skippedNote(data.skipped)), rep.MSE
	} else {
		law := src.Law
		meta["clkit.train.source"] = src.String()
		if law == ae.SparseRademacher || f.decoder == "denoised" || f.decoder == "deep" {
			if x, err = src.Sample(f.samples, d, f.seed^0x5a3d); err != nil {
				bar.finish(false)
				return err
			}
		}
		if law == ae.SparseRademacher {
			var rep *ae.SampleReport
			if m, rep, err = ae.TrainSamples(x, d, so); err != nil {
				bar.finish(false)
				return err
			}
			mse = rep.MSE
		} else {
			var rep *ae.PopulationReport
			m, rep, err = ae.TrainPopulation(src, ae.PopulationOptions{D: d, Rate: f.rate, Steps: f.steps, LR: f.lr,
				Masks: f.masks, Affine: affine, Tie: tie, Seed: f.seed, Progress: progress})
			if err != nil {
				bar.finish(false)
				return err
			}
			mse = rep.MSERefit
		}
		what = src.String() + " (population)"
		if law == ae.SparseRademacher {
			what = fmt.Sprintf("%d rows of %s", f.samples, src)
		}
	}
	switch f.decoder {
	case "bayes":
		// each coordinate's channel: a trained encoder spreads them unevenly
		var ch []ae.Channel
		if x != nil {
			ch, err = ae.EstimateChannels(m, x)
		} else {
			rows, serr := src.Sample(f.samples, d, f.seed^0xc4a2)
			if serr != nil {
				bar.finish(false)
				return serr
			}
			ch, err = ae.EstimateChannels(m, rows)
			x = rows
		}
		if err == nil {
			m, err = m.WithBayesChannels(src.P, ch)
		}
		if err == nil {
			mse, err = m.MSE(x)
		}
	case "denoised", "deep":
		blocks := 0
		if f.decoder == "deep" {
			blocks = f.blocks
		}
		var rep *ae.DecoderReport
		m, rep, err = ae.TrainDecoder(m, x, ae.DecoderOptions{Blocks: blocks, Hidden: f.hidden, Steps: f.decSteps,
			Batch: f.batch, LR: f.decLR, Seed: f.seed + 1, Progress: progress})
		if err == nil {
			mse = rep.MSE
		}
	}
	bar.finish(err == nil)
	if err != nil {
		return err
	}
	meta["clkit.train.mse"] = strconv.FormatFloat(mse, 'g', 6, 64)
	if err := m.Save(f.out, meta); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "clkit: ae: d = %d, %d bits a row (r = %.3g, sign(0) %s), %s decoder, training MSE %.4f on %s, %.1f s → %s\n",
		m.D(), m.N(), m.Rate(), tieName(m.Tie()), m.Kind(), mse, what, time.Since(t0).Seconds(), f.out)
	return nil
}

func tieName(t ae.Tie) string {
	if t == ae.TieZero {
		return "= 0, ternary"
	}
	return "= +1"
}

func newAEEncode() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "encode MODEL DATA -o CODES.npy",
		Short: "Encode rows to packed sign bits",
		Long: `encode writes the codes of DATA's rows as a uint8 .npy array of shape
(rows, ⌈n/8⌉): bit j of a row is byte j/8, bit j%8 (numpy's
unpackbits(codes, axis=-1, bitorder="little")[:, :n] gives the bits, 1 for
+1). A ternary model (sign(0) = 0) writes shape (rows, 2, ⌈n/8⌉): the sign
bits, then the support (bit 1 where Bx ≠ 0).`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("-o: the codes file must be given")
			}
			m, _, err := ae.Load(args[0])
			if err != nil {
				return err
			}
			// strict: a row skipped for a missing value would shift every
			// later row's code
			data, err := readRows32(args[1], true)
			if err != nil {
				return err
			}
			if data.d != m.D() {
				return usagef("%s: %d columns, the model encodes d = %d", args[1], data.d, m.D())
			}
			c, err := m.Encode(data.x)
			if err != nil {
				return data.wrap(err, 0)
			}
			if err := writeAtomic(out, func(w io.Writer) error { return writeCodesNpy(w, c) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "clkit: ae: %d rows → %d bits each (%d bytes) → %s\n", c.Rows, c.Bits, c.Rows*codeBytes(c.Bits, c.Support != nil), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "codes file to write (.npy; required)")
	return cmd
}

func newAEDecode() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "decode MODEL CODES.npy -o ROWS.npy",
		Short: "Decode packed codes to rows",
		Long:  `decode reads codes written by clkit ae encode and writes the decoded rows as float64 .npy.`,
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("-o: the output file must be given")
			}
			m, _, err := ae.Load(args[0])
			if err != nil {
				return err
			}
			c, err := readCodesNpy(args[1], m.N())
			if err != nil {
				return err
			}
			xh, err := m.Decode(c)
			if err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			x64 := make([]float64, len(xh))
			for i, v := range xh {
				x64[i] = float64(v)
			}
			if err := writeAtomic(out, func(w io.Writer) error { return writeNpy(w, x64, c.Rows, m.D()) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "clkit: ae: %d rows decoded (%s decoder) → %s\n", c.Rows, m.Kind(), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "rows file to write (.npy; required)")
	return cmd
}

// codeBytes is the bytes of one row's code in the .npy file.
func codeBytes(bits int, ternary bool) int {
	b := (bits + 7) / 8
	if ternary {
		b *= 2
	}
	return b
}

// writeCodesNpy writes c as uint8 .npy (version 1.0): (rows, ⌈n/8⌉), or
// (rows, 2, ⌈n/8⌉) with the support plane.
func writeCodesNpy(w io.Writer, c *ae.Codes) error {
	nb := (c.Bits + 7) / 8
	shape := fmt.Sprintf("(%d, %d)", c.Rows, nb)
	planes := [][]uint64{c.Sign}
	if c.Support != nil {
		shape = fmt.Sprintf("(%d, 2, %d)", c.Rows, nb)
		planes = append(planes, c.Support)
	}
	header := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': %s, }", shape)
	total := 10 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	bw := bufio.NewWriter(w)
	bw.WriteString("\x93NUMPY\x01\x00")
	binary.Write(bw, binary.LittleEndian, uint16(len(header)))
	bw.WriteString(header)
	W := c.Words()
	row := make([]byte, 8*W)
	for r := range c.Rows {
		for _, pl := range planes {
			for q, v := range pl[r*W : (r+1)*W] {
				binary.LittleEndian.PutUint64(row[8*q:], v)
			}
			bw.Write(row[:nb])
		}
	}
	return bw.Flush()
}

var (
	npyDescr = regexp.MustCompile(`'descr':\s*'([<>|=]?u1)'`)
	npyShape = regexp.MustCompile(`'shape':\s*\(([0-9,\s]*)\)`)
	npyOrder = regexp.MustCompile(`'fortran_order':\s*False`)
)

// readCodesNpy reads codes of n bits written by writeCodesNpy (or numpy).
func readCodesNpy(path string, n int) (*ae.Codes, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	if len(data) < 10 || string(data[:6]) != "\x93NUMPY" {
		return nil, bad("not a .npy file")
	}
	var hlen, off int
	switch data[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(data[8:])), 10
	case 2, 3:
		if len(data) < 12 {
			return nil, bad("truncated header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(data[8:])), 12
	default:
		return nil, bad("unknown .npy version %d", data[6])
	}
	if off+hlen > len(data) {
		return nil, bad("truncated header")
	}
	header := string(data[off : off+hlen])
	body := data[off+hlen:]
	if !npyDescr.MatchString(header) || !npyOrder.MatchString(header) {
		return nil, bad("codes must be a C-order uint8 array (header %s)", strings.TrimSpace(header))
	}
	shape := npyShape.FindStringSubmatch(header)
	if shape == nil {
		return nil, bad("no shape in header %s", strings.TrimSpace(header))
	}
	var dims []int
	for _, s := range strings.Split(shape[1], ",") {
		if s = strings.TrimSpace(s); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				return nil, bad("bad shape in %s", header)
			}
			dims = append(dims, v)
		}
	}
	nb := (n + 7) / 8
	c := &ae.Codes{Bits: n}
	switch {
	case len(dims) == 2 && dims[1] == nb:
	case len(dims) == 3 && dims[1] == 2 && dims[2] == nb:
	default:
		return nil, bad("shape %v: want (rows, %d) or (rows, 2, %d) for %d-bit codes", dims, nb, nb, n)
	}
	c.Rows = dims[0]
	planes := 1
	if len(dims) == 3 {
		planes = 2
	}
	if len(body) != c.Rows*planes*nb {
		return nil, bad("%d bytes of data for shape %v", len(body), dims)
	}
	W := c.Words()
	c.Sign = make([]uint64, c.Rows*W)
	if planes == 2 {
		c.Support = make([]uint64, c.Rows*W)
	}
	word := make([]byte, 8*W)
	for r := range c.Rows {
		for p, pl := range [][]uint64{c.Sign, c.Support}[:planes] {
			clear(word)
			at := (r*planes + p) * nb
			copy(word, body[at:at+nb])
			for q := range W {
				pl[r*W+q] = binary.LittleEndian.Uint64(word[8*q:])
			}
		}
	}
	return c, nil
}

// aeReportFlags are ae report's options.
type aeReportFlags struct {
	rates, sources, png string
	p                   float64
	d, steps, samples   int
	learned, deep, json bool
	seed                uint64
}

func newAEReport() *cobra.Command {
	var f aeReportFlags
	cmd := &cobra.Command{
		Use:   "report [DATA]",
		Short: "Table and plot of the MSE against the rate",
		Long: `report trains a model at each rate and tabulates the MSE per coordinate.

Without DATA, on synthetic sources (--sources gauss,bg): the Gaussian optimum
1 − 2r/π, gradient descent on the exact population loss (Gaussian and
Bernoulli-Gaussian, linear decoder), and on 5000 held-out rows the
Bernoulli-Gaussian closed-form Bayes denoiser (and with --learned the
learned denoiser, with --deep our multi-layer decoder, trained on --samples
rows). With DATA: encoders trained on 80% of the rows (sample GD), the MSE
on the other 20% for the affine decoder, --learned and --deep (rows with
missing values are skipped, and counted in the title).

--png draws the table.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runAEReport(cmd, args, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.rates, "rates", "0.25,0.5,0.75,1", "rates r (code bits per coordinate), separated by commas")
	fl.StringVar(&f.sources, "sources", "gauss,bg", "synthetic sources without DATA: gauss, bg")
	fl.Float64Var(&f.p, "p", 0.1, "sparsity of the Bernoulli-Gaussian source")
	fl.IntVar(&f.d, "d", 100, "dimension of the synthetic sources")
	fl.IntVar(&f.steps, "steps", 0, "training steps (0: the library's defaults)")
	fl.IntVar(&f.samples, "samples", 20000, "rows for the learned decoders")
	fl.BoolVar(&f.learned, "learned", false, "also train the learned denoiser")
	fl.BoolVar(&f.deep, "deep", false, "also train the multi-layer decoder (2 blocks)")
	fl.StringVar(&f.png, "png", "", "plot of the MSE against the rate")
	fl.BoolVar(&f.json, "json", false, "one JSON object per rate instead of the table")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of everything random")
	return cmd
}

func parseFloats(flag, s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, usagef("--%s %q: want positive numbers separated by commas", flag, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// reportTable is a table of MSEs: one column per series, one row per rate.
type reportTable struct {
	title  string
	series []string
	rates  []float64
	mse    [][]float64 // [rate][series], NaN for not computed
}

func (t *reportTable) add(rate float64, values map[string]float64) {
	row := make([]float64, len(t.series))
	for i, s := range t.series {
		row[i] = math.NaN()
		if v, ok := values[s]; ok {
			row[i] = v
		}
	}
	t.rates = append(t.rates, rate)
	t.mse = append(t.mse, row)
}

func (t *reportTable) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for i, r := range t.rates {
			v := map[string]any{"rate": r}
			for j, s := range t.series {
				if !math.IsNaN(t.mse[i][j]) {
					v[s] = t.mse[i][j]
				}
			}
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(w, "%s\nMSE per coordinate\n", t.title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "rate\t")
	for _, s := range t.series {
		fmt.Fprintf(tw, "%s\t", s)
	}
	fmt.Fprintln(tw)
	for i, r := range t.rates {
		fmt.Fprintf(tw, "%.3g\t", r)
		for _, v := range t.mse[i] {
			if math.IsNaN(v) {
				fmt.Fprint(tw, "—\t")
			} else {
				fmt.Fprintf(tw, "%.4f\t", v)
			}
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func runAEReport(cmd *cobra.Command, args []string, f *aeReportFlags) error {
	rates, err := parseFloats("rates", f.rates)
	if err != nil {
		return err
	}
	if f.d < 1 || f.samples < 2 || f.steps < 0 {
		return usagef("--d and --samples must be positive, --steps not negative")
	}
	if len(args) == 0 {
		for _, r := range rates {
			if err := checkRate("rates", r, f.d); err != nil {
				return err
			}
		}
	}
	t := &reportTable{}
	if len(args) == 1 {
		err = reportData(t, args[0], rates, f)
	} else {
		err = reportSynthetic(t, rates, f)
	}
	if err != nil {
		return err
	}
	if err := t.write(cmd.OutOrStdout(), f.json); err != nil {
		return err
	}
	if f.png != "" {
		return plotReport(f.png, t)
	}
	return nil
}

func reportSynthetic(t *reportTable, rates []float64, f *aeReportFlags) error {
	var gauss, bg bool
	for _, s := range strings.Split(f.sources, ",") {
		switch strings.TrimSpace(s) {
		case "gauss":
			gauss = true
		case "bg":
			bg = true
		default:
			return usagef("--sources %q: want gauss and/or bg", f.sources)
		}
	}
	srcBG := ae.Source{Law: ae.BernoulliGaussian, P: f.p}
	bgGD := fmt.Sprintf("bg(%g) GD", f.p)
	t.title = fmt.Sprintf("synthetic sources, d = %d, sign(0) = +1", f.d)
	if gauss {
		t.series = append(t.series, "1−2r/π", "gauss GD")
	}
	var train, test []float32
	if bg {
		if !(f.p > 0 && f.p <= 1) {
			return usagef("--p must be in (0, 1]")
		}
		t.series = append(t.series, bgGD, "bg Bayes", "bg rot.+Bayes")
		if f.learned {
			t.series = append(t.series, "bg learned")
		}
		if f.deep {
			t.series = append(t.series, "bg deep")
		}
		var err error
		if train, err = srcBG.Sample(f.samples, f.d, f.seed+10); err != nil {
			return err
		}
		if test, err = srcBG.Sample(5000, f.d, f.seed+11); err != nil {
			return err
		}
	}
	for _, r := range rates {
		v := map[string]float64{}
		if gauss {
			if r <= 1 {
				v["1−2r/π"] = ae.GaussianMSE(r)
			}
			_, rep, err := ae.TrainPopulation(ae.Source{Law: ae.Gaussian}, ae.PopulationOptions{D: f.d, Rate: r, Steps: f.steps, Seed: f.seed})
			if err != nil {
				return err
			}
			v["gauss GD"] = rep.MSERefit
		}
		if bg {
			m, rep, err := ae.TrainPopulation(srcBG, ae.PopulationOptions{D: f.d, Rate: r, Steps: f.steps, Seed: f.seed})
			if err != nil {
				return err
			}
			v[bgGD] = rep.MSERefit
			// each coordinate's channel: GD spreads them unevenly at r < 1
			ch, err := ae.EstimateChannels(m, train)
			if err != nil {
				return err
			}
			mb, err := m.WithBayesChannels(f.p, ch)
			if err != nil {
				return err
			}
			if v["bg Bayes"], err = mb.MSE(test); err != nil {
				return err
			}
			if n := int(math.Round(r * float64(f.d))); n <= f.d { // the notes' table: a rotation
				rot, err := ae.RotationModel(f.d, n, f.seed+4)
				if err == nil {
					rot, err = rot.WithBayes(ae.BayesBG{P: f.p, Channel: ae.RotationChannel(float64(n) / float64(f.d))})
				}
				if err == nil {
					v["bg rot.+Bayes"], err = rot.MSE(test)
				}
				if err != nil {
					return err
				}
			}
			if err := learnedMSEs(v, m, train, test, f, "bg "); err != nil {
				return err
			}
		}
		t.add(r, v)
	}
	return nil
}

// learnedMSEs adds the held-out MSE of the learned and deep decoders.
func learnedMSEs(v map[string]float64, m *ae.Model, train, test []float32, f *aeReportFlags, prefix string) error {
	if !f.learned && !f.deep {
		return nil
	}
	md, _, err := ae.TrainDecoder(m, train, ae.DecoderOptions{Steps: f.steps, Seed: f.seed + 2})
	if err != nil {
		return err
	}
	if f.learned {
		if v[prefix+"learned"], err = md.MSE(test); err != nil {
			return err
		}
	}
	if f.deep {
		mdeep, _, err := ae.TrainDecoder(md, train, ae.DecoderOptions{Blocks: 2, Steps: f.steps, Seed: f.seed + 3})
		if err != nil {
			return err
		}
		if v[prefix+"deep"], err = mdeep.MSE(test); err != nil {
			return err
		}
	}
	return nil
}

func reportData(t *reportTable, path string, rates []float64, f *aeReportFlags) error {
	data, err := readRows32(path, false)
	if err != nil {
		return err
	}
	x, d := data.x, data.d
	for _, r := range rates {
		if err := checkRate("rates", r, d); err != nil {
			return err
		}
	}
	rows := len(x) / d
	cut := rows * 4 / 5
	if cut < 1 || cut == rows {
		return fmt.Errorf("%s: %d rows are too few to hold some out", path, rows)
	}
	train, test := x[:cut*d], x[cut*d:]
	t.title = fmt.Sprintf("%s: d = %d, %d training rows, %d held out%s, sign(0) = +1", path, d, cut, rows-cut, skippedNote(data.skipped))
	// the affine decoder (x̂ = A c + β: TrainSamples with Affine)
	t.series = []string{"affine"}
	if f.learned {
		t.series = append(t.series, "learned")
	}
	if f.deep {
		t.series = append(t.series, "deep")
	}
	for _, r := range rates {
		m, _, err := ae.TrainSamples(train, d, ae.SampleOptions{Rate: r, Steps: f.steps, Affine: true, Seed: f.seed})
		if err != nil {
			return data.wrap(err, 0)
		}
		v := map[string]float64{}
		if v["affine"], err = m.MSE(test); err != nil {
			return data.wrap(err, cut)
		}
		if err := learnedMSEs(v, m, train, test, f, ""); err != nil {
			return err
		}
		t.add(r, v)
	}
	return nil
}

var reportColors = []color.Color{
	color.RGBA{R: 30, G: 30, B: 30, A: 255}, color.RGBA{R: 30, G: 90, B: 200, A: 255},
	color.RGBA{R: 200, G: 40, B: 40, A: 255}, color.RGBA{R: 40, G: 150, B: 60, A: 255},
	color.RGBA{R: 150, G: 60, B: 170, A: 255}, color.RGBA{R: 220, G: 130, B: 20, A: 255},
}

// plotReport draws each series of t against the rate.
func plotReport(path string, t *reportTable) error {
	p := plot.New()
	p.Title.Text = t.title
	p.X.Label.Text = "rate r (code bits per coordinate)"
	p.Y.Label.Text = "MSE per coordinate"
	p.Y.Min = 0
	for j, s := range t.series {
		var pts plotter.XYs
		for i, r := range t.rates {
			if v := t.mse[i][j]; !math.IsNaN(v) {
				pts = append(pts, plotter.XY{X: r, Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		c := reportColors[j%len(reportColors)]
		l.Color, sc.Color = c, c
		if strings.Contains(s, "π") {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l, sc)
		p.Legend.Add(s, l, sc)
	}
	p.Legend.Top = true
	return savePlots(path, []*plot.Plot{p}, 7*vg.Inch, 5*vg.Inch)
}

// savePlots writes the panels side by side into a PNG.
func savePlots(path string, panels []*plot.Plot, w, h vg.Length) error {
	c := vgimg.New(vg.Length(len(panels))*w, h)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(10)}
	for i, cv := range plot.Align([][]*plot.Plot{panels}, tiles, dc)[0] {
		panels[i].Draw(cv)
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

// aeTransitionFlags are ae transition's options.
type aeTransitionFlags struct {
	out, ps                         string
	d, points, seeds, steps, trainN int
	affine, json, quiet             bool
}

func newAETransition() *cobra.Command {
	var f aeTransitionFlags
	cmd := &cobra.Command{
		Use:   "transition -o PLOT.png",
		Short: "The rotation-versus-identity transition on sparse Rademacher data",
		Long: `transition trains encoder and decoder by sample gradient descent from a
random init on sparse Rademacher data (x_i ∈ {0, ±1/√p}, r = 1) over a grid
of sparsities p, several seeds each, and tabulates the held-out MSE and the
learned encoder's structure scores: ‖BBᵀ − I‖_F/√n (0 for a rotation) and
the mean over rows of max |b_ij| (1 for a permutation). The plot shows them
with the theory: 1 − 2/π for a rotation, 1 − p (coordinate-wise linear) and
1/2 − p/(4 − 2p) (affine) for the identity, crossing at p* = 2/π and ≈ 0.429.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runAETransition(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "plot to write (.png; required)")
	fl.IntVar(&f.d, "d", 100, "dimension")
	fl.IntVar(&f.points, "points", 20, "sparsities p = 1/points, 2/points, …, 1")
	fl.StringVar(&f.ps, "p", "", "explicit sparsities, separated by commas (instead of --points)")
	fl.IntVar(&f.seeds, "seeds", 5, "runs per sparsity")
	fl.IntVar(&f.steps, "steps", 1500, "training steps per run")
	fl.IntVar(&f.trainN, "train", 20000, "training rows per run (5000 more are held out)")
	fl.BoolVar(&f.affine, "affine", false, "affine decoder (x̂ = A c + β)")
	fl.BoolVar(&f.json, "json", false, "one JSON object per run instead of the table")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func runAETransition(cmd *cobra.Command, f *aeTransitionFlags) error {
	if f.out == "" {
		return usagef("-o: the plot file must be given")
	}
	if f.d < 2 || f.points < 1 || f.seeds < 1 || f.steps < 1 || f.trainN < 2 {
		return usagef("--d and --train must be at least 2, --points, --seeds and --steps positive")
	}
	var ps []float64
	if f.ps != "" {
		var err error
		if ps, err = parseFloats("p", f.ps); err != nil {
			return err
		}
		for _, p := range ps {
			if p > 1 {
				return usagef("--p %v: sparsities must be in (0, 1]", p)
			}
		}
	} else {
		for i := 1; i <= f.points; i++ {
			ps = append(ps, float64(i)/float64(f.points))
		}
	}
	bar := newStepBar(cmd.ErrOrStderr(), "runs", int64(len(ps)*f.seeds), f.quiet)
	t0 := time.Now()
	pts, err := ae.Transition(ae.TransitionOptions{D: f.d, Ps: ps, Seeds: f.seeds, Train: f.trainN,
		Sample:   ae.SampleOptions{Steps: f.steps, Affine: f.affine},
		Progress: func(done, total int) { bar.step(fmt.Sprintf("%d/%d", done, total)) }})
	bar.finish(err == nil)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(w)
		for _, pt := range pts {
			if err := enc.Encode(map[string]any{"p": pt.P, "seed": pt.Seed, "mse": pt.MSE, "rotation_score": pt.Scores.Rotation,
				"identity_score": pt.Scores.Identity, "theory_rotation": pt.Rotation, "theory_identity": pt.Identity}); err != nil {
				return err
			}
		}
	} else {
		dec := "linear"
		if f.affine {
			dec = "affine"
		}
		fmt.Fprintf(w, "sparse Rademacher, d = %d, r = 1, %s decoder, %d seeds a point, %d steps (%.0f s)\n", f.d, dec, f.seeds, f.steps, time.Since(t0).Seconds())
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "p\tMSE mean\tmin\tmax\trotation score\tidentity score\t1−2/π\tidentity (coord.)\t")
		for _, g := range groupByP(pts) {
			fmt.Fprintf(tw, "%.3f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t\n", g.p, g.mean, g.min, g.max, g.rot, g.id, g.theoryRot, g.theoryID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "crossings p*: coordinate-wise linear %.3f, affine %.3f\n", ae.CrossingP(false), ae.CrossingP(true))
	}
	return plotTransition(f.out, pts, f)
}

// transitionGroup summarises the runs at one sparsity.
type transitionGroup struct {
	p, mean, min, max, rot, id, theoryRot, theoryID float64
}

func groupByP(pts []ae.TransitionPoint) []transitionGroup {
	var gs []transitionGroup
	for i := 0; i < len(pts); {
		j := i
		g := transitionGroup{p: pts[i].P, min: math.Inf(1), max: math.Inf(-1), theoryRot: pts[i].Rotation, theoryID: pts[i].Identity}
		for ; j < len(pts) && pts[j].P == pts[i].P; j++ {
			g.mean += pts[j].MSE
			g.min, g.max = min(g.min, pts[j].MSE), max(g.max, pts[j].MSE)
			g.rot += pts[j].Scores.Rotation
			g.id += pts[j].Scores.Identity
		}
		k := float64(j - i)
		g.mean, g.rot, g.id = g.mean/k, g.rot/k, g.id/k
		gs = append(gs, g)
		i = j
	}
	return gs
}

func plotTransition(path string, pts []ae.TransitionPoint, f *aeTransitionFlags) error {
	gs := groupByP(pts)
	if len(gs) == 0 {
		return errors.New("no runs")
	}
	mseP := plot.New()
	mseP.Title.Text = fmt.Sprintf("GD from random init, sparse Rademacher, d = %d, r = 1", f.d)
	mseP.X.Label.Text = "p (probability of a non-zero coordinate)"
	mseP.Y.Label.Text = "held-out MSE per coordinate"
	mseP.X.Min, mseP.X.Max, mseP.Y.Min = 0, 1, 0
	theory := func(fn func(p float64) float64) plotter.XYs {
		var xy plotter.XYs
		for i := 0; i <= 100; i++ {
			p := float64(i) / 100
			xy = append(xy, plotter.XY{X: p, Y: fn(p)})
		}
		return xy
	}
	addLine := func(pl *plot.Plot, xy plotter.XYs, c color.Color, dashed bool, name string) error {
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = c
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		pl.Add(l)
		pl.Legend.Add(name, l)
		return nil
	}
	idLin := func(p float64) float64 {
		v, _ := ae.IdentityMSE(ae.Source{Law: ae.SparseRademacher, P: max(p, 1e-9)}, false)
		return v
	}
	idAff := func(p float64) float64 {
		v, _ := ae.IdentityMSE(ae.Source{Law: ae.SparseRademacher, P: max(p, 1e-9)}, true)
		return v
	}
	for _, l := range []struct {
		fn     func(float64) float64
		c      color.Color
		name   string
		dashed bool
	}{
		{func(float64) float64 { return ae.GaussianMSE(1) }, reportColors[0], "rotation 1 − 2/π", true},
		{idLin, reportColors[2], "identity, coordinate-wise linear 1 − p", true},
		{idAff, reportColors[4], "identity, affine 1/2 − p/(4 − 2p)", true},
	} {
		if err := addLine(mseP, theory(l.fn), l.c, l.dashed, l.name); err != nil {
			return err
		}
	}
	var runs, means plotter.XYs
	for _, pt := range pts {
		runs = append(runs, plotter.XY{X: pt.P, Y: pt.MSE})
	}
	for _, g := range gs {
		means = append(means, plotter.XY{X: g.p, Y: g.mean})
	}
	sc, err := plotter.NewScatter(runs)
	if err != nil {
		return err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: reportColors[1], Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
	mseP.Add(sc)
	mseP.Legend.Add("GD runs", sc)
	if err := addLine(mseP, means, reportColors[1], false, "GD mean"); err != nil {
		return err
	}
	for _, ps := range []float64{ae.CrossingP(false), ae.CrossingP(true)} {
		l, err := plotter.NewLine(plotter.XYs{{X: ps, Y: 0}, {X: ps, Y: 1}})
		if err != nil {
			return err
		}
		l.Color = color.Gray{Y: 160}
		l.Dashes = []vg.Length{vg.Points(1), vg.Points(3)}
		mseP.Add(l)
	}
	mseP.Y.Max = 1.05
	mseP.Legend.Top = true

	scoreP := plot.New()
	scoreP.Title.Text = "structure of the learned B"
	scoreP.X.Label.Text = "p"
	scoreP.Y.Label.Text = "score"
	scoreP.X.Min, scoreP.X.Max, scoreP.Y.Min, scoreP.Y.Max = 0, 1, 0, 1.25
	var rot, id plotter.XYs
	for _, g := range gs {
		rot = append(rot, plotter.XY{X: g.p, Y: g.rot})
		id = append(id, plotter.XY{X: g.p, Y: g.id})
	}
	if err := addLine(scoreP, id, reportColors[3], false, "identity score: mean max_j |b_ij| (1: permutation)"); err != nil {
		return err
	}
	if err := addLine(scoreP, rot, reportColors[5], false, "rotation score: ‖BBᵀ − I‖_F/√n (0: orthonormal)"); err != nil {
		return err
	}
	rr := math.Sqrt(2 * math.Log(float64(f.d)) / float64(f.d))
	if err := addLine(scoreP, plotter.XYs{{X: 0, Y: rr}, {X: 1, Y: rr}}, reportColors[3], true, "√(2 ln d / d): a random rotation"); err != nil {
		return err
	}
	scoreP.Legend.Top = true
	scoreP.Legend.Left = true
	return savePlots(path, []*plot.Plot{mseP, scoreP}, 6*vg.Inch, 5*vg.Inch)
}
