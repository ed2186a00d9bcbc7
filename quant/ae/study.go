package ae

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/clkit/clkit/internal/prng"
)

// GaussianMSE is the optimal MSE per coordinate of a Gaussian source at
// rate r ≤ 1, 1 − 2r/π (notes §2), reached by orthonormal rows and
// A = √(2/π)Bᵀ; by the CLT also a random rotation's on any i.i.d. law of
// unit variance, in high dimension.
func GaussianMSE(r float64) float64 { return 1 - 2*r/math.Pi }

// IdentityMSE is the MSE of the identity code c_i = sign(x_i) (r = 1,
// sign(0) = +1) with the best coordinate-wise linear or affine decoder,
// x̂_i = a·c_i (+ b) (notes §3–4):
//
//	Bernoulli-Gaussian  linear 1 − 2p/π,  affine 1 − 2/(π(2 − p))
//	sparse Rademacher   linear 1 − p,     affine 1/2 − p/(4 − 2p)
//	Gaussian            1 − 2/π for both
//
// A full linear decoder x̂ = A c does better than the coordinate-wise one
// on sparse data: the other codes have mean 1 − p ≠ 0 (zeros code as +1),
// so their sum serves as a bias, and its MSE tends to the affine value as
// d grows (TestIdentityClosedForms has the finite-d formula).
func IdentityMSE(src Source, affine bool) (float64, error) {
	if err := src.validate(); err != nil {
		return 0, err
	}
	p := src.p()
	switch {
	case src.Law == Gaussian:
		return GaussianMSE(1), nil
	case src.Law == BernoulliGaussian && affine:
		return 1 - 2/(math.Pi*(2-p)), nil
	case src.Law == BernoulliGaussian:
		return 1 - 2*p/math.Pi, nil
	case affine:
		return 0.5 - p/(4-2*p), nil
	}
	return 1 - p, nil
}

// CrossingP is the sparsity p* above which the identity code of sparse
// Rademacher data beats a rotation at r = 1 (IdentityMSE against 1 − 2/π):
// 2/π for the coordinate-wise linear decoder, 4c/(1 + 2c) with
// c = 2/π − 1/2 (≈ 0.137), that is 2 − π/2 (≈ 0.429), for the affine one.
func CrossingP(affine bool) float64 {
	if !affine {
		return 2 / math.Pi
	}
	c := 2/math.Pi - 0.5
	return 4 * c / (1 + 2*c)
}

// PopulationMSE is the exact population MSE per coordinate of a linear or
// affine model (its denoiser, if any, is ignored) on a Gaussian or
// Bernoulli-Gaussian source, averaged over masks stratified support masks
// drawn from seed (ignored for Gaussian).
func PopulationMSE(m *Model, src Source, masks int, seed uint64) (float64, error) {
	pop, err := newPopulation(src, m.tie, m.d, m.n, 0)
	if err != nil {
		return 0, err
	}
	if masks < 1 {
		return 0, errors.New("ae: PopulationMSE needs at least one mask")
	}
	mom := pop.eval(to64(m.b), pop.drawMasks(masks, prng.New(seed, 2)), nil, nil)
	return mom.loss(to64(m.a), to64(m.bias)), nil
}

// PopulationDecoder returns m's encoder with the least-squares linear (or
// affine) decoder for a Gaussian or Bernoulli-Gaussian source,
// E[x cᵀ]E[c cᵀ]⁻¹, and that model's population MSE (on masks stratified
// masks drawn from seed).
func PopulationDecoder(m *Model, src Source, affine bool, masks int, seed uint64) (*Model, float64, error) {
	pop, err := newPopulation(src, m.tie, m.d, m.n, 0)
	if err != nil {
		return nil, 0, err
	}
	if masks < 1 {
		return nil, 0, errors.New("ae: PopulationDecoder needs at least one mask")
	}
	b := to64(m.b)
	mom := pop.eval(b, pop.drawMasks(masks, prng.New(seed, 2)), nil, nil)
	a, beta, err := mom.leastSquares(affine)
	if err != nil {
		return nil, 0, err
	}
	out, err := newModel(m.d, m.n, m.tie, b, a, beta)
	return out, mom.loss(a, beta), err
}

// RotationModel is the Gaussian optimum for r = N/D ≤ 1 (notes §2): N
// orthonormal rows of a uniformly random rotation drawn from seed, and
// A = √(2/π)Bᵀ.
func RotationModel(d, n int, seed uint64) (*Model, error) {
	if d < 1 || n < 1 || n > d {
		return nil, fmt.Errorf("ae: a rotation of %d rows in dimension %d", n, d)
	}
	b := orthonormalRows(n, d, prng.New(seed, 1))
	a := transpose(b, n, d)
	for i := range a {
		a[i] *= math.Sqrt(2 / math.Pi)
	}
	return newModel(d, n, TiePlus, b, a, nil)
}

// TransitionOptions configures Transition.
type TransitionOptions struct {
	D     int       // dimension (default 100)
	Ps    []float64 // sparsities (default 20 values from 0.05 to 1)
	Seeds int       // runs per sparsity (default 5)
	// Train and Test are the numbers of sample rows (defaults 20000, 5000).
	Train, Test int
	// Sample configures each run (Rate 1 if unset; Affine for the affine
	// decoder; Seed is replaced by the run's).
	Sample SampleOptions
	// Workers running in parallel (≤ 0: GOMAXPROCS); results do not
	// depend on it.
	Workers int
	// Progress, if set, is called after each run (from any goroutine, one
	// at a time).
	Progress func(done, total int)
}

// TransitionPoint is one run of the rotation-versus-identity study.
type TransitionPoint struct {
	P      float64
	Seed   uint64
	MSE    float64 // on the held-out rows, with the true sign codes
	Scores Scores
	// Theory at r = 1: the rotation's MSE and the identity's with this
	// decoder.
	Rotation, Identity float64
}

// Transition reproduces the phase transition of notes §4: on sparse
// Rademacher data at each sparsity p, it trains encoder and decoder by
// sample GD from a random init (TrainSamples, Init = InitRandom) and
// reports the held-out MSE and the structure scores of the learned B, next
// to the rotation's and the identity's MSE.
func Transition(o TransitionOptions) ([]TransitionPoint, error) {
	if o.D == 0 {
		o.D = 100
	}
	if o.Ps == nil {
		for i := 1; i <= 20; i++ {
			o.Ps = append(o.Ps, float64(i)/20)
		}
	}
	if o.Seeds == 0 {
		o.Seeds = 5
	}
	if o.Train == 0 {
		o.Train = 20000
	}
	if o.Test == 0 {
		o.Test = 5000
	}
	if o.Sample.Rate == 0 {
		o.Sample.Rate = 1
	}
	if o.D < 1 || o.Seeds < 1 || o.Train < 1 || o.Test < 1 {
		return nil, errors.New("ae: Transition needs positive D, Seeds, Train and Test")
	}
	o.Sample.Init = InitRandom
	type job struct{ i, p, s int }
	pts := make([]TransitionPoint, len(o.Ps)*o.Seeds)
	jobs := make(chan job, len(pts))
	for p := range o.Ps {
		for s := range o.Seeds {
			jobs <- job{p*o.Seeds + s, p, s}
		}
	}
	close(jobs)
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
	)
	for range min(workers, len(pts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				pt, err := transitionRun(o, o.Ps[j.p], uint64(j.s+1))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				pts[j.i] = pt
				done++
				if o.Progress != nil {
					o.Progress(done, len(pts))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return pts, firstErr
}

func transitionRun(o TransitionOptions, p float64, seed uint64) (TransitionPoint, error) {
	src := Source{Law: SparseRademacher, P: p}
	pt := TransitionPoint{P: p, Seed: seed, Rotation: GaussianMSE(min(o.Sample.Rate, 1))}
	var err error
	if pt.Identity, err = IdentityMSE(src, o.Sample.Affine); err != nil {
		return pt, err
	}
	// distinct data per run: stream seeds derived from (p, seed)
	base := seed<<32 ^ uint64(math.Round(p*1e6))
	train, err := src.Sample(o.Train, o.D, base)
	if err != nil {
		return pt, err
	}
	test, err := src.Sample(o.Test, o.D, base^0x5eed)
	if err != nil {
		return pt, err
	}
	so := o.Sample
	so.Seed = base
	m, rep, err := TrainSamples(train, o.D, so)
	if err != nil {
		return pt, err
	}
	pt.Scores = rep.Scores
	pt.MSE, err = m.MSE(test)
	return pt, err
}
