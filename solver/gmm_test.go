package solver

import (
	"math"
	"math/rand/v2"
	"testing"
)

// diagGMM is a mixture of Gaussians with diagonal covariances.
type diagGMM struct {
	d           int
	w, mu, var_ []float64
}

func (g diagGMM) sample(r *rand.Rand, n int) []float64 {
	x := make([]float64, n*g.d)
	for i := range n {
		u, k := r.Float64(), 0
		for k < len(g.w)-1 && u > g.w[k] {
			u -= g.w[k]
			k++
		}
		for j := range g.d {
			x[i*g.d+j] = g.mu[k*g.d+j] + math.Sqrt(g.var_[k*g.d+j])*r.NormFloat64()
		}
	}
	return x
}

func (g diagGMM) logPDF(x []float64) float64 {
	best, terms := math.Inf(-1), make([]float64, len(g.w))
	for k := range g.w {
		l := math.Log(g.w[k])
		for j := range g.d {
			v := g.var_[k*g.d+j]
			dx := x[j] - g.mu[k*g.d+j]
			l -= 0.5 * (math.Log(2*math.Pi*v) + dx*dx/v)
		}
		terms[k] = l
		best = max(best, l)
	}
	var s float64
	for _, l := range terms {
		s += math.Exp(l - best)
	}
	return best + math.Log(s)
}

// symKL is KL(p‖q) + KL(q‖p) = ∫ (p − q)(log p − log q), estimated by
// sampling the midpoint mixture (p+q)/2 (n/2 draws from each): every term
// 2·tanh((lp−lq)/2)·(lp−lq) is non-negative, so the estimate stays
// accurate when the two mixtures nearly agree.
func symKL(r *rand.Rand, p, q diagGMM, n int) float64 {
	var s float64
	for _, x := range [][]float64{p.sample(r, n/2), q.sample(r, n/2)} {
		for i := 0; i < len(x); i += p.d {
			lp, lq := p.logPDF(x[i:i+p.d]), q.logPDF(x[i:i+p.d])
			s += 2 * math.Tanh((lp-lq)/2) * (lp - lq)
		}
	}
	return s / float64(2*(n/2))
}

// TestGMMWellSeparated: d = 2, K = 3, adapted-radius frequencies: the log
// of the symmetric KL divergence to the true mixture must be ≤ −9.
func TestGMMWellSeparated(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	truth := diagGMM{d: 2, w: []float64{0.3, 0.3, 0.4},
		mu:   []float64{-3, -3, 3, -1, 0, 3},
		var_: []float64{0.5, 0.3, 0.2, 0.6, 0.4, 0.4}}
	r := rand.New(rand.NewPCG(1, 1))
	const n, K = 300000, 3
	x := truth.sample(r, n)
	s := sketchOf(t, x, 2, 10*K*5, 0.4, 3)
	res, err := GMM(s, K, GMMOptions{Lower: []float64{-6, -6}, Upper: []float64{6, 6}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := diagGMM{d: 2, w: res.Weights, mu: res.Means, var_: res.Variances}
	kl := symKL(r, truth, got, 200000)
	t.Logf("weights %.4f means %.4f variances %.4f residual %.3g; symmetric KL %.3g (log %.2f)",
		res.Weights, res.Means, res.Variances, res.Residual, kl, math.Log(kl))
	if !(math.Log(kl) <= -9) {
		t.Errorf("log symmetric KL %.2f, target ≤ −9", math.Log(kl))
	}
}

func TestGMMBadInput(t *testing.T) {
	x := diagGMM{d: 2, w: []float64{1}, mu: []float64{0, 0}, var_: []float64{1, 1}}.sample(rand.New(rand.NewPCG(2, 2)), 100)
	s := sketchOf(t, x, 2, 10, 1, 1)
	if _, err := GMM(s, 5, GMMOptions{Lower: []float64{-5, -5}, Upper: []float64{5, 5}}); err == nil {
		t.Error("K·(2d+1) > 2m accepted")
	}
	if _, err := GMM(nil, 1, GMMOptions{}); err == nil {
		t.Error("nil sketch accepted")
	}
}
