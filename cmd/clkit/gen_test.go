package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/gen"
	"github.com/clkit/clkit/nn"
	"github.com/clkit/clkit/rff"
)

func readRows(t *testing.T, path string) ([]float64, int) {
	t.Helper()
	r, err := dataio.Open(path, dataio.Options{Float64: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var x []float64
	var b dataio.Block
	for {
		if err := r.Next(&b); err == io.EOF {
			return x, r.Dim()
		} else if err != nil {
			t.Fatal(err)
		}
		x = append(x, b.X64[:b.Rows*r.Dim()]...)
	}
}

// TestGenCommands: toy data → clkit sketch → gen train → gen sample gives
// the samples the library gives for the same settings, bit for bit, and the
// plot and model files.
func TestGenCommands(t *testing.T) {
	dir := t.TempDir()
	data, sk := filepath.Join(dir, "spiral.npy"), filepath.Join(dir, "spiral.sk")
	model, samples, png := filepath.Join(dir, "g.safetensors"), filepath.Join(dir, "y.npy"), filepath.Join(dir, "g.png")
	if _, err := run(t, "gen", "toy", "spiral", "-n", "4000", "--seed", "3", "-o", data); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "sketch", "--law", "folded", "--sigma", "0.05", "--m", "300", "--seed", "2", "--quiet", "-o", sk, data); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "gen", "train", sk, "-o", model, "--epochs", "3", "--batch", "200", "--pool", "2000",
		"--layers", "3x16", "--latent", "4", "--seed", "5", "--quiet"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "gen", "sample", model, "-n", "500", "--seed", "6", "-o", samples, "--plot", png, "--data", data); err != nil {
		t.Fatal(err)
	}
	got, d := readRows(t, samples)
	if d != 2 || len(got) != 1000 {
		t.Fatalf("samples: %d values of d=%d, want 500 rows of 2", len(got), d)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}

	// The same through the library, from the sketch file (clkit sketch's
	// own agreement with the library is tested in sketch_test.go).
	x := gen.Spiral(4000, 3)
	gen.ScaleToUnitBall(x, 2)
	if xs, _ := readRows(t, data); len(xs) != len(x) || xs[77] != x[77] {
		t.Errorf("gen toy wrote other rows than gen.Spiral")
	}
	s, err := rff.ReadFile(sk)
	if err != nil {
		t.Fatal(err)
	}
	net, err := nn.MLP[float32](4, []int{16, 16, 16}, 2, nn.LeakyReLU(0.2), nn.Identity)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(5)
	if _, err := gen.Train(s, net, gen.Options{Epochs: 3, Batch: 200, Pool: 2000, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	// The model file holds float32 weights; sampling runs in float64.
	n64, meta, err := nn.Load[float64](model)
	if err != nil {
		t.Fatal(err)
	}
	if meta["clkit.model"] != "gen" || meta["clkit.gen.epochs"] != "3" {
		t.Errorf("metadata %v", meta)
	}
	for i, p := range net.Params() {
		if float64(p) != n64.Params()[i] {
			t.Fatalf("parameter %d: CLI %v, library %v", i, n64.Params()[i], p)
		}
	}
	want := gen.Sample(n64, 500, 6)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sample value %d: CLI %v, library %v", i, got[i], want[i])
		}
	}
}

func TestGenErrors(t *testing.T) {
	dir := t.TempDir()
	sk := filepath.Join(dir, "a.sk")
	mixtureSketch(t, sk, 300, 3)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"gen", "train", sk}, exitUsage}, // no -o
		{[]string{"gen", "train", sk, "-o", filepath.Join(dir, "m"), "--layers", "7y10"}, exitUsage},
		{[]string{"gen", "train", sk, "-o", filepath.Join(dir, "m"), "--act", "swish"}, exitUsage},
		{[]string{"gen", "train", sk, "-o", filepath.Join(dir, "m"), "--batch", "100", "--pool", "50"}, exitUsage},
		{[]string{"gen", "train", filepath.Join(dir, "missing.sk"), "-o", filepath.Join(dir, "m")}, exitError},
		{[]string{"gen", "sample", sk, "-o", filepath.Join(dir, "y.npy")}, exitError}, // not a model
		{[]string{"gen", "sample", sk, "-o", filepath.Join(dir, "y.txt")}, exitUsage},
		{[]string{"gen", "toy", "moons"}, exitUsage},
		{[]string{"gen", "toy", "mixture", "-k", "0"}, exitUsage},
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
	if _, err := os.Stat(filepath.Join(dir, "y.npy")); err == nil {
		t.Error("a failed sample left an output file")
	}
}
