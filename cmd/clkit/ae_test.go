package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clkit/clkit/quant/ae"
	"github.com/parquet-go/parquet-go"
)

// TestAECommands: ae train on a data file → encode → decode gives what the
// library gives for the saved model, bit for bit, and the codes file holds
// the sign bits in numpy's packbits layout.
func TestAECommands(t *testing.T) {
	dir := t.TempDir()
	data, model := filepath.Join(dir, "x.npy"), filepath.Join(dir, "m.safetensors")
	codes, rows := filepath.Join(dir, "c.npy"), filepath.Join(dir, "xh.npy")
	src := ae.Source{Law: ae.BernoulliGaussian, P: 0.2}
	x, err := src.Sample(600, 12, 1)
	if err != nil {
		t.Fatal(err)
	}
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	if err := writeAtomic(data, func(w io.Writer) error { return writeNpy(w, x64, 600, 12) }); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "ae", "train", data, "-o", model, "--rate", "1.5", "--steps", "30", "--decoder", "denoised",
		"--decoder-steps", "20", "--hidden", "4", "--seed", "3", "-q"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "ae", "encode", model, data, "-o", codes); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "ae", "decode", model, codes, "-o", rows); err != nil {
		t.Fatal(err)
	}
	m, meta, err := ae.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.N() != 18 || m.Kind() != "denoised" || meta["clkit.train.data"] != data {
		t.Errorf("model: n = %d, kind %s, meta %v", m.N(), m.Kind(), meta)
	}
	c, err := m.Encode(x)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := readCodesNpy(codes, m.N())
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.Rows != 600 || !equalWords(fromFile.Sign, c.Sign) {
		t.Fatal("codes file differs from the library's codes")
	}
	raw, _ := os.ReadFile(codes)
	if !strings.Contains(string(raw[:128]), "'shape': (600, 3)") || !strings.Contains(string(raw[:128]), "|u1") {
		t.Errorf("codes header %q", raw[:128])
	}
	want, _ := m.Decode(c)
	got, d := readRows(t, rows)
	if d != 12 || len(got) != len(want) {
		t.Fatalf("decoded %d values of d = %d", len(got), d)
	}
	for i, v := range want {
		if got[i] != float64(v) {
			t.Fatalf("decoded value %d: %v, library %v", i, got[i], v)
		}
	}
}

func equalWords(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAESynthetic: training on synthetic sources (the population loss for
// Bernoulli-Gaussian with the Bayes denoiser, ternary codes) and the
// report's table, JSON and plot.
func TestAESynthetic(t *testing.T) {
	dir := t.TempDir()
	model, data, codes, rows := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "x.npy"), filepath.Join(dir, "c.npy"), filepath.Join(dir, "r.npy")
	if _, err := run(t, "ae", "train", "--source", "bg", "--p", "0.2", "--d", "16", "--steps", "20", "--decoder", "bayes",
		"--samples", "500", "-o", model, "-q"); err != nil {
		t.Fatal(err)
	}
	m, _, err := ae.Load(model)
	if err != nil || m.Kind() != "bayes" {
		t.Fatalf("model %v: %v", m, err)
	}
	// ternary codes: two planes in the file
	if _, err := run(t, "ae", "train", "--source", "gauss", "--d", "8", "--steps", "5", "--tie", "zero", "-o", model, "-q"); err != nil {
		t.Fatal(err)
	}
	x, _ := ae.Source{Law: ae.BernoulliGaussian, P: 0.3}.Sample(50, 8, 2)
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	writeAtomic(data, func(w io.Writer) error { return writeNpy(w, x64, 50, 8) })
	if _, err := run(t, "ae", "encode", model, data, "-o", codes); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(codes); !strings.Contains(string(raw[:128]), "(50, 2, 1)") {
		t.Errorf("ternary codes header %q", raw[:128])
	}
	if _, err := run(t, "ae", "decode", model, codes, "-o", rows); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "report.png")
	out, err := run(t, "ae", "report", "--d", "16", "--steps", "30", "--rates", "0.5,1", "--png", png)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1−2r/π", "gauss GD", "bg(0.1) GD", "bg Bayes", "0.3634"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Errorf("report plot: %v", err)
	}
	out, err = run(t, "ae", "report", "--sources", "gauss", "--d", "8", "--steps", "50", "--rates", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]float64
	if err := json.Unmarshal([]byte(out), &v); err != nil || math.Abs(v["gauss GD"]-ae.GaussianMSE(1)) > 0.01 || v["rate"] != 1 {
		t.Errorf("JSON report %q: %v", out, err)
	}
}

// TestAETransition: a tiny transition run writes its table and plot.
func TestAETransition(t *testing.T) {
	png := filepath.Join(t.TempDir(), "t.png")
	out, err := run(t, "ae", "transition", "--d", "8", "--p", "0.3,0.9", "--seeds", "1", "--steps", "100", "--train", "500", "-o", png, "-q")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"identity score", "0.900", "crossings p*: coordinate-wise linear 0.637, affine 0.429"} {
		if !strings.Contains(out, want) {
			t.Errorf("transition table lacks %q:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Errorf("transition plot: %v", err)
	}
}

// TestAEBadUsage: mistakes are usage errors, bad files runtime errors.
func TestAEBadUsage(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if _, err := run(t, "ae", "train", "--source", "gauss", "--d", "4", "--steps", "2", "-o", model, "-q"); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "x.npy")
	writeNpyFile(t, data, make([]float64, 40), 10, 4)
	bogus := filepath.Join(dir, "bogus.npy")
	os.WriteFile(bogus, []byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}"), 0o644)
	for _, c := range []struct {
		args  []string
		usage bool
	}{
		{[]string{"ae", "train", "--source", "gauss"}, true},
		{[]string{"ae", "train", "-o", model}, true},
		{[]string{"ae", "train", "--source", "nope", "-o", model}, true},
		{[]string{"ae", "train", "--source", "gauss", "--decoder", "magic", "-o", model}, true},
		{[]string{"ae", "train", "--source", "gauss", "--decoder", "bayes", "--steps", "1", "-o", model, "-q"}, true},
		{[]string{"ae", "train", "--source", "bg", "--p", "2", "-o", model}, true},
		{[]string{"ae", "train", "--source", "gauss", "--tie", "half", "-o", model}, true},
		{[]string{"ae", "report", "--rates", "0,1"}, true},
		{[]string{"ae", "report", "--rates", "0.01", "--d", "8"}, true},
		{[]string{"ae", "train", "--source", "gauss", "--d", "8", "--rate", "0.01", "-o", model}, true},
		{[]string{"ae", "train", data, "--rate", "0.01", "-o", model}, true},
		{[]string{"ae", "train", data, "--decoder", "deep", "--blocks", "17", "-o", model}, true},
		{[]string{"ae", "transition"}, true},
		{[]string{"ae", "transition", "--p", "0.5,2", "-o", filepath.Join(dir, "t.png")}, true},
		{[]string{"ae", "decode", model, bogus, "-o", filepath.Join(dir, "o.npy")}, false},
		{[]string{"ae", "encode", bogus, bogus, "-o", filepath.Join(dir, "o.npy")}, false},
	} {
		_, err := run(t, c.args...)
		if err == nil {
			t.Errorf("%v accepted", c.args)
			continue
		}
		if got := exitCode(err) == exitUsage; got != c.usage {
			t.Errorf("%v: %v (usage error %v, want %v)", c.args, err, got, c.usage)
		}
	}
}

func writeNpyFile(t *testing.T, path string, x []float64, rows, d int) {
	t.Helper()
	if err := writeAtomic(path, func(w io.Writer) error { return writeNpy(w, x, rows, d) }); err != nil {
		t.Fatal(err)
	}
}

// runStderr is run also returning what the command wrote to stderr.
func runStderr(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot()
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

// aeRows are rows × d Bernoulli-Gaussian values.
func aeRows(t *testing.T, rows, d int) []float64 {
	t.Helper()
	x, err := ae.Source{Law: ae.BernoulliGaussian, P: 0.3}.Sample(rows, d, 5)
	if err != nil {
		t.Fatal(err)
	}
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	return x64
}

// TestAEMissingValues: a CSV row with an empty cell is skipped, and
// counted, by ae train, but ae encode refuses it (skipping it would shift
// every later row's code) naming the file's row and column.
func TestAEMissingValues(t *testing.T) {
	dir := t.TempDir()
	x := aeRows(t, 60, 3)
	var sb strings.Builder
	sb.WriteString("a,b,c\n")
	for i := range 60 {
		if i == 17 {
			fmt.Fprintf(&sb, "%v,,%v\n", x[3*i], x[3*i+2])
			continue
		}
		fmt.Fprintf(&sb, "%v,%v,%v\n", x[3*i], x[3*i+1], x[3*i+2])
	}
	csv, model, codes := filepath.Join(dir, "x.csv"), filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "c.npy")
	os.WriteFile(csv, []byte(sb.String()), 0o644)
	_, stderr, err := runStderr(t, "ae", "train", csv, "-o", model, "--steps", "5", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "59 rows of "+csv+" (1 with missing values skipped)") {
		t.Errorf("ae train does not report the skipped row: %q", stderr)
	}
	_, err = run(t, "ae", "encode", model, csv, "-o", codes)
	if err == nil {
		c, _ := readCodesNpy(codes, 3)
		t.Fatalf("ae encode skipped the row with a missing value (codes of %d rows for 60)", c.Rows)
	}
	for _, want := range []string{"x.csv", "row 17", `"b"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(codes); err == nil {
		t.Error("codes written")
	}
}

type aePoint struct {
	U float64  `parquet:"u"`
	V *float64 `parquet:"v,optional"`
}

// TestAERowErrors: a NaN is reported with the file's row number (counting
// skipped rows) and the column's name, in ae train, encode and report.
func TestAERowErrors(t *testing.T) {
	dir := t.TempDir()
	// Parquet: a null at row 3 (skipped by train), a NaN at row 10
	x := aeRows(t, 50, 2)
	var pts []aePoint
	for i := range 50 {
		p := aePoint{U: x[2*i]}
		switch i {
		case 3:
		case 10:
			v := math.NaN()
			p.V = &v
		default:
			p.V = &x[2*i+1]
		}
		pts = append(pts, p)
	}
	pq := filepath.Join(dir, "x.parquet")
	f, _ := os.Create(pq)
	pw := parquet.NewGenericWriter[aePoint](f)
	pw.Write(pts)
	pw.Close()
	f.Close()
	model := filepath.Join(dir, "m.safetensors")
	_, err := run(t, "ae", "train", pq, "-o", model, "--steps", "5", "-q")
	if err == nil {
		t.Fatal("NaN accepted")
	}
	for _, want := range []string{"x.parquet", "row 10", `column "v"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ae train: error %q lacks %q", err, want)
		}
	}
	if exitCode(err) == exitUsage {
		t.Errorf("ae train: bad data is a usage error: %v", err)
	}

	// .npy: NaN at row 90 of 100, in report's held-out rows
	y := aeRows(t, 100, 3)
	y[3*90+2] = math.NaN()
	npy := filepath.Join(dir, "y.npy")
	writeNpyFile(t, npy, y, 100, 3)
	_, err = run(t, "ae", "report", npy, "--rates", "1", "--steps", "3")
	if err == nil || !strings.Contains(err.Error(), "row 90") || !strings.Contains(err.Error(), `column "2"`) {
		t.Errorf("ae report: error %v, want row 90, column \"2\"", err)
	}
	y[3*90+2] = 0
	writeNpyFile(t, filepath.Join(dir, "clean.npy"), y, 100, 3)
	if _, err := run(t, "ae", "train", filepath.Join(dir, "clean.npy"), "-o", model, "--steps", "3", "-q"); err != nil {
		t.Fatal(err)
	}
	y[3*42+1] = math.Inf(1)
	writeNpyFile(t, npy, y, 100, 3)
	_, err = run(t, "ae", "encode", model, npy, "-o", filepath.Join(dir, "c.npy"))
	if err == nil || !strings.Contains(err.Error(), "y.npy: row 42") || !strings.Contains(err.Error(), `column "1"`) {
		t.Errorf("ae encode: error %v, want y.npy: row 42, column \"1\"", err)
	}
}

// TestAEReportData: on data, report's first series is the affine decoder
// it trains, and is named so.
func TestAEReportData(t *testing.T) {
	npy := filepath.Join(t.TempDir(), "x.npy")
	writeNpyFile(t, npy, aeRows(t, 200, 4), 200, 4)
	out, err := run(t, "ae", "report", npy, "--rates", "1", "--steps", "5", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]float64
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if _, ok := v["affine"]; !ok || len(v) != 2 {
		t.Errorf("report on data: %q, want the rate and an affine series", out)
	}
}

// TestAETransitionD: --d must be at least 2, and the error says so.
func TestAETransitionD(t *testing.T) {
	_, err := run(t, "ae", "transition", "--d", "1", "-o", filepath.Join(t.TempDir(), "t.png"))
	if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--d and --train must be at least 2") {
		t.Errorf("--d 1: %v", err)
	}
}
