package dp

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/clkit/clkit/rff"
)

// FeatureMap returns Φ(x) for one row x (length f.D()): the cos and sin
// parts, each of length f.M(), computed in float64 with math.Sincos. For
// OneBit the entries are sign(cos θ_j), sign(sin θ_j) with sign(0) = +1.
func FeatureMap(feat Feature, f *rff.Frequencies, x []float64) (re, im []float64, err error) {
	if feat != ComplexExp && feat != OneBit {
		return nil, nil, fmt.Errorf("dp: unknown feature %d", int(feat))
	}
	if f == nil || len(x) != f.D() {
		return nil, nil, fmt.Errorf("dp: row of %d values for d=%d", len(x), dOf(f))
	}
	m := f.M()
	re, im = make([]float64, m), make([]float64, m)
	xi := f.Xi()
	for j := range m {
		t, err := phase(f, xi, j, x)
		if err != nil {
			return nil, nil, err
		}
		sn, cs := math.Sincos(t)
		if feat == OneBit {
			sn, cs = sign(sn), sign(cs)
		}
		re[j], im[j] = cs, sn
	}
	return re, im, nil
}

func dOf(f *rff.Frequencies) int {
	if f == nil {
		return 0
	}
	return f.D()
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

func phase(f *rff.Frequencies, xi []float64, j int, x []float64) (float64, error) {
	t := xi[j]
	for k, v := range f.Omega(j) {
		t += v * x[k]
	}
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("dp: phase of frequency %d is not finite", j)
	}
	return t, nil
}

// SketchSubsampled sketches the rows of x (row-major, len(x) = n·D) with
// frequency subsampling: each row draws r distinct frequencies of the m,
// uniformly at random (stream seeded by seed; the masks need not be
// secret), and adds (m/r)·(cos θ_j, sin θ_j) for those only, so that the
// expected sums are the full sketch's. Cost O(n·r·d) instead of O(n·m·d).
// The result is unweighted (weight = rows = n); privatize it with
// Options.Subsample = r, whose sensitivity is
// SensitivitySubsampled(ComplexExp, nb, m, r, true, p).
func SketchSubsampled(f *rff.Frequencies, x []float64, r int, seed uint64) (*rff.Sketch, error) {
	if f == nil {
		return nil, fmt.Errorf("dp: nil frequencies")
	}
	d, m := f.D(), f.M()
	if r < 1 || r > m {
		return nil, fmt.Errorf("dp: subsample r=%d out of [1, m=%d]", r, m)
	}
	if len(x)%d != 0 {
		return nil, fmt.Errorf("dp: block of %d values is not a whole number of rows of d=%d", len(x), d)
	}
	n := len(x) / d
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("dp: row %d, column %d: value %v is not finite", i/d, i%d, v)
		}
	}
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	copy(key[8:], "clkit/solver/dp subsample masks")
	rng := rand.New(rand.NewChaCha8(key))
	perm := make([]int, m)
	for j := range perm {
		perm[j] = j
	}
	c := float64(m) / float64(r)
	re, im := make([]float64, m), make([]float64, m)
	xi := f.Xi()
	for i := range n {
		row := x[i*d : (i+1)*d]
		// Partial Fisher–Yates: perm[:r] is a uniform r-subset whatever
		// permutation perm held before.
		for k := range r {
			l := k + rng.IntN(m-k)
			perm[k], perm[l] = perm[l], perm[k]
			j := perm[k]
			t, err := phase(f, xi, j, row)
			if err != nil {
				return nil, fmt.Errorf("dp: row %d: %w", i, err)
			}
			sn, cs := math.Sincos(t)
			re[j] += c * cs
			im[j] += c * sn
		}
	}
	s, err := rff.NewSketchFromSums(f, re, im, float64(n), int64(n))
	if err != nil {
		return nil, fmt.Errorf("dp: %w", err)
	}
	return s, nil
}
