package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clkit/clkit/beam/internal/testfiles"
	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
	"github.com/clkit/clkit/solver"
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	testfiles.Cleanup()
	os.Exit(code)
}

func mixture(n, d, k int, seed uint64) []float32 { return testfiles.Mixture(n, d, k, 6, seed) }

var writeNpy = testfiles.WriteNpy

func writeParquet(t *testing.T, path string, x []float32) {
	testfiles.WriteParquet(t, path, x, 8, 4000)
}

// parts writes x as `files` files through write and returns their paths.
func parts(t *testing.T, dir, ext string, x []float32, d, files int, write func(string, []float32)) []string {
	return testfiles.Parts(t, dir, ext, x, d, testfiles.Even(len(x)/d, files), write)
}

// clkitBeam runs the command line and returns the exit code and stderr.
func clkitBeam(args ...string) (int, string) {
	var out, errs bytes.Buffer
	code := run(args, &out, &errs)
	return code, errs.String()
}

var readAll = testfiles.ReadAll

func maxDiff(a, b, c, d []float64) float64 {
	var w float64
	for j := range a {
		w = max(w, math.Abs(a[j]-c[j]), math.Abs(b[j]-d[j]))
	}
	return w
}

// clkit-beam sketch on prism, end to end: --sigma auto from the first rows,
// the written file read back with rff.ReadFile, equal to the one-process
// sketch of the same rows, and decoded by k-means as clkit kmeans does.
func TestSketchNpySigmaAuto(t *testing.T) {
	const d, k = 4, 5
	dir := t.TempDir()
	x := mixture(90000, d, k, 1)
	files := parts(t, dir, "npy", x, d, 9, func(p string, x []float32) { writeNpy(t, p, x, d) })
	out := filepath.Join(t.TempDir(), "all.sk")
	code, stderr := clkitBeam("sketch", "--input", filepath.Join(dir, "*.npy"), "--m", "300", "--k", "5",
		"--seed", "7", "--sample-rows", "25000", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "90000 rows (0 skipped) from 9 files") {
		t.Errorf("summary: %s", stderr)
	}
	got, err := rff.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// σ from the first 25000 rows, in whole blocks as clkit sketch reads
	// them: the first three files of 10000 rows.
	var sample []float64
	readAll(t, files[:3], dataio.Options{}, func(b *dataio.Block) {
		for _, v := range b.X32 {
			sample = append(sample, float64(v))
		}
	})
	est, err := solver.EstimateScale(sample, d, solver.ScaleOptions{Seed: 7, K: k})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Frequencies().Params()
	want := rff.Params{Law: rff.AdaptedRadius, D: d, M: 300, Sigma: []float64{math.Sqrt(2 * est.Sigma2)}, Seed: 7}
	if !p.Equal(want) {
		t.Fatalf("params %+v, want %+v", p, want)
	}
	f, _ := rff.NewFrequencies(want)
	ref := rff.NewSketch(f)
	readAll(t, files, dataio.Options{}, func(b *dataio.Block) { ref.AddF32(b.X32, nil) })
	if got.Rows() != ref.Rows() || got.Rows() != 90000 {
		t.Fatalf("rows %d, want %d", got.Rows(), ref.Rows())
	}
	gr, gi := got.Z()
	rr, ri := ref.Z()
	if diff := maxDiff(gr, gi, rr, ri); diff > 1e-12 {
		t.Fatalf("normalised sketches differ by %.3g", diff)
	}
	lo, hi, ok := got.Box()
	if !ok {
		t.Fatal("no bounding box in the file")
	}
	res, err := solver.KMeans(got, k, solver.KMeansOptions{Lower: lo, Upper: hi, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Centroids) != k*d {
		t.Fatalf("%d centroid values, want %d", len(res.Centroids), k*d)
	}
}

// The 1-bit sketch of chosen Parquet columns, with σ given: identical to
// the one-process sketch.
func TestSketchParquetQuant(t *testing.T) {
	dir := t.TempDir()
	x := mixture(40000, 8, 3, 2)
	files := parts(t, dir, "parquet", x, 8, 8, func(p string, x []float32) { writeParquet(t, p, x) })
	out := filepath.Join(dir, "q.sk")
	code, stderr := clkitBeam("sketch", "--input", filepath.Join(dir, "part-*.parquet"), "--format", "parquet",
		"--columns", "x0,x3,x7", "--quant", "--m", "128", "--sigma", "1.5,2,2.5", "--law", "gaussian",
		"--batch-threads", "0", "--quiet", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet printed %q", stderr)
	}
	got, err := quant.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rff.NewFrequencies(rff.Params{Law: rff.Gaussian, D: 3, M: 128, Sigma: []float64{1.5, 2, 2.5}, Seed: 1})
	ref, _ := quant.NewSketch(f)
	readAll(t, files, dataio.Options{Columns: []string{"x0", "x3", "x7"}}, func(b *dataio.Block) { ref.AddF32(b.X32, nil) })
	gc, gs, gn := got.Counts()
	rc, rs, rn := ref.Counts()
	if gn != rn || gn != 40000 || fmt.Sprint(gc, gs) != fmt.Sprint(rc, rs) {
		t.Fatalf("counts differ: %d rows vs %d", gn, rn)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	x := mixture(4000, 2, 2, 3)
	for i := range 8 {
		writeNpy(t, filepath.Join(dir, fmt.Sprintf("p%d.npy", i)), x[i*1000:(i+1)*1000], 2)
	}
	bad := append([]float32(nil), x[:1000]...)
	bad[2*321+1] = float32(math.Inf(1))
	writeNpy(t, filepath.Join(dir, "p8.npy"), bad, 2)
	glob := filepath.Join(dir, "*.npy")
	outDir := t.TempDir()
	out := filepath.Join(outDir, "out.sk")
	for _, c := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"sketch", "-o", out}, 2, "needs --input"},
		{[]string{"sketch", "--input", glob}, 2, "needs --input 'GLOB' and -o"},
		{[]string{"sketch", "--input", glob, "-o", out, "--bogus"}, 2, "unknown flag"},
		{[]string{"sketch", "--input", glob, "-o", out, "--format", "xls"}, 2, "--format"},
		{[]string{"sketch", "--input", glob, "-o", out, "--runner", "nowhere"}, 2, "--runner"},
		{[]string{"sketch", "--input", glob, "-o", out, "extra.npy"}, 2, "no arguments"},
		{[]string{"sketch", "--input", glob, "-o", out, "--", "--no_such_beam_flag=1"}, 2, "Beam option"},
		{[]string{"sketch", "--input", glob, "-o", out, "--sigma", "1,2,3"}, 2, "d=2"},
		{[]string{"sketch", "--input", filepath.Join(dir, "*.csv"), "-o", out}, 1, "no files match"},
		{[]string{"sketch", "--input", glob, "-o", filepath.Join(dir, "no", "such", "dir", "o.sk")}, 1, "no such file"},
		{[]string{"sketch", "--input", glob, "-o", out, "--sigma", "1"}, 1, `p8.npy: row 321, column "1": value +Inf is not finite`},
	} {
		code, stderr := clkitBeam(c.args...)
		if code != c.code || !strings.Contains(stderr, c.say) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", c.args, code, c.code, c.say, stderr)
		}
		if left, _ := os.ReadDir(outDir); len(left) != 0 {
			t.Fatalf("%v left %v", c.args, left)
		}
	}
}

func TestWorkerMode(t *testing.T) {
	for args, want := range map[string]bool{
		"--worker --id=1 --control_endpoint=localhost:1": true,
		"-worker=true":                          true,
		"sketch --input x -o y":                 false,
		"sketch --input x -o y -- --worker":     false,
		"sketch --input worker -o y --workerss": false,
	} {
		if got := workerMode(strings.Fields(args)); got != want {
			t.Errorf("workerMode(%s) = %v", args, got)
		}
	}
}

// CSV files, whole files a split: rows with a missing value are skipped and
// counted (the job's counters), or fail the job with --strict.
func TestSketchCSVSkipped(t *testing.T) {
	dir := t.TempDir()
	for i := range 8 {
		var sb strings.Builder
		sb.WriteString("a,b\n")
		for r := range 100 {
			if i == 5 && r == 42 {
				sb.WriteString("1.5,\n")
				continue
			}
			fmt.Fprintf(&sb, "%d,%d\n", r, i)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%d.csv", i)), []byte(sb.String()), 0o644)
	}
	out := filepath.Join(dir, "c.sk")
	code, stderr := clkitBeam("sketch", "--input", filepath.Join(dir, "*.csv"), "--sigma", "3", "--m", "64", "-o", out)
	if code != 0 || !strings.Contains(stderr, "799 rows (1 skipped) from 8 files") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	os.Remove(out)
	code, stderr = clkitBeam("sketch", "--input", filepath.Join(dir, "*.csv"), "--sigma", "3", "--strict", "-o", out)
	if code != 1 || !strings.Contains(stderr, `p5.csv:44: row 42, column "b"`) {
		t.Fatalf("--strict: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("--strict: a sketch was written")
	}
}

// clkit-beam sketch on prism of a data set cut into 9 files equals the
// clkit sketch (the main module's command, built from this checkout) of
// the same rows in one file, run with the same flags: for .npy (in row
// ranges) and Parquet, both sketch kinds, with σ estimated by both from
// all the rows. The files hold multiples of 256 rows, so that rff's
// float32 kernel sums the same runs of rows in both (see the package doc);
// the normalised sketches then agree to 1e-12 and the 1-bit counts are
// identical.
func TestMatchesClkitSketch(t *testing.T) {
	const d = 10
	sizes := []int{40, 3, 77, 1, 64, 20, 33, 50, 12} // ×256 rows
	n := 0
	for i := range sizes {
		sizes[i] *= 256
		n += sizes[i]
	}
	x := testfiles.Mixture(n, d, 5, 4, 11)
	clkit := testfiles.Clkit(t)
	for _, format := range []string{"npy", "parquet"} {
		dir := t.TempDir()
		write := func(p string, x []float32) { testfiles.WriteNpy(t, p, x, d) }
		if format == "parquet" {
			write = func(p string, x []float32) { testfiles.WriteParquet(t, p, x, d, 3000) }
		}
		testfiles.Parts(t, dir, format, x, d, sizes, write)
		all := filepath.Join(t.TempDir(), "all."+format)
		write(all, x)
		for _, quantized := range []bool{false, true} {
			name := format + "/complex"
			flags := []string{"--m", "500", "--seed", "7", "--k", "5", "--quiet"}
			if quantized {
				name = format + "/1-bit"
				flags = append(flags, "--quant")
			}
			t.Run(name, func(t *testing.T) {
				out := t.TempDir()
				ref, got := filepath.Join(out, "ref.sk"), filepath.Join(out, "beam.sk")
				testfiles.Run(t, clkit, append([]string{"sketch", all, "-o", ref}, flags...)...)
				args := append([]string{"sketch", "--input", filepath.Join(dir, "part-*."+format), "-o", got,
					"--split-rows", "1"}, flags...) // .npy: one block a split
				if code, stderr := clkitBeam(args...); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				compareFiles(t, got, ref, quantized, int64(n))
			})
		}
	}
}

// compareFiles fails unless the sketch files got and want have the same
// frequencies, rows and box, the same normalised sketch within 1e-12, and
// for 1-bit sketches the same counts.
func compareFiles(t *testing.T, got, want string, quantized bool, rows int64) {
	t.Helper()
	var gs, ws *rff.Sketch
	if quantized {
		g, err := quant.ReadFile(got)
		if err != nil {
			t.Fatal(err)
		}
		w, err := quant.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		gc, gsin, gn := g.Counts()
		wc, wsin, wn := w.Counts()
		if gn != wn || fmt.Sprint(gc, gsin) != fmt.Sprint(wc, wsin) {
			t.Fatalf("1-bit counts differ (%d rows vs %d)", gn, wn)
		}
		gs, ws = g.Smooth(), w.Smooth()
	} else {
		var err error
		if gs, err = rff.ReadFile(got); err != nil {
			t.Fatal(err)
		}
		if ws, err = rff.ReadFile(want); err != nil {
			t.Fatal(err)
		}
	}
	if gp, wp := gs.Frequencies().Params(), ws.Frequencies().Params(); !gp.Equal(wp) {
		t.Fatalf("frequencies: %+v, want %+v", gp, wp)
	}
	if gs.Rows() != rows || ws.Rows() != rows {
		t.Fatalf("rows: %d, want %d (clkit sketch: %d)", gs.Rows(), rows, ws.Rows())
	}
	glo, ghi, _ := gs.Box()
	wlo, whi, _ := ws.Box()
	if fmt.Sprint(glo, ghi) != fmt.Sprint(wlo, whi) {
		t.Fatalf("box: %v %v, want %v %v", glo, ghi, wlo, whi)
	}
	gr, gi := gs.Z()
	wr, wi := ws.Z()
	diff := maxDiff(gr, gi, wr, wi)
	if !(diff <= 1e-12) {
		t.Fatalf("normalised sketches differ by %.3g", diff)
	}
	t.Logf("max |Δz| = %.3g", diff)
}
