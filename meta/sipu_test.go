package meta

import (
	"math"
	"os"
	"testing"

	"github.com/clkit/clkit/internal/datasets"
	"github.com/clkit/clkit/solver"
)

// TestKMeansSIPU meta-trains a 2-D k-means model (K = 15, m = 60 = 2Kd)
// on the family's synthetic mixtures and applies it to the real SIPU sets
// s1–s4 (K = 15), rescaled into [−1, 1]² by their bounding boxes (declared
// bounds: a sketch's standardisation must not depend on the data set),
// against CL-OMPR on a random Fourier sketch of the same size (30
// frequencies). Both are SSE ÷ Lloyd's k-means++ (best of 10). It takes
// a few minutes: CLKIT_LONG=1 and the shared data only.
func TestKMeansSIPU(t *testing.T) {
	if os.Getenv("CLKIT_LONG") != "1" {
		t.Skip("CLKIT_LONG=1 meta-trains a model (a few minutes)")
	}
	if _, ok := datasets.Dir(); !ok {
		t.Skip("shared data sets absent")
	}
	task, err := NewKMeansTask(2, 15)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := NewModel(task, SketchConfig{M: 60}, QueryConfig{}, 4096, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(mod, TrainOptions{Steps: 3000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"s1", "s2", "s3", "s4"} {
		x, d, _, K, err := datasets.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		n := len(x) / d
		lo, hi := []float64{math.Inf(1), math.Inf(1)}, []float64{math.Inf(-1), math.Inf(-1)}
		for i := range n {
			for a := range d {
				lo[a], hi[a] = min(lo[a], x[i*d+a]), max(hi[a], x[i*d+a])
			}
		}
		u := make([]float64, len(x))
		for i, v := range x {
			a := i % d
			u[i] = 2*(v-lo[a])/(hi[a]-lo[a]) - 1
		}
		s := mod.NewSketch()
		if err := s.Add(u, 0); err != nil {
			t.Fatal(err)
		}
		out, err := mod.Predict(s.Z(), float64(n), 0)
		if err != nil {
			t.Fatal(err)
		}
		c := make([]float64, len(out))
		for i, v := range out {
			a := i % d
			c[i] = lo[a] + (v+1)/2*(hi[a]-lo[a])
		}
		ll, err := solver.Lloyd(x, d, K, solver.LloydOptions{Restarts: 10, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		sse, _ := solver.SSE(x, d, c)
		fit, err := solver.FitKMeans(x, d, K, solver.FitOptions{M: 30, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		base, _ := solver.SSE(x, d, fit.Centroids)
		t.Logf("%s: meta-learned %.3f, CL-OMPR (30 frequencies) %.3f", name, sse/ll.SSE, base/ll.SSE)
		if !(sse < base) {
			t.Errorf("%s: meta-learned SSE ratio %.3f not below CL-OMPR's %.3f at m = 60", name, sse/ll.SSE, base/ll.SSE)
		}
	}
}
