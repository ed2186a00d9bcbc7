package solver

import (
	"os"
	"testing"

	"github.com/clkit/clkit/internal/datasets"
)

// TestKMeansDatasets: the SIPU clustering benchmarks (coordinates up to
// 1e6, so the scale must come from the data): compressive k-means with an
// estimated scale and m = 10Kd reaches an SSE within 1.10× of Lloyd's
// (k-means++, best of 10). Skipped when the developers' data folder is
// absent; birch1 (K = 100) only with CLKIT_LONG=1.
func TestKMeansDatasets(t *testing.T) {
	if _, ok := datasets.Dir(); !ok {
		t.Skip("data folder absent")
	}
	if testing.Short() {
		t.Skip("long")
	}
	for _, name := range datasets.Names() {
		if name == "birch1" && os.Getenv("CLKIT_LONG") != "1" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			x, d, _, K, err := datasets.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			fit, err := FitKMeans(x, d, K, FitOptions{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			sse, _ := SSE(x, d, fit.Centroids)
			ll, err := Lloyd(x, d, K, LloydOptions{Restarts: 10, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: n=%d d=%d K=%d σ²=%.4g: SSE(CKM)/SSE(Lloyd) = %.3f", name, len(x)/d, d, K, fit.Sigma2, sse/ll.SSE)
			if sse > 1.10*ll.SSE {
				t.Errorf("SSE ratio %.3f > 1.10", sse/ll.SSE)
			}
		})
	}
}
