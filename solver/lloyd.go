package solver

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// LloydOptions configures Lloyd. Zero values mean defaults.
type LloydOptions struct {
	Restarts int     // k-means++ initialisations, the best (lowest SSE) kept; default 10
	MaxIter  int     // Lloyd iterations per restart; default 300
	Tol      float64 // stop when the relative SSE decrease is < Tol; default 1e-9
	Seed     uint64  // seed of every random choice; the result depends on it alone
	Workers  int     // goroutines over restarts (≤0: GOMAXPROCS); does not change the result
}

// LloydResult is the best clustering found by Lloyd.
type LloydResult struct {
	Centroids  []float64 // K×d row-major
	Labels     []int     // per row, index of the nearest centroid
	SSE        float64   // Σ_i ‖x_i − Centroids[Labels[i]]‖²
	Iterations int       // Lloyd iterations (centroid updates) of the best restart
}

const (
	lloydDefaultRestarts = 10
	lloydDefaultMaxIter  = 300
	lloydDefaultTol      = 1e-9
	// lloydChunkRows is the smallest block of rows handed to one goroutine.
	lloydChunkRows = 2048
	// lloydParallelWork is the n·K·d (or n·d·trials) above which a row
	// loop is split over goroutines.
	lloydParallelWork = 1 << 18
)

// Lloyd clusters the n×d row-major x into K clusters: k-means++ seeding
// (greedy, 2+⌊ln K⌋ candidates per centre) then Lloyd iterations, best of
// o.Restarts. Restart r draws from its own PCG stream derived from (o.Seed, r),
// and every sum is taken in row order, so the result is bit for bit the same
// for every o.Workers. A cluster left empty is re-seeded at the point farthest
// from its centroid. Ties in the assignment go to the lowest centroid index.
func Lloyd(x []float64, d, K int, o LloydOptions) (LloydResult, error) {
	if d <= 0 {
		return LloydResult{}, fmt.Errorf("solver: Lloyd: dimension d = %d, want > 0", d)
	}
	if len(x)%d != 0 {
		return LloydResult{}, fmt.Errorf("solver: Lloyd: len(x) = %d is not a multiple of d = %d", len(x), d)
	}
	n := len(x) / d
	if K <= 0 {
		return LloydResult{}, fmt.Errorf("solver: Lloyd: K = %d, want > 0", K)
	}
	if K > n {
		return LloydResult{}, fmt.Errorf("solver: Lloyd: K = %d exceeds the number of rows n = %d", K, n)
	}
	if err := lloydCheckFinite("x", x, d); err != nil {
		return LloydResult{}, fmt.Errorf("solver: Lloyd: %w", err)
	}
	if o.Restarts < 0 || o.MaxIter < 0 {
		return LloydResult{}, fmt.Errorf("solver: Lloyd: Restarts = %d, MaxIter = %d, want ≥ 0", o.Restarts, o.MaxIter)
	}
	if o.Tol < 0 || math.IsNaN(o.Tol) || math.IsInf(o.Tol, 0) {
		return LloydResult{}, fmt.Errorf("solver: Lloyd: Tol = %v, want finite and ≥ 0", o.Tol)
	}
	restarts, maxIter, tol := o.Restarts, o.MaxIter, o.Tol
	if restarts == 0 {
		restarts = lloydDefaultRestarts
	}
	if maxIter == 0 {
		maxIter = lloydDefaultMaxIter
	}
	if tol == 0 {
		tol = lloydDefaultTol
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	outer := min(workers, restarts)
	inner := max(1, workers/outer)

	type lloydBest struct {
		ok  bool
		r   int
		res LloydResult
	}
	bests := make([]lloydBest, outer)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range outer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := lloydNewWork(x, n, d, K, inner)
			b := &bests[w]
			for {
				r := int(next.Add(1) - 1)
				if r >= restarts {
					return
				}
				sse, iters := wk.run(o.Seed, uint64(r), maxIter, tol)
				// Restarts reach a worker in increasing order, so strict <
				// keeps the lowest index among equal SSEs.
				if !b.ok || sse < b.res.SSE {
					if !b.ok {
						b.res.Centroids = make([]float64, K*d)
						b.res.Labels = make([]int, n)
					}
					b.ok, b.r = true, r
					copy(b.res.Centroids, wk.c)
					copy(b.res.Labels, wk.labels)
					b.res.SSE, b.res.Iterations = sse, iters
				}
			}
		}()
	}
	wg.Wait()
	best := -1
	for w := range bests {
		b := &bests[w]
		if !b.ok {
			continue
		}
		if best < 0 || b.res.SSE < bests[best].res.SSE ||
			(b.res.SSE == bests[best].res.SSE && b.r < bests[best].r) ||
			(math.IsNaN(bests[best].res.SSE) && !math.IsNaN(b.res.SSE)) {
			best = w
		}
	}
	if best < 0 {
		return LloydResult{}, errors.New("solver: Lloyd: no restart ran")
	}
	return bests[best].res, nil
}

// SSE is Σ_i min_k ‖x_i − c_k‖² for the n×d row-major x and the K×d
// row-major centroids. The sum is taken in row order, as in Lloyd.
func SSE(x []float64, d int, centroids []float64) (float64, error) {
	if d <= 0 {
		return 0, fmt.Errorf("solver: SSE: dimension d = %d, want > 0", d)
	}
	if len(x)%d != 0 {
		return 0, fmt.Errorf("solver: SSE: len(x) = %d is not a multiple of d = %d", len(x), d)
	}
	if len(centroids) == 0 || len(centroids)%d != 0 {
		return 0, fmt.Errorf("solver: SSE: len(centroids) = %d is not a positive multiple of d = %d", len(centroids), d)
	}
	if err := lloydCheckFinite("x", x, d); err != nil {
		return 0, fmt.Errorf("solver: SSE: %w", err)
	}
	if err := lloydCheckFinite("centroids", centroids, d); err != nil {
		return 0, fmt.Errorf("solver: SSE: %w", err)
	}
	n, K := len(x)/d, len(centroids)/d
	dist := make([]float64, n)
	labels := make([]int, n)
	lloydParallelRows(n, runtime.GOMAXPROCS(0), n*K*d, func(lo, hi int) int {
		return lloydAssign(x, d, K, centroids, labels, dist, lo, hi)
	})
	s := 0.0
	for _, v := range dist {
		s += v
	}
	return s, nil
}

func lloydCheckFinite(what string, v []float64, d int) error {
	for i, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s[%d][%d] = %v is not finite", what, i/d, i%d, f)
		}
	}
	return nil
}

// lloydWork is one restart worker's state; it is reused across restarts.
type lloydWork struct {
	x       []float64
	n, d, k int
	inner   int       // goroutines for row loops
	c       []float64 // K×d current centroids
	labels  []int     // n
	dist    []float64 // n, squared distance to the assigned / closest centre
	trial   []float64 // n, seeding candidate distances
	best    []float64 // n, distances with the best candidate so far
	cum     []float64 // n, cumulative sums for D² sampling
	sums    []float64 // K×d
	counts  []int     // K
	far     []int     // farthest-point order for empty clusters
}

func lloydNewWork(x []float64, n, d, K, inner int) *lloydWork {
	return &lloydWork{
		x: x, n: n, d: d, k: K, inner: inner,
		c:      make([]float64, K*d),
		labels: make([]int, n),
		dist:   make([]float64, n),
		trial:  make([]float64, n),
		best:   make([]float64, n),
		cum:    make([]float64, n),
		sums:   make([]float64, K*d),
		counts: make([]int, K),
	}
}

// lloydStream maps a restart index to the second PCG seed word (SplitMix64
// finaliser), so neighbouring restarts get unrelated streams.
func lloydStream(r uint64) uint64 {
	z := r + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// run does one restart: seeding then Lloyd iterations. It leaves centroids in
// w.c and labels in w.labels and returns their SSE and the iteration count.
func (w *lloydWork) run(seed, r uint64, maxIter int, tol float64) (float64, int) {
	rng := rand.New(rand.NewPCG(seed, lloydStream(r)))
	w.seed(rng)
	sse := w.assign()
	iters := 0
	for iters < maxIter && sse > 0 {
		w.update()
		iters++
		newSSE, changed := w.assignChanged()
		converged := changed == 0 || sse-newSSE < tol*sse
		sse = newSSE
		if converged {
			break
		}
	}
	return sse, iters
}

// seed picks K centres by greedy k-means++: each new centre is the best, by
// resulting potential, of 2+⌊ln K⌋ candidates drawn with probability ∝ D².
func (w *lloydWork) seed(rng *rand.Rand) {
	x, n, d, K := w.x, w.n, w.d, w.k
	trials := 2 + int(math.Log(float64(K)))
	first := rng.IntN(n)
	copy(w.c[:d], x[first*d:first*d+d])
	w.distTo(first, w.dist, nil)
	for k := 1; k < K; k++ {
		s := 0.0
		for i, v := range w.dist {
			s += v
			w.cum[i] = s
		}
		bestID, bestPot := -1, 0.0
		for range trials {
			var id int
			if s > 0 {
				u := rng.Float64() * s
				id = min(sort.Search(n, func(i int) bool { return w.cum[i] > u }), n-1)
			} else { // every row sits on a centre already
				id = rng.IntN(n)
			}
			p := w.distTo(id, w.trial, w.dist)
			if bestID < 0 || p < bestPot {
				bestID, bestPot = id, p
				w.trial, w.best = w.best, w.trial
			}
		}
		w.dist, w.best = w.best, w.dist
		copy(w.c[k*d:k*d+d], x[bestID*d:bestID*d+d])
	}
}

// distTo writes into out the squared distance of every row to row id, or the
// minimum of that and prev when prev is non-nil, and returns their sum.
func (w *lloydWork) distTo(id int, out, prev []float64) float64 {
	x, d := w.x, w.d
	c := x[id*d : id*d+d]
	lloydParallelRows(w.n, w.inner, w.n*d*(2+int(math.Log(float64(w.k)))), func(lo, hi int) int {
		for i := lo; i < hi; i++ {
			xi := x[i*d : i*d+d]
			s := 0.0
			for j, v := range xi {
				t := v - c[j]
				s += t * t
			}
			if prev != nil && prev[i] < s {
				s = prev[i]
			}
			out[i] = s
		}
		return 0
	})
	s := 0.0
	for _, v := range out {
		s += v
	}
	return s
}

func (w *lloydWork) assign() float64 {
	s, _ := w.assignChanged()
	return s
}

// assignChanged assigns every row to its nearest centroid and returns the
// SSE (summed in row order) and how many labels changed.
func (w *lloydWork) assignChanged() (float64, int) {
	changed := lloydParallelRows(w.n, w.inner, w.n*w.k*w.d, func(lo, hi int) int {
		return lloydAssign(w.x, w.d, w.k, w.c, w.labels, w.dist, lo, hi)
	})
	s := 0.0
	for _, v := range w.dist {
		s += v
	}
	return s, changed
}

// update moves each centroid to the mean of its rows. Empty clusters are
// re-seeded, in index order, at the rows farthest from their centroids.
func (w *lloydWork) update() {
	x, d, K := w.x, w.d, w.k
	clear(w.sums)
	clear(w.counts)
	for i, l := range w.labels {
		w.counts[l]++
		row := x[i*d : i*d+d]
		sum := w.sums[l*d : l*d+d]
		for j, v := range row {
			sum[j] += v
		}
	}
	empty := 0
	for k := range K {
		if w.counts[k] == 0 {
			empty++
			continue
		}
		inv := 1 / float64(w.counts[k])
		ck, sk := w.c[k*d:k*d+d], w.sums[k*d:k*d+d]
		for j := range ck {
			ck[j] = sk[j] * inv
		}
	}
	if empty == 0 {
		return
	}
	// Farthest rows first; ties by row index, so the choice is deterministic.
	w.far = w.far[:0]
	for i := range w.n {
		w.far = append(w.far, i)
	}
	sort.SliceStable(w.far, func(a, b int) bool { return w.dist[w.far[a]] > w.dist[w.far[b]] })
	next := 0
	for k := range K {
		if w.counts[k] != 0 {
			continue
		}
		i := w.far[next%w.n]
		next++
		copy(w.c[k*d:k*d+d], x[i*d:i*d+d])
	}
}

// lloydAssign labels rows [lo, hi) with their nearest of the K centroids c,
// records the squared distance in dist, and returns how many labels changed.
func lloydAssign(x []float64, d, K int, c []float64, labels []int, dist []float64, lo, hi int) int {
	changed := 0
	if d == 2 {
		for i := lo; i < hi; i++ {
			x0, x1 := x[2*i], x[2*i+1]
			best, bk := math.Inf(1), 0
			for k := 0; k < K; k++ {
				t0, t1 := x0-c[2*k], x1-c[2*k+1]
				if s := t0*t0 + t1*t1; s < best {
					best, bk = s, k
				}
			}
			if labels[i] != bk {
				labels[i] = bk
				changed++
			}
			dist[i] = best
		}
		return changed
	}
	// Four centroids at a time: four independent sums keep the FP adders
	// busy. Each sum still runs over j in order, as in SSE's brute force.
	K4 := K &^ 3
	for i := lo; i < hi; i++ {
		xi := x[i*d : i*d+d]
		best, bk := math.Inf(1), 0
		k := 0
		for ; k < K4; k += 4 {
			c0 := c[k*d : k*d+d]
			c1 := c[(k+1)*d : (k+1)*d+d]
			c2 := c[(k+2)*d : (k+2)*d+d]
			c3 := c[(k+3)*d : (k+3)*d+d]
			c0, c1, c2, c3 = c0[:len(xi)], c1[:len(xi)], c2[:len(xi)], c3[:len(xi)]
			var s0, s1, s2, s3 float64
			for j, v := range xi {
				t0, t1, t2, t3 := v-c0[j], v-c1[j], v-c2[j], v-c3[j]
				s0 += t0 * t0
				s1 += t1 * t1
				s2 += t2 * t2
				s3 += t3 * t3
			}
			if s0 < best {
				best, bk = s0, k
			}
			if s1 < best {
				best, bk = s1, k+1
			}
			if s2 < best {
				best, bk = s2, k+2
			}
			if s3 < best {
				best, bk = s3, k+3
			}
		}
		for ; k < K; k++ {
			ck := c[k*d : k*d+d]
			ck = ck[:len(xi)]
			s := 0.0
			for j, v := range xi {
				t := v - ck[j]
				s += t * t
			}
			if s < best {
				best, bk = s, k
			}
		}
		if labels[i] != bk {
			labels[i] = bk
			changed++
		}
		dist[i] = best
	}
	return changed
}

// lloydParallelRows runs f over [0, n) in blocks on up to workers goroutines
// when work is large enough, and returns the sum of f's results. f must write
// only to rows of its own block.
func lloydParallelRows(n, workers, work int, f func(lo, hi int) int) int {
	parts := min(workers, (n+lloydChunkRows-1)/lloydChunkRows)
	if parts <= 1 || work < lloydParallelWork {
		return f(0, n)
	}
	var total atomic.Int64
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			total.Add(int64(f(lo, hi)))
		}()
	}
	wg.Wait()
	return int(total.Load())
}
