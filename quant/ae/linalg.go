package ae

import (
	"math"

	"github.com/clkit/clkit/internal/prng"
)

// randomRows returns n×d Gaussian rows scaled to unit norm.
func randomRows(n, d int, r *prng.Stream) []float64 {
	b := make([]float64, n*d)
	for i := range b {
		b[i] = r.Normal()
	}
	normalizeRows(b, n, d)
	return b
}

// orthonormalRows returns n ≤ d orthonormal rows of a uniformly random
// rotation (Gram–Schmidt, twice, on Gaussian rows).
func orthonormalRows(n, d int, r *prng.Stream) []float64 {
	b := randomRows(n, d, r)
	for i := range n {
		bi := b[i*d : (i+1)*d]
		for range 2 {
			for j := range i {
				bj := b[j*d : (j+1)*d]
				c := dot(bi, bj)
				for k := range bi {
					bi[k] -= c * bj[k]
				}
			}
		}
		scaleTo(bi, 1)
	}
	return b
}

// normalizeRows scales every non-zero row of the n×d matrix b to unit
// norm (its norm summed in float64).
func normalizeRows[T float32 | float64](b []T, n, d int) {
	for i := range n {
		bi := b[i*d : (i+1)*d]
		var s float64
		for _, v := range bi {
			s += float64(v) * float64(v)
		}
		if s > 0 {
			f := 1 / math.Sqrt(s)
			for k, v := range bi {
				bi[k] = T(float64(v) * f)
			}
		}
	}
}

// convert is v as another float type (nil stays nil).
func convert[To, From float32 | float64](v []From) []To {
	if v == nil {
		return nil
	}
	out := make([]To, len(v))
	for i, x := range v {
		out[i] = To(x)
	}
	return out
}

func scaleTo(v []float64, norm float64) {
	s := math.Sqrt(dot(v, v))
	if s == 0 {
		return
	}
	for k := range v {
		v[k] *= norm / s
	}
}

// transpose returns the c×r transpose of the r×c matrix a.
func transpose[T float32 | float64](a []T, r, c int) []T {
	t := make([]T, r*c)
	for i := range r {
		for j := range c {
			t[j*r+i] = a[i*c+j]
		}
	}
	return t
}
