package quant

import (
	"math"

	"github.com/clkit/clkit/internal/fpmath"
)

// Pure-Go kernels: the fallback on every platform and the oracle the
// assembly must match bit for bit (contract in kernel.go).

// bits32 and bits64 are the cos and sin bits of one phase in turns.
func bits32(u float32) (cb, sb uint32) {
	v := u - float32(math.RoundToEven(float64(u)))
	if v < 0.25 && v > -0.25 {
		cb = 1
	}
	if v > 0 {
		sb = 1
	}
	return
}

func bits64(u float64) (cb, sb uint32) {
	v := u - math.RoundToEven(u)
	if v < 0.25 && v > -0.25 {
		cb = 1
	}
	if v > 0 {
		sb = 1
	}
	return
}

// phase32 and phase64 are u for row xr and lane l of a block (omb:
// dimension k at [16k, 16k+16)), in the contract's order.
func phase32(xr, omb []float32, xi float32, l int) float32 {
	u := xi
	for k, xk := range xr {
		u = fpmath.FMA32(xk, omb[k*blockFreqs+l], u)
	}
	return u
}

func phase64(xr, omb []float64, xi float64, l int) float64 {
	u := xi
	for k, xk := range xr {
		u = math.FMA(xk, omb[k*blockFreqs+l], u)
	}
	return u
}

// countF32Go is the float32 count kernel (contract in kernel.go).
func countF32Go(x []float32, n, d int, om, xi []float32, cc, cs []uint32) {
	for b := 0; b < len(xi)/blockFreqs; b++ {
		omb := om[b*d*blockFreqs : (b+1)*d*blockFreqs]
		for i := 0; i < n; i++ {
			xr := x[i*d : (i+1)*d]
			for l := 0; l < blockFreqs; l++ {
				j := b*blockFreqs + l
				c, s := bits32(phase32(xr, omb, xi[j], l))
				cc[j] += c
				cs[j] += s
			}
		}
	}
}

// countF64Go is the float64 count kernel (contract in kernel.go).
func countF64Go(x []float64, n, d int, om, xi []float64, cc, cs []uint32) {
	for b := 0; b < len(xi)/blockFreqs; b++ {
		omb := om[b*d*blockFreqs : (b+1)*d*blockFreqs]
		for i := 0; i < n; i++ {
			xr := x[i*d : (i+1)*d]
			for l := 0; l < blockFreqs; l++ {
				j := b*blockFreqs + l
				c, s := bits64(phase64(xr, omb, xi[j], l))
				cc[j] += c
				cs[j] += s
			}
		}
	}
}

// codesF32Go is the float32 codes kernel (contract in kernel.go).
func codesF32Go(x []float32, n, d int, om, xi []float32, code []uint64) {
	nb := len(xi) / blockFreqs
	w := codeWords(nb)
	clear(code[:n*w])
	for b := 0; b < nb; b++ {
		omb := om[b*d*blockFreqs : (b+1)*d*blockFreqs]
		for i := 0; i < n; i++ {
			xr := x[i*d : (i+1)*d]
			var half uint64
			for l := 0; l < blockFreqs; l++ {
				c, s := bits32(phase32(xr, omb, xi[b*blockFreqs+l], l))
				half |= uint64(c)<<l | uint64(s)<<(16+l)
			}
			code[i*w+b/2] |= half << (32 * (b % 2))
		}
	}
}

// codesF64Go is the float64 codes kernel (contract in kernel.go).
func codesF64Go(x []float64, n, d int, om, xi []float64, code []uint64) {
	nb := len(xi) / blockFreqs
	w := codeWords(nb)
	clear(code[:n*w])
	for b := 0; b < nb; b++ {
		omb := om[b*d*blockFreqs : (b+1)*d*blockFreqs]
		for i := 0; i < n; i++ {
			xr := x[i*d : (i+1)*d]
			var half uint64
			for l := 0; l < blockFreqs; l++ {
				c, s := bits64(phase64(xr, omb, xi[b*blockFreqs+l], l))
				half |= uint64(c)<<l | uint64(s)<<(16+l)
			}
			code[i*w+b/2] |= half << (32 * (b % 2))
		}
	}
}
