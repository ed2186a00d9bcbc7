package rff

import "math"

// Pure-Go kernels: the fallback on every platform and the oracle the
// assembly is tested against. They follow the same algorithm as the
// assembly (phases by multiply-add, Cody–Waite reduction by π/2, minimax
// polynomials on [−π/4, π/4], quadrant fix-up on the bits, float32 sums
// flushed once per call), one frequency block of 16 at a time so that the
// arrays below have constant size and need no bounds checks.

// Constants of the float32 sincos: 2/π, π/2 in three pieces (cephes), the
// round-to-nearest magic number 1.5·2²³, and the sinf/cosf polynomials.
const (
	twoOverPi32 = 0.636619772367581343
	pio2a32     = 1.5703125
	pio2b32     = 4.837512969970703125e-4
	pio2c32     = 7.54978995489188216e-8
	magic32     = 12582912 // 1.5·2²³
	sin1f       = -1.6666654611e-1
	sin2f       = 8.3321608736e-3
	sin3f       = -1.9515295891e-4
	cos1f       = 4.166664568298827e-2
	cos2f       = -1.388731625493765e-3
	cos3f       = 2.443315711809948e-5
)

// Constants of the float64 sincos: π/2 in three 33-bit pieces (fdlibm),
// magic 1.5·2⁵², and fdlibm's __kernel_sin/__kernel_cos coefficients.
const (
	twoOverPi64 = 6.36619772367581382433e-01
	pio2a64     = 1.57079632673412561417e+00
	pio2b64     = 6.07710050630396597660e-11
	pio2c64     = 2.02226624871116645580e-21
	magic64     = 6755399441055744 // 1.5·2⁵²
	sin1d       = -1.66666666666666324348e-01
	sin2d       = 8.33333333332248946124e-03
	sin3d       = -1.98412698298579493134e-04
	sin4d       = 2.75573137070700676789e-06
	sin5d       = -2.50507602534068634195e-08
	sin6d       = 1.58969099521155010221e-10
	cos1d       = 4.16666666666666019037e-02
	cos2d       = -1.38888888888741095749e-03
	cos3d       = 2.48015872894767294178e-05
	cos4d       = -2.75573143513906633035e-07
	cos5d       = 2.08757232129817482790e-09
	cos6d       = -1.13596475577881948265e-11
)

// quadrant[q] = (cos(qπ/2), sin(qπ/2)): sin(r+qπ/2) = sin r·cos(qπ/2) +
// cos r·sin(qπ/2), cos(r+qπ/2) = cos r·cos(qπ/2) − sin r·sin(qπ/2).
var (
	quadrant32 = [4][2]float32{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	quadrant64 = [4][2]float64{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
)

// sincos32x16 sets s, c to sin and cos of the 16 phases t, each |t| ≤
// fastLimit32, to ~1 ulp. One call per block of 16 keeps the loop body
// inlined (a per-element function would not be).
func sincos32x16(t *[blockFreqs]float32, s, c *[blockFreqs]float32) {
	for l, tl := range t {
		qm := tl*twoOverPi32 + magic32 // low mantissa bits = round(t·2/π)
		q := qm - magic32
		r := tl - q*pio2a32
		r -= q * pio2b32
		r -= q * pio2c32
		z := r * r
		sn := r + r*z*(sin1f+z*(sin2f+z*sin3f))
		cs := 1 - 0.5*z + z*z*(cos1f+z*(cos2f+z*cos3f))
		// Quadrant q mod 4 (branch-free: quadrants are random): the
		// assembly swaps and flips signs with bit masks; multiplying by
		// ±1 and 0 from a table is the same, exactly, in fewer scalar ops.
		qd := &quadrant32[math.Float32bits(qm)&3]
		s[l] = sn*qd[0] + cs*qd[1]
		c[l] = cs*qd[0] - sn*qd[1]
	}
}

// sincos64x16 is sincos32x16 in float64 (|t| ≤ fastLimit64, ≤ 1 ulp or so).
func sincos64x16(t *[blockFreqs]float64, s, c *[blockFreqs]float64) {
	for l, tl := range t {
		qm := tl*twoOverPi64 + magic64
		q := qm - magic64
		r := tl - q*pio2a64
		r -= q * pio2b64
		r -= q * pio2c64
		z := r * r
		sn := r + r*z*(sin1d+z*(sin2d+z*(sin3d+z*(sin4d+z*(sin5d+z*sin6d)))))
		cs := 1 - 0.5*z + z*z*(cos1d+z*(cos2d+z*(cos3d+z*(cos4d+z*(cos5d+z*cos6d)))))
		qd := &quadrant64[math.Float64bits(qm)&3]
		s[l] = sn*qd[0] + cs*qd[1]
		c[l] = cs*qd[0] - sn*qd[1]
	}
}

// phases sets t_l = ξ_l + Σ_k x_k·ω_{l,k} for one block of 16 frequencies
// (omb: dimension k at [16k, 16k+16)). Eight lanes at a time in locals,
// which the compiler keeps in registers; a [16] array would live in memory
// and every update would be a load and a store.
func phases[T float](t, xib *[blockFreqs]T, xr, omb []T) {
	for g := 0; g < blockFreqs; g += 8 {
		t0, t1, t2, t3 := xib[g], xib[g+1], xib[g+2], xib[g+3]
		t4, t5, t6, t7 := xib[g+4], xib[g+5], xib[g+6], xib[g+7]
		for k, xk := range xr {
			o := (*[8]T)(omb[k*blockFreqs+g:])
			t0 += xk * o[0]
			t1 += xk * o[1]
			t2 += xk * o[2]
			t3 += xk * o[3]
			t4 += xk * o[4]
			t5 += xk * o[5]
			t6 += xk * o[6]
			t7 += xk * o[7]
		}
		t[g], t[g+1], t[g+2], t[g+3] = t0, t1, t2, t3
		t[g+4], t[g+5], t[g+6], t[g+7] = t4, t5, t6, t7
	}
}

// sketchF32Go is the float32 kernel (contract in kernel.go).
func sketchF32Go(x, w []float32, d int, om, xi []float32, c, s []float64) {
	n := len(w)
	x = x[:n*d]
	for b := 0; b < len(xi)/blockFreqs; b++ {
		omb := om[b*d*blockFreqs : (b+1)*d*blockFreqs]
		xib := (*[blockFreqs]float32)(xi[b*blockFreqs:])
		var accC, accS [blockFreqs]float32
		for i := 0; i < n; i++ {
			var t [blockFreqs]float32
			phases(&t, xib, x[i*d:(i+1)*d], omb)
			var sn, cs [blockFreqs]float32
			sincos32x16(&t, &sn, &cs)
			wi := w[i]
			for l := range t {
				accC[l] += wi * cs[l]
				accS[l] += wi * sn[l]
			}
		}
		cb := (*[blockFreqs]float64)(c[b*blockFreqs:])
		sb := (*[blockFreqs]float64)(s[b*blockFreqs:])
		for l := range cb {
			cb[l] += float64(accC[l])
			sb[l] += float64(accS[l])
		}
	}
}

// sketchF64Go is the float64 kernel (contract in kernel.go).
func sketchF64Go(x, w []float64, d int, om, xi []float64, c, s []float64) {
	n := len(w)
	x = x[:n*d]
	for b := 0; b < len(xi)/blockFreqs; b++ {
		omb := om[b*d*blockFreqs : (b+1)*d*blockFreqs]
		xib := (*[blockFreqs]float64)(xi[b*blockFreqs:])
		cb := (*[blockFreqs]float64)(c[b*blockFreqs:])
		sb := (*[blockFreqs]float64)(s[b*blockFreqs:])
		for i := 0; i < n; i++ {
			var t [blockFreqs]float64
			phases(&t, xib, x[i*d:(i+1)*d], omb)
			var sn, cs [blockFreqs]float64
			sincos64x16(&t, &sn, &cs)
			wi := w[i]
			for l := range t {
				cb[l] += wi * cs[l]
				sb[l] += wi * sn[l]
			}
		}
	}
}
