package solver

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// lloydBlobs returns n rows in d dims around K centres 100 apart on each
// axis, with unit-scale noise, and the true label of each row.
func lloydBlobs(n, d, K int, seed uint64) ([]float64, []int, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, K*d)
	for k := range K {
		for j := range d {
			centres[k*d+j] = 100 * float64((k>>j)&1+(k*(j+1))%7)
		}
		centres[k*d] = 100 * float64(k) // distinct on axis 0
	}
	x := make([]float64, n*d)
	labels := make([]int, n)
	for i := range n {
		k := i % K
		labels[i] = k
		for j := range d {
			x[i*d+j] = centres[k*d+j] + rng.NormFloat64()
		}
	}
	return x, labels, centres
}

func lloydBruteSSE(x []float64, d int, c []float64) float64 {
	s := 0.0
	for i := 0; i < len(x)/d; i++ {
		best := math.Inf(1)
		for k := 0; k < len(c)/d; k++ {
			t := 0.0
			for j := range d {
				v := x[i*d+j] - c[k*d+j]
				t += v * v
			}
			best = min(best, t)
		}
		s += best
	}
	return s
}

// lloydSamePartition reports whether a and b agree up to a relabelling.
func lloydSamePartition(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	ab, ba := map[int]int{}, map[int]int{}
	for i := range a {
		if v, ok := ab[a[i]]; ok && v != b[i] {
			return false
		}
		if v, ok := ba[b[i]]; ok && v != a[i] {
			return false
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return true
}

func TestLloydBlobs(t *testing.T) {
	for _, tc := range []struct{ n, d, K int }{{600, 2, 3}, {2000, 5, 8}, {3000, 10, 10}, {1000, 1, 4}} {
		x, want, _ := lloydBlobs(tc.n, tc.d, tc.K, 7)
		res, err := Lloyd(x, tc.d, tc.K, LloydOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !lloydSamePartition(res.Labels, want) {
			t.Errorf("n=%d d=%d K=%d: labels differ from the blobs", tc.n, tc.d, tc.K)
		}
		if len(res.Centroids) != tc.K*tc.d || len(res.Labels) != tc.n {
			t.Fatalf("shapes: %d centroids, %d labels", len(res.Centroids), len(res.Labels))
		}
		brute := lloydBruteSSE(x, tc.d, res.Centroids)
		if math.Abs(res.SSE-brute) > 1e-12*brute {
			t.Errorf("SSE %v, brute force %v", res.SSE, brute)
		}
		s, err := SSE(x, tc.d, res.Centroids)
		if err != nil || s != res.SSE {
			t.Errorf("SSE() = %v, %v; Lloyd's %v", s, err, res.SSE)
		}
		// Noise is unit variance per coordinate: SSE ≈ n·d.
		if r := res.SSE / float64(tc.n*tc.d); r < 0.8 || r > 1.2 {
			t.Errorf("SSE/(n·d) = %v, want ≈ 1", r)
		}
		// Labels are the argmin and centroids the means of their rows.
		lloydCheckFixedPoint(t, x, tc.d, tc.K, res)
	}
}

func lloydCheckFixedPoint(t *testing.T, x []float64, d, K int, res LloydResult) {
	t.Helper()
	sums := make([]float64, K*d)
	counts := make([]int, K)
	for i, l := range res.Labels {
		counts[l]++
		for j := range d {
			sums[l*d+j] += x[i*d+j]
		}
		best := math.Inf(1)
		for k := range K {
			s := 0.0
			for j := range d {
				v := x[i*d+j] - res.Centroids[k*d+j]
				s += v * v
			}
			best = min(best, s)
		}
		s := 0.0
		for j := range d {
			v := x[i*d+j] - res.Centroids[l*d+j]
			s += v * v
		}
		if s != best {
			t.Fatalf("row %d: label %d is not the nearest centroid", i, l)
		}
	}
	for k := range K {
		if counts[k] == 0 {
			t.Errorf("cluster %d empty", k)
			continue
		}
		for j := range d {
			m := sums[k*d+j] / float64(counts[k])
			if math.Abs(m-res.Centroids[k*d+j]) > 1e-6*(1+math.Abs(m)) {
				t.Errorf("centroid %d[%d] = %v, mean of its rows %v", k, j, res.Centroids[k*d+j], m)
			}
		}
	}
}

func TestLloydDeterministicAcrossWorkers(t *testing.T) {
	// Large enough that the row loops are split too (n·K·d ≥ 2^18).
	x, _, _ := lloydBlobs(20000, 4, 6, 3)
	for i := range x { // overlap the blobs so restarts differ
		x[i] *= 0.02
	}
	// Restarts 1 splits the row loops over the workers; 5 splits restarts.
	for _, restarts := range []int{1, 5} {
		var ref LloydResult
		for wi, w := range []int{1, 2, 3, 8, 0} {
			res, err := Lloyd(x, 4, 6, LloydOptions{Seed: 42, Restarts: restarts, Workers: w})
			if err != nil {
				t.Fatal(err)
			}
			if wi == 0 {
				ref = res
				continue
			}
			if res.SSE != ref.SSE || res.Iterations != ref.Iterations ||
				!slices.Equal(res.Centroids, ref.Centroids) || !slices.Equal(res.Labels, ref.Labels) {
				t.Errorf("Restarts=%d Workers=%d: result differs from Workers=1 (SSE %v vs %v)", restarts, w, res.SSE, ref.SSE)
			}
		}
	}
	ref, err := Lloyd(x, 4, 6, LloydOptions{Seed: 42, Restarts: 5})
	if err != nil {
		t.Fatal(err)
	}
	other, err := Lloyd(x, 4, 6, LloydOptions{Seed: 43, Restarts: 5})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(other.Centroids, ref.Centroids) {
		t.Log("seed 43 gave the same centroids as seed 42 (possible, but unlikely)")
	}
}

func TestLloydBestOfRestarts(t *testing.T) {
	x, _, _ := lloydBlobs(3000, 2, 12, 5)
	for i := range x {
		x[i] *= 0.01
	}
	best := math.Inf(1)
	for r := range 6 {
		// Restarts: 1 with a fixed seed runs restart 0 of that seed only,
		// so compare against the 6-restart run by SSE bound instead.
		res, err := Lloyd(x, 2, 12, LloydOptions{Seed: uint64(r), Restarts: 1})
		if err != nil {
			t.Fatal(err)
		}
		best = min(best, res.SSE)
	}
	multi, err := Lloyd(x, 2, 12, LloydOptions{Seed: 9, Restarts: 30})
	if err != nil {
		t.Fatal(err)
	}
	if multi.SSE > best*1.05 {
		t.Errorf("30 restarts SSE %v, best single restart of 6 seeds %v", multi.SSE, best)
	}
}

func TestLloydEmptyClusters(t *testing.T) {
	// 3 distinct points, repeated; K = 5 forces duplicate centres, whose
	// clusters are empty and must be re-seeded without panicking.
	var x []float64
	for i := range 30 {
		x = append(x, float64(i%3)*10, 0)
	}
	res, err := Lloyd(x, 2, 5, LloydOptions{Seed: 1, Restarts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.SSE != 0 {
		t.Errorf("SSE = %v, want 0", res.SSE)
	}
	for _, v := range res.Centroids {
		if math.IsNaN(v) {
			t.Fatalf("NaN centroid: %v", res.Centroids)
		}
	}

	// A centre placed far from all data must be moved by the re-seeding.
	x2, _, _ := lloydBlobs(400, 2, 4, 11)
	w := lloydNewWork(x2, 400, 2, 4, 1)
	copy(w.c, []float64{0, 0, 100, 100, 200, 200, 1e9, 1e9})
	w.c[0], w.c[1] = x2[0], x2[1]
	w.c[2], w.c[3] = x2[2], x2[3]
	w.c[4], w.c[5] = x2[4], x2[5]
	w.assign()
	w.update()
	if w.c[6] == 1e9 {
		t.Fatal("empty cluster 3 was not re-seeded")
	}
	found := false
	for i := range 400 {
		if x2[2*i] == w.c[6] && x2[2*i+1] == w.c[7] {
			found = true
		}
	}
	if !found {
		t.Errorf("re-seeded centre %v is not a data point", w.c[6:8])
	}
	// And the full run still finds the 4 blobs.
	res2, err := Lloyd(x2, 2, 4, LloydOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	lloydCheckFixedPoint(t, x2, 2, 4, res2)
}

func TestLloydErrors(t *testing.T) {
	good := []float64{0, 0, 1, 1, 2, 2}
	for _, tc := range []struct {
		name string
		x    []float64
		d, K int
		o    LloydOptions
		want string
	}{
		{"K=0", good, 2, 0, LloydOptions{}, "K = 0"},
		{"K<0", good, 2, -1, LloydOptions{}, "K = -1"},
		{"K>n", good, 2, 4, LloydOptions{}, "exceeds"},
		{"d=0", good, 0, 1, LloydOptions{}, "d = 0"},
		{"d<0", good, -2, 1, LloydOptions{}, "d = -2"},
		{"ragged", good[:5], 2, 1, LloydOptions{}, "multiple"},
		{"empty", nil, 2, 1, LloydOptions{}, "exceeds"},
		{"NaN", []float64{0, 0, math.NaN(), 1}, 2, 1, LloydOptions{}, "x[1][0]"},
		{"Inf", []float64{0, math.Inf(-1), 1, 1}, 2, 1, LloydOptions{}, "x[0][1]"},
		{"Tol", good, 2, 1, LloydOptions{Tol: -1}, "Tol"},
		{"MaxIter", good, 2, 1, LloydOptions{MaxIter: -1}, "MaxIter"},
	} {
		_, err := Lloyd(tc.x, tc.d, tc.K, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		x    []float64
		d    int
		c    []float64
	}{
		{"d=0", good, 0, good},
		{"ragged x", good[:5], 2, good},
		{"ragged c", good, 2, good[:3]},
		{"no centroids", good, 2, nil},
		{"NaN x", []float64{math.NaN(), 0}, 2, good},
		{"Inf c", good, 2, []float64{math.Inf(1), 0}},
	} {
		if _, err := SSE(tc.x, tc.d, tc.c); err == nil {
			t.Errorf("SSE %s: no error", tc.name)
		}
	}
}

func TestLloydEdgeCases(t *testing.T) {
	// K = n: every point its own centre.
	x := []float64{1, 2, 3, 4, 5, 6}
	res, err := Lloyd(x, 2, 3, LloydOptions{Seed: 3})
	if err != nil || res.SSE != 0 {
		t.Fatalf("K=n: %v, SSE %v", err, res.SSE)
	}
	// K = 1: the centroid is the mean.
	res, err = Lloyd(x, 2, 1, LloydOptions{})
	if err != nil || res.Centroids[0] != 3 || res.Centroids[1] != 4 || res.SSE != 16 {
		t.Fatalf("K=1: %v %+v", err, res)
	}
	// MaxIter is honoured.
	xb, _, _ := lloydBlobs(2000, 2, 10, 1)
	for i := range xb {
		xb[i] *= 0.01
	}
	res, err = Lloyd(xb, 2, 10, LloydOptions{MaxIter: 2, Restarts: 2})
	if err != nil || res.Iterations > 2 {
		t.Fatalf("MaxIter 2: %v, %d iterations", err, res.Iterations)
	}
	if brute := lloydBruteSSE(xb, 2, res.Centroids); math.Abs(brute-res.SSE) > 1e-12*brute {
		t.Errorf("MaxIter 2: SSE %v, brute %v", res.SSE, brute)
	}
}

// BenchmarkLloyd: n = 1e5, d = 10, K = 10, one restart, on ten unit-variance
// Gaussian blobs with centres uniform in [−1.5, 1.5]^10 (they overlap).
func BenchmarkLloyd(b *testing.B) {
	const n, d, K = 100_000, 10, 10
	rng := rand.New(rand.NewPCG(1, 2))
	centres := make([]float64, K*d)
	for i := range centres {
		centres[i] = 3*rng.Float64() - 1.5
	}
	x := make([]float64, n*d)
	for i := range n {
		k := rng.IntN(K)
		for j := range d {
			x[i*d+j] = centres[k*d+j] + rng.NormFloat64()
		}
	}
	iters := 0
	for b.Loop() {
		res, err := Lloyd(x, d, K, LloydOptions{Restarts: 1, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		iters = res.Iterations
	}
	b.ReportMetric(float64(iters), "iters")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(iters+1), "µs/iter")
}

func BenchmarkLloydAssign(b *testing.B) {
	for _, tc := range []struct{ n, d, K int }{{100000, 2, 100}, {100000, 10, 10}, {20000, 100, 100}} {
		b.Run(fmt.Sprintf("n%d_d%d_K%d", tc.n, tc.d, tc.K), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float64, tc.n*tc.d)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			c := x[:tc.K*tc.d]
			labels := make([]int, tc.n)
			dist := make([]float64, tc.n)
			for b.Loop() {
				lloydAssign(x, tc.d, tc.K, c, labels, dist, 0, tc.n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tc.n*tc.K*tc.d), "ns/term")
		})
	}
}
