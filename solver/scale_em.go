package solver

import "math"

// scaleEM refines a k-means clustering of y (n×d; centroids c, K×d) into a
// mixture of K Gaussians with one shared isotropic variance by EM, and
// returns that variance. k-means' hard assignments cut overlapping
// clusters apart and underestimate their spread; the soft assignments of
// EM do not (it is the maximum-likelihood fit of the right model for
// Gaussian clusters).
func scaleEM(y []float64, d int, c []float64, s2 float64, iters int) float64 {
	n := len(y) / d
	K := len(c) / d
	mu := append([]float64(nil), c...)
	logPi := make([]float64, K)
	for k := range logPi {
		logPi[k] = -math.Log(float64(K))
	}
	resp := make([]float64, K)
	nk := make([]float64, K)
	sx := make([]float64, K*d)
	for range iters {
		clear(nk)
		clear(sx)
		var ss float64 // Σ_i Σ_k r_ik ‖x_i − μ_k‖²
		for i := range n {
			x := y[i*d : (i+1)*d]
			best := math.Inf(-1)
			for k := range K {
				var d2 float64
				for a, v := range x {
					t := v - mu[k*d+a]
					d2 += t * t
				}
				resp[k] = logPi[k] - d2/(2*s2)
				best = max(best, resp[k])
			}
			var z float64
			for k := range K {
				resp[k] = math.Exp(resp[k] - best)
				z += resp[k]
			}
			for k := range K {
				r := resp[k] / z
				if r == 0 {
					continue
				}
				nk[k] += r
				var d2 float64
				for a, v := range x {
					sx[k*d+a] += r * v
					t := v - mu[k*d+a]
					d2 += t * t
				}
				ss += r * d2
			}
		}
		// M-step. The variance uses the means of the E-step (a generalised
		// EM step; it converges to the same fixed point).
		prev := s2
		s2 = ss / float64(n*d)
		for k := range K {
			if nk[k] > 0 {
				for a := range d {
					mu[k*d+a] = sx[k*d+a] / nk[k]
				}
				logPi[k] = math.Log(nk[k] / float64(n))
			} else {
				logPi[k] = math.Inf(-1)
			}
		}
		if !(s2 > 0) {
			return prev
		}
		if math.Abs(s2-prev) < 1e-6*prev {
			break
		}
	}
	return s2
}
