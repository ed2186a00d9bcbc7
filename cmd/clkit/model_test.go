package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
)

// mixtureSketch writes the sketch of n rows of three separated 2-D
// clusters (centres (0,0), (8,0), (0,8), s.d. 0.5) and returns the rows.
func mixtureSketch(t *testing.T, path string, n int, seed uint64) []float64 {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	centres := [][2]float64{{0, 0}, {8, 0}, {0, 8}}
	x := make([]float64, 2*n)
	for i := range n {
		c := centres[i%3]
		x[2*i], x[2*i+1] = c[0]+0.5*r.NormFloat64(), c[1]+0.5*r.NormFloat64()
	}
	writeSketchOf(t, path, x, 1)
	return x
}

func writeSketchOf(t *testing.T, path string, x []float64, seed uint64) {
	t.Helper()
	f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 2, M: 90, Sigma: []float64{1}, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	s := rff.NewSketch(f)
	if err := s.AddF64(x, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

func TestKMeansCommand(t *testing.T) {
	dir := t.TempDir()
	sk := filepath.Join(dir, "a.sk")
	mixtureSketch(t, sk, 3000, 1)
	out := filepath.Join(dir, "model.json")
	png := filepath.Join(dir, "model.png")
	if _, err := run(t, "kmeans", "-k", "3", "-o", out, "--plot", png, sk); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var m model
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][2]float64{{0, 0}, {8, 0}, {0, 8}} {
		best := math.Inf(1)
		for _, c := range m.Centroids {
			best = min(best, math.Hypot(c[0]-want[0], c[1]-want[1]))
		}
		if best > 0.3 {
			t.Errorf("no centroid near %v: %v", want, m.Centroids)
		}
	}
	if m.Sketch.Rows != 3000 || m.K != 3 || len(m.Weights) != 3 {
		t.Errorf("model summary %+v", m)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
	// CSV on stdout, .npy with the documented shape.
	csv, err := run(t, "kmeans", "-k", "3", sk)
	if err != nil || !strings.HasPrefix(csv, "weight,x0,x1\n") || strings.Count(csv, "\n") != 4 {
		t.Errorf("CSV: %v %q", err, csv)
	}
	npy := filepath.Join(dir, "m.npy")
	if _, err := run(t, "gmm", "-k", "3", "-o", npy, "--plot", png, sk); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(npy)
	hl := int(binary.LittleEndian.Uint16(b[8:]))
	if !strings.Contains(string(b[10:10+hl]), "'shape': (3, 5)") || len(b) != 10+hl+3*5*8 || (10+hl)%64 != 0 {
		t.Errorf("npy header %q, %d bytes", b[10:10+hl], len(b))
	}
}

func TestMergeAndInfo(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.sk")
	x := mixtureSketch(t, whole, 2000, 2)
	a, b := filepath.Join(dir, "a.sk"), filepath.Join(dir, "b.sk")
	writeSketchOf(t, a, x[:1400], 1)
	writeSketchOf(t, b, x[1400:], 1)
	merged := filepath.Join(dir, "ab.sk")
	if _, err := run(t, "merge", a, b, "-o", merged); err != nil {
		t.Fatal(err)
	}
	sw, _ := rff.ReadFile(whole)
	sm, _ := rff.ReadFile(merged)
	zw, _ := sw.Z()
	zm, _ := sm.Z()
	for j := range zw {
		if math.Abs(zw[j]-zm[j]) > 1e-12 {
			t.Fatalf("merged z[%d] = %v, whole %v", j, zm[j], zw[j])
		}
	}
	out, err := run(t, "info", "--json", merged)
	if err != nil {
		t.Fatal(err)
	}
	var in sketchInfo
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatal(err)
	}
	if in.Rows != 2000 || in.M != 90 || in.D != 2 || len(in.Lower) != 2 {
		t.Errorf("info %+v", in)
	}
	if out, err := run(t, "info", merged); err != nil || !strings.Contains(out, "fingerprint") {
		t.Errorf("info: %v %q", err, out)
	}

	// Incompatible sketches: a clear error, no output file.
	other := filepath.Join(dir, "other.sk")
	writeSketchOf(t, other, x[:10], 7)
	bad := filepath.Join(dir, "bad.sk")
	_, err = run(t, "merge", a, other, "-o", bad)
	if err == nil || !strings.Contains(err.Error(), "seed 1 vs 7") {
		t.Errorf("incompatible merge: %v", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Error("failed merge left an output file")
	}
	// A corrupted file is refused by name, and nothing is written.
	raw, _ := os.ReadFile(a)
	raw[100] ^= 1
	corrupt := filepath.Join(dir, "corrupt.sk")
	os.WriteFile(corrupt, raw, 0o644)
	for _, args := range [][]string{{"merge", a, corrupt, "-o", bad}, {"kmeans", "-k", "2", "-o", bad, corrupt}, {"info", corrupt}} {
		_, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), "corrupt.sk") || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("%v: %v", args, err)
		}
		if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v left an output file", args)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	sk := filepath.Join(dir, "a.sk")
	mixtureSketch(t, sk, 300, 3)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"kmeans", sk}, exitUsage}, // no -k
		{[]string{"kmeans", "-k", "2"}, exitUsage},
		{[]string{"kmeans", "-k", "2", "--bogus", sk}, exitUsage},
		{[]string{"kmeans", "-k", "2", "-o", "x.txt", sk}, exitUsage},
		{[]string{"frobnicate"}, exitUsage},
		{[]string{"merge", sk}, exitUsage}, // no -o
		{[]string{"kmeans", "-k", "2", filepath.Join(dir, "missing.sk")}, exitError},
		{[]string{"kmeans", "-k", "500", sk}, exitError}, // K too large for m
	}
	for _, c := range cases {
		_, err := run(t, c.args...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
			continue
		}
		if got := exitCode(err); got != c.code {
			t.Errorf("%v: exit code %d (%v), want %d", c.args, got, err, c.code)
		}
	}
}

func TestDemo(t *testing.T) {
	png := filepath.Join(t.TempDir(), "demo.png")
	out, err := run(t, "demo", "--n", "20000", "--k", "4", "--m", "200", "--plot", png)
	if err != nil {
		t.Fatal(err)
	}
	var ratio float64
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "quality   SSE(sketch) / SSE(Lloyd) = "); ok {
			ratio, _ = strconv.ParseFloat(v, 64)
		}
	}
	if ratio < 0.9 || ratio > 1.3 {
		t.Errorf("demo SSE ratio %v:\n%s", ratio, out)
	}
	if _, err := os.Stat(png); err != nil {
		t.Error(err)
	}
}

// 1-bit sketch files: info names the kind, kmeans decodes their smooth
// estimate, merge refuses to mix kinds.
func TestQuantSketchFiles(t *testing.T) {
	dir := t.TempDir()
	smooth := filepath.Join(dir, "s.sk")
	x := mixtureSketch(t, smooth, 6000, 4)
	f, _ := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 2, M: 90, Sigma: []float64{1}, Seed: 1})
	q, err := quant.NewSketch(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.AddF64(x, nil); err != nil {
		t.Fatal(err)
	}
	qp := filepath.Join(dir, "q.sk")
	if err := q.WriteFile(qp); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "info", "--json", qp)
	if err != nil || !strings.Contains(out, `"kind":"quantized-1bit"`) || !strings.Contains(out, `"rows":6000`) {
		t.Errorf("info: %v %s", err, out)
	}
	js := filepath.Join(dir, "q.json")
	if _, err := run(t, "kmeans", "-k", "3", "-o", js, qp); err != nil {
		t.Fatal(err)
	}
	var m model
	b, _ := os.ReadFile(js)
	json.Unmarshal(b, &m)
	for _, want := range [][2]float64{{0, 0}, {8, 0}, {0, 8}} {
		best := math.Inf(1)
		for _, c := range m.Centroids {
			best = min(best, math.Hypot(c[0]-want[0], c[1]-want[1]))
		}
		if best > 0.4 {
			t.Errorf("1-bit sketch: no centroid near %v: %v", want, m.Centroids)
		}
	}
	qq := filepath.Join(dir, "qq.sk")
	if _, err := run(t, "merge", qp, qp, "-o", qq); err != nil {
		t.Fatal(err)
	}
	if back, err := quant.ReadFile(qq); err != nil || back.Rows() != 12000 {
		t.Errorf("merged 1-bit sketch: %v", err)
	}
	bad := filepath.Join(dir, "bad.sk")
	if _, err := run(t, "merge", qp, smooth, "-o", bad); err == nil || !strings.Contains(err.Error(), "different kinds") {
		t.Errorf("mixed merge: %v", err)
	}
}
