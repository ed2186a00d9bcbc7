package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clkit/clkit/meta"
)

// TestMetaCommands: meta train (tiny) → meta sketch of a data file in two
// parts → meta predict of the merged sketches equals the library's
// prediction from one sketch of all rows; --remove gives back the first
// part; eval runs; bad input gives the documented errors.
func TestMetaCommands(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "pca.safetensors")
	if _, err := run(t, "meta", "train", "--task", "pca", "--d", "6", "--m", "16", "--steps", "20", "--batch", "4",
		"--nmin", "64", "--nmax", "256", "--fourier", "16", "--quadratic", "8", "--width", "32", "--query-width", "32",
		"-o", model, "--quiet"); err != nil {
		t.Fatal(err)
	}
	mod, err := meta.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	if c := mod.Info["clkit.meta.command"]; c != "clkit meta train --batch 4 --d 6 --fourier 16 --m 16 --nmax 256 --nmin 64 --quadratic 8 --query-width 32 --steps 20 --task pca --width 32" {
		t.Errorf("recorded command %q", c)
	}
	ds, err := mod.Task.Draw(77, 600)
	if err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")
	for _, p := range []struct {
		path   string
		lo, hi int
	}{{a, 0, 250}, {b, 250, 600}} {
		if err := writeAtomic(p.path, func(w io.Writer) error { return writeNpy(w, ds.X[p.lo*6:p.hi*6], p.hi-p.lo, 6) }); err != nil {
			t.Fatal(err)
		}
	}
	sa, sb, sab := filepath.Join(dir, "a.msk"), filepath.Join(dir, "b.msk"), filepath.Join(dir, "ab.msk")
	for _, c := range [][]string{{"meta", "sketch", model, a, "-o", sa}, {"meta", "sketch", model, b, "-o", sb}} {
		if _, err := run(t, c...); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, "meta", "predict", model, sa, sb)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Basis [][]float64 `json:"basis"`
		Mean  []float64   `json:"mean"`
		Rows  int64       `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	s := mod.NewSketch()
	if err := s.Add(ds.X, 0); err != nil {
		t.Fatal(err)
	}
	raw, _ := mod.Predict(s.Z(), 600, 0)
	_, mu, _ := mod.Task.(*meta.PCATask).Decode(raw)
	if got.Rows != 600 || len(got.Basis) != 6 || len(got.Basis[0]) != 3 {
		t.Fatalf("predict output %+v", got)
	}
	for i := range mu {
		if d := got.Mean[i] - mu[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("mean %v, library %v", got.Mean, mu)
		}
	}
	// Removing part b from the merged sketch leaves part a.
	if _, err := run(t, "meta", "sketch", model, b, "-o", sab, "--remove", sb); err != nil {
		t.Fatal(err)
	}
	rest, err := mod.ReadSketch(sab)
	if err != nil || rest.Rows() != 0 {
		t.Errorf("b minus b: %v rows, %v", rest.Rows(), err)
	}
	if out, err := run(t, "meta", "eval", model, "--sets", "3", "--n", "300"); err != nil {
		t.Fatal(err)
	} else if len(out) == 0 {
		t.Error("eval printed nothing")
	}
	if _, err := run(t, "meta", "predict", model, sa, "--epsilon", "1", "--noise-seed", "3"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"meta", "train", "--task", "svm", "-o", filepath.Join(dir, "x")}, exitUsage},
		{[]string{"meta", "train", "--task", "pca"}, exitUsage},
		{[]string{"meta", "train", "--task", "kmeans", "--shared", "0.3", "-o", filepath.Join(dir, "x")}, exitUsage},
		{[]string{"meta", "eval", "no-such-model"}, exitError},
		{[]string{"meta", "sketch", model, a}, exitUsage},
		{[]string{"meta", "predict", model, filepath.Join(dir, "missing.msk")}, exitError},
		{[]string{"meta", "predict", model, a}, exitError}, // not a sketch
		{[]string{"meta", "predict", model, sa, "--epsilon", "1", "--mechanism", "exp"}, exitUsage},
	}
	for _, c := range cases {
		_, err := run(t, c.args...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
		} else if got := exitCode(err); got != c.code {
			t.Errorf("%v: exit code %d (%v), want %d", c.args, got, err, c.code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a failed train left a model file")
	}
}

// TestMetaShipped: a shipped model is found by name (when no such file
// exists) and works end to end.
func TestMetaShipped(t *testing.T) {
	t.Chdir(t.TempDir())
	out, err := run(t, "meta", "eval", "pca-shared", "--sets", "2", "--n", "500")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "pca, m=64") {
		t.Errorf("eval of the shipped model printed %q", out)
	}
}
