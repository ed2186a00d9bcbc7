package solver

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clkit/clkit/solver/dp"
)

// TestKMeansPrivate: unbounded (add/remove) DP with the Laplace mechanism,
// n = 1e5, m = 1000 on the Keriven mixture: at ε = 1 the SSE stays within
// 10% of the non-private decoder's, and at ε = 0.1 within 2×. Medians over
// three data sets. The private sketches spend 1% of ε on the count (n is
// large: its relative error is 1/(n·ε_count)) and use a kernel twice as wide
// (σ² = 2× the cluster variance): the noise is the same at every frequency,
// and lower frequencies carry more signal.
func TestKMeansPrivate(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	const K, d, n, m = 10, 10, 100000, 1000
	ratios := map[float64][]float64{}
	for seed := uint64(1); seed <= 3; seed++ {
		x, lo, hi := kerivenMixture(rand.New(rand.NewPCG(seed, 7)), K, d, n)
		s := sketchOf(t, x, d, m, 1, seed)
		o := KMeansOptions{Lower: lo, Upper: hi, Seed: seed}
		base, err := KMeans(s, K, o)
		if err != nil {
			t.Fatal(err)
		}
		sse0, _ := SSE(x, d, base.Centroids)
		wide := sketchOf(t, x, d, m, 2, seed)
		for _, eps := range []float64{1, 0.1} {
			ps, _, err := dp.Privatize(wide, dp.Options{Mechanism: dp.Laplace, Neighbourhood: dp.AddRemove,
				Epsilon: eps, CountFraction: 0.01, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			res, err := KMeans(ps, K, o)
			if err != nil {
				t.Fatal(err)
			}
			sse, _ := SSE(x, d, res.Centroids)
			ratios[eps] = append(ratios[eps], sse/sse0)
		}
	}
	for eps, limit := range map[float64]float64{1: 1.10, 0.1: 2} {
		r := ratios[eps]
		slices.Sort(r)
		t.Logf("ε = %g: SSE(private)/SSE(non-private) %.3f (median %.3f, limit %.2f)", eps, r, r[1], limit)
		if r[1] > limit {
			t.Errorf("ε = %g: median ratio %.3f > %.2f", eps, r[1], limit)
		}
	}
}
