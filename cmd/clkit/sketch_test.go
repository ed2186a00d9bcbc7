package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
	"github.com/clkit/clkit/solver"
	"github.com/parquet-go/parquet-go"
)

// mixtureRows: n rows of three separated 2-D clusters.
func mixtureRows(n int) []float64 {
	x := make([]float64, 2*n)
	centres := [][2]float64{{0, 0}, {8, 0}, {0, 8}}
	for i := range n {
		c := centres[i%3]
		// Deterministic spread without a random generator: a low-discrepancy
		// pattern around each centre.
		a, r := 2.399963*float64(i), 0.7*math.Sqrt(float64(i%97)/97)
		x[2*i], x[2*i+1] = c[0]+r*math.Cos(a), c[1]+r*math.Sin(a)
	}
	return x
}

func writeInputs(t *testing.T, dir string, x []float64) (npy, csv string) {
	t.Helper()
	npy = filepath.Join(dir, "x.npy")
	var b bytes.Buffer
	if err := writeNpy(&b, x, len(x)/2, 2); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(npy, b.Bytes(), 0o644)
	csv = filepath.Join(dir, "x.csv")
	var c strings.Builder
	c.WriteString("u,v,label\n")
	for i := 0; i < len(x); i += 2 {
		fmt.Fprintf(&c, "%s,%s,%d\n", strconv.FormatFloat(x[i], 'g', -1, 64), strconv.FormatFloat(x[i+1], 'g', -1, 64), i%3)
	}
	os.WriteFile(csv, []byte(c.String()), 0o644)
	return
}

func TestSketchCommandMatchesAPI(t *testing.T) {
	dir := t.TempDir()
	x := mixtureRows(30000)
	npy, csv := writeInputs(t, dir, x)
	f, _ := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 2, M: 90, Sigma: []float64{1}, Seed: 4})
	ref := rff.NewSketch(f)
	ref.AddF64(x, nil)
	zr, zi := ref.Z()

	outs := map[string]string{}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"npy-1", []string{npy, "--threads", "1"}},
		{"npy-3", []string{npy, "--threads", "3"}},
		{"csv", []string{csv, "--columns", "u,v"}},
		{"stdin", []string{"-", "--format", "npy"}},
		{"raw", []string{rawPath(t, dir, x), "--format", "raw-f64", "--dim", "2"}},
	} {
		out := filepath.Join(dir, c.name+".sk")
		args := append([]string{"sketch", "--m", "90", "--sigma", "1", "--seed", "4", "--dtype", "f64", "--quiet", "-o", out}, c.args...)
		var err error
		if c.name == "stdin" {
			in, _ := os.Open(npy)
			err = runWithStdin(t, in, args...)
			in.Close()
		} else {
			_, err = run(t, args...)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		s, err := rff.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if s.Rows() != 30000 || s.Frequencies().Fingerprint() != f.Fingerprint() {
			t.Fatalf("%s: %d rows, fingerprint %x", c.name, s.Rows(), s.Frequencies().Fingerprint())
		}
		gr, gi := s.Z()
		for j := range zr {
			if math.Abs(gr[j]-zr[j]) > 1e-12 || math.Abs(gi[j]-zi[j]) > 1e-12 {
				t.Fatalf("%s: z[%d] = (%v, %v), API (%v, %v)", c.name, j, gr[j], gi[j], zr[j], zi[j])
			}
		}
		b, _ := os.ReadFile(out)
		outs[c.name] = string(b)
	}
	if outs["npy-1"] != outs["npy-3"] || outs["npy-1"] != outs["stdin"] {
		t.Error("the sketch depends on the number of threads or on the input path")
	}
	// Decoding the CLI's sketch gives the API's centroids.
	s, _ := rff.ReadFile(filepath.Join(dir, "npy-1.sk"))
	lo, hi, _ := ref.Box()
	want, _ := solver.KMeans(ref, 3, solver.KMeansOptions{Lower: lo, Upper: hi, Seed: 1})
	got, _ := solver.KMeans(s, 3, solver.KMeansOptions{Seed: 1})
	for i := range want.Centroids {
		if math.Abs(got.Centroids[i]-want.Centroids[i]) > 1e-6 {
			t.Fatalf("centroids %v, API %v", got.Centroids, want.Centroids)
		}
	}
	// Two halves merged equal the whole.
	half := len(x) / 2
	npyA, _ := writeInputs(t, t.TempDir(), x[:half])
	npyB, _ := writeInputs(t, t.TempDir(), x[half:])
	for i, in := range []string{npyA, npyB} {
		if _, err := run(t, "sketch", "--m", "90", "--sigma", "1", "--seed", "4", "--dtype", "f64", "--quiet", "-o", filepath.Join(dir, fmt.Sprintf("h%d.sk", i)), in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := run(t, "merge", filepath.Join(dir, "h0.sk"), filepath.Join(dir, "h1.sk"), "-o", filepath.Join(dir, "h.sk")); err != nil {
		t.Fatal(err)
	}
	m, _ := rff.ReadFile(filepath.Join(dir, "h.sk"))
	gr, _ := m.Z()
	for j := range zr {
		if math.Abs(gr[j]-zr[j]) > 1e-12 {
			t.Fatalf("merged halves: z[%d] = %v, whole %v", j, gr[j], zr[j])
		}
	}
}

// rawPath writes x as raw little-endian float64 values.
func rawPath(t *testing.T, dir string, x []float64) string {
	p := filepath.Join(dir, "x.bin")
	b := make([]byte, 0, 8*len(x))
	for _, v := range x {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runWithStdin(t *testing.T, in *os.File, args ...string) error {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot()
	root.SetIn(in)
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	return root.Execute()
}

func TestSketchAutoSigma(t *testing.T) {
	dir := t.TempDir()
	npy, _ := writeInputs(t, dir, mixtureRows(20000))
	out := filepath.Join(dir, "a.sk")
	if _, err := run(t, "sketch", "--m", "100", "--k", "3", "--quiet", "-o", out, npy); err != nil {
		t.Fatal(err)
	}
	s, err := rff.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Cluster variance of the pattern: E r²/2 = 0.49/4 per dimension.
	sig := s.Frequencies().Params().Sigma[0]
	if s2 := sig * sig / 2; s2 < 0.06 || s2 > 0.25 {
		t.Errorf("auto σ² / 2 = %.4g, want about 0.12", s2)
	}
	if s.Rows() != 20000 {
		t.Errorf("%d rows", s.Rows())
	}
}

func TestSketchBadInput(t *testing.T) {
	dir := t.TempDir()
	x := mixtureRows(5000)
	npy, csv := writeInputs(t, dir, x)
	raw, _ := os.ReadFile(csv)
	lines := strings.Split(string(raw), "\n")
	lines[1234] = "1.5,NaN,0"
	nanCSV := filepath.Join(dir, "nan.csv")
	os.WriteFile(nanCSV, []byte(strings.Join(lines, "\n")), 0o644)
	lines[1234] = "1.5,0"
	ragged := filepath.Join(dir, "ragged.csv")
	os.WriteFile(ragged, []byte(strings.Join(lines, "\n")), 0o644)
	b, _ := os.ReadFile(npy)
	trunc := filepath.Join(dir, "trunc.npy")
	os.WriteFile(trunc, b[:len(b)-20], 0o644)
	out := filepath.Join(dir, "out.sk")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{nanCSV, "--columns", "u,v"}, []string{"nan.csv", "row 1233", `"v"`}},
		{[]string{ragged}, []string{"ragged.csv", "row 1233"}},
		{[]string{csv, "--columns", "u,w"}, []string{"x.csv", `"w"`}},
		{[]string{trunc}, []string{"trunc.npy"}},
	} {
		_, err := run(t, append([]string{"sketch", "--m", "50", "--sigma", "1", "--quiet", "-o", out}, c.args...)...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", c.args, err, w)
			}
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: output written", c.args)
		}
	}
}

type pqPoint struct {
	U     float64  `parquet:"u"`
	V     float64  `parquet:"v"`
	W     *float64 `parquet:"w,optional"`
	Label string   `parquet:"label"`
}

// Parquet with a nullable weights column, 1-bit and smooth sketches: the
// CLI equals the API, rows with a null weight are skipped (or an error
// with --strict), and the result does not depend on --threads.
func TestSketchParquetWeightsQuant(t *testing.T) {
	dir := t.TempDir()
	x := mixtureRows(9000)
	var rows []pqPoint
	var kept, w []float64
	for i := 0; i < len(x)/2; i++ {
		p := pqPoint{U: x[2*i], V: x[2*i+1], Label: "c" + strconv.Itoa(i%3)}
		if i%50 != 7 {
			wi := float64(1 + i%4)
			p.W = &wi
			kept = append(kept, x[2*i], x[2*i+1])
			w = append(w, wi)
		}
		rows = append(rows, p)
	}
	path := filepath.Join(dir, "x.parquet")
	f, _ := os.Create(path)
	pw := parquet.NewGenericWriter[pqPoint](f, parquet.Compression(&parquet.Snappy))
	pw.Write(rows)
	pw.Close()
	f.Close()

	fr, _ := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 2, M: 70, Sigma: []float64{1.5}, Seed: 9})
	ref := rff.NewSketch(fr)
	ref.AddF64(kept, w)
	qref, _ := quant.NewSketch(fr)
	qref.AddF64(kept, w)
	base := []string{"sketch", "--m", "70", "--sigma", "1.5", "--seed", "9", "--dtype", "f64", "--quiet",
		"--columns", "u,v", "--weights", "w", path}
	for _, threads := range []string{"1", "3"} {
		out := filepath.Join(dir, "s"+threads+".sk")
		if _, err := run(t, append(base, "--threads", threads, "-o", out)...); err != nil {
			t.Fatal(err)
		}
		s, _ := rff.ReadFile(out)
		zr, _ := ref.Z()
		gr, _ := s.Z()
		if s.Rows() != int64(len(w)) || math.Abs(s.Weight()-ref.Weight()) > 1e-9 {
			t.Fatalf("rows %d weight %v, want %d %v", s.Rows(), s.Weight(), len(w), ref.Weight())
		}
		for j := range zr {
			if math.Abs(gr[j]-zr[j]) > 1e-12 {
				t.Fatalf("threads %s: z[%d] %v vs API %v", threads, j, gr[j], zr[j])
			}
		}
		qout := filepath.Join(dir, "q"+threads+".sk")
		if _, err := run(t, append(base, "--threads", threads, "--quant", "-o", qout)...); err != nil {
			t.Fatal(err)
		}
		q, err := quant.ReadFile(qout)
		if err != nil {
			t.Fatal(err)
		}
		qa, qb := q.Sums()
		ra, rb := qref.Sums()
		for j := range qa {
			if math.Abs(qa[j]-ra[j]) > 1e-9 || math.Abs(qb[j]-rb[j]) > 1e-9 {
				t.Fatalf("1-bit: sums differ from the API at %d", j)
			}
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "q1.sk"))
	b, _ := os.ReadFile(filepath.Join(dir, "q3.sk"))
	if !bytes.Equal(a, b) {
		t.Error("1-bit sketch depends on --threads")
	}
	_, err := run(t, append(base, "--strict", "-o", filepath.Join(dir, "strict.sk"))...)
	if err == nil || !strings.Contains(err.Error(), "row 7") {
		t.Errorf("--strict with a null weight: %v", err)
	}
}

// A NaN in a binary file is caught by the sketch and reported with the
// file's row and column, for both kinds.
func TestSketchNaNInNpy(t *testing.T) {
	dir := t.TempDir()
	x := mixtureRows(40000)
	x[2*33333+1] = math.NaN()
	npy, _ := writeInputs(t, dir, x)
	for _, extra := range [][]string{nil, {"--quant"}} {
		out := filepath.Join(dir, "o.sk")
		_, err := run(t, append([]string{"sketch", "--m", "40", "--sigma", "1", "--quiet", "-o", out, npy}, extra...)...)
		if err == nil || !strings.Contains(err.Error(), "row 33333") || !strings.Contains(err.Error(), "x.npy") {
			t.Errorf("%v: error %v", extra, err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: output written", extra)
		}
	}
}

// kmeans --plot --data draws the model over a sample of the data file.
func TestPlotWithData(t *testing.T) {
	dir := t.TempDir()
	npy, _ := writeInputs(t, dir, mixtureRows(3000))
	sk := filepath.Join(dir, "a.sk")
	if _, err := run(t, "sketch", "--m", "60", "--sigma", "1", "--quiet", "-o", sk, npy); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "p.png")
	if _, err := run(t, "gmm", "-k", "3", "--plot", png, "--data", npy, sk); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("plot: %v", err)
	}
	// Data of another dimension is refused.
	other := filepath.Join(dir, "o.npy")
	var buf bytes.Buffer
	writeNpy(&buf, make([]float64, 30), 10, 3)
	os.WriteFile(other, buf.Bytes(), 0o644)
	if _, err := run(t, "kmeans", "-k", "3", "--plot", png, "--data", other, sk); err == nil || !strings.Contains(err.Error(), "d=2") {
		t.Errorf("wrong-dimension data: %v", err)
	}
}
