package quant

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/clkit/clkit/rff"
	"github.com/clkit/clkit/solver"
)

// kerivenMixture draws n points from Keriven et al.'s benchmark mixture: K
// equal clusters in d dimensions, means ~ N(0, c²I) with c = 1.5·K^{1/d},
// identity covariance; and the bounding box. (A copy of solver's test
// helper, same random stream for the same seed.)
func kerivenMixture(rng *rand.Rand, K, d, n int) (x, lo, hi []float64) {
	c := 1.5 * math.Pow(float64(K), 1/float64(d))
	means := make([]float64, K*d)
	for i := range means {
		means[i] = c * rng.NormFloat64()
	}
	x = make([]float64, n*d)
	lo, hi = make([]float64, d), make([]float64, d)
	for i := range lo {
		lo[i], hi[i] = math.Inf(1), math.Inf(-1)
	}
	for i := range n {
		k := rng.IntN(K)
		for j := range d {
			v := means[k*d+j] + rng.NormFloat64()
			x[i*d+j] = v
			lo[j], hi[j] = min(lo[j], v), max(hi[j], v)
		}
	}
	return x, lo, hi
}

// qckmRatio sketches one Keriven mixture twice with the same frequencies
// (adapted radius, m = mult·K·d, σ² twice the estimated cluster variance as
// solver.FitKMeans chooses it): the ordinary sketch and the 1-bit one. Both
// are decoded by solver.KMeans with the same options, the 1-bit one through
// Smooth. It returns SSE(QCKM)/SSE(CKM).
func qckmRatio(t testing.TB, seed uint64, K, d, n, mult int) float64 {
	x, lo, hi := kerivenMixture(rand.New(rand.NewPCG(seed, 99)), K, d, n)
	sc, err := solver.EstimateScale(x, d, solver.ScaleOptions{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	f := mustFreq(t, rff.Params{Law: rff.AdaptedRadius, D: d, M: mult * K * d, Sigma: []float64{math.Sqrt(2 * sc.Sigma2)}, Seed: seed})
	ckm := rff.NewSketch(f)
	if err := ckm.AddParallelF64(x, nil, 0); err != nil {
		t.Fatal(err)
	}
	q := mustSketch(t, f, "auto")
	if err := q.AddParallelF64(x, nil, 0); err != nil {
		t.Fatal(err)
	}
	opts := solver.KMeansOptions{Lower: lo, Upper: hi, Seed: seed}
	rc, err := solver.KMeans(ckm, K, opts)
	if err != nil {
		t.Fatal(err)
	}
	rq, err := solver.KMeans(q.Smooth(), K, opts)
	if err != nil {
		t.Fatal(err)
	}
	sc1, _ := solver.SSE(x, d, rc.Centroids)
	sq, _ := solver.SSE(x, d, rq.Centroids)
	return sq / sc1
}

// TestQCKMKeriven: compressive k-means decoded from the 1-bit sketch
// (QCKM) is about as good as from the ordinary sketch with the same
// frequencies: on the Keriven mixtures (K = 10, d = 10, n = 1e5, m = 10Kd)
// the median of SSE(QCKM)/SSE(CKM) is at most 1.10. Three seeds by default
// (skipped with -short, and with the pure-Go or emulated NEON kernel);
// CLKIT_LONG=1 runs 20.
func TestQCKMKeriven(t *testing.T) {
	seeds := 3
	if os.Getenv("CLKIT_LONG") == "1" {
		seeds = 20
	} else if testing.Short() {
		t.Skip("long")
	} else if k := DefaultKernel(); k == "go" || k == "neon" {
		// Every kernel gives the same bits, so the quality does not depend
		// on it; the pure-Go and emulated runs would take minutes.
		t.Skip("quality is kernel-independent; measured with the amd64 kernels")
	}
	const K, d, n = 10, 10, 100000
	var ratios []float64
	for seed := range seeds {
		ratios = append(ratios, qckmRatio(t, uint64(seed)+1, K, d, n, 10))
	}
	sorted := slices.Sorted(slices.Values(ratios))
	med := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		med = (sorted[len(sorted)/2-1] + med) / 2
	}
	t.Logf("m=10Kd, %d seeds: SSE(QCKM)/SSE(CKM) median %.3f, worst %.3f, all %.3f", seeds, med, sorted[len(sorted)-1], ratios)
	if med > 1.10 {
		t.Errorf("median SSE(QCKM)/SSE(CKM) %.3f > 1.10", med)
	}
}
