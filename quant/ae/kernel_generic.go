package ae

import "math"

// Pure-Go bit kernels: the fallback on every platform and the oracle the
// assembly must match bit for bit (contract in kernel.go).

// packSignGo is packSign: bit j = !(y_j < 0), and whether every y_j is
// finite (the sum of the y_j·0 is NaN exactly when one is not).
func packSignGo(y []float32, rows, n int, code []uint64) bool {
	w := words(n)
	var acc float32
	for r := range rows {
		yr, cr := y[r*n:(r+1)*n], code[r*w:(r+1)*w]
		for q := range cr {
			var word uint64
			for b, v := range yr[64*q : min(n, 64*q+64)] {
				word |= b2u(!(v < 0)) << b
				acc += v * 0
			}
			cr[q] = word
		}
	}
	return acc == acc
}

// packNonzeroGo is packNonzero: bit j = !(y_j == 0).
func packNonzeroGo(y []float32, rows, n int, code []uint64) {
	w := words(n)
	for r := range rows {
		yr, cr := y[r*n:(r+1)*n], code[r*w:(r+1)*w]
		for q := range cr {
			var word uint64
			for b, v := range yr[64*q : min(n, 64*q+64)] {
				word |= b2u(v != 0) << b
			}
			cr[q] = word
		}
	}
}

// b2u is 1 for true; the compiler makes it a SETcc, not a branch, which
// random signs would mispredict half the time.
func b2u(b bool) uint64 {
	var u uint64
	if b {
		u = 1
	}
	return u
}

// unpackGo is unpack: ±1 from each bit.
func unpackGo(code []uint64, rows, n int, out []float32) {
	const minusOne = 0xbf800000 // −1; with the sign bit cleared, +1
	w := words(n)
	for r := range rows {
		cr, or := code[r*w:(r+1)*w], out[r*n:(r+1)*n]
		for j := range or {
			bit := uint32(cr[j>>6]>>(j&63)) & 1
			or[j] = math.Float32frombits(minusOne ^ bit<<31)
		}
	}
}

// unpackTernaryGo is unpackTernary: unpack's ±1, or 0 where nz is clear.
func unpackTernaryGo(code, nz []uint64, rows, n int, out []float32) {
	unpackGo(code, rows, n, out)
	w := words(n)
	for r := range rows {
		zr, or := nz[r*w:(r+1)*w], out[r*n:(r+1)*n]
		for j := range or {
			if zr[j>>6]>>(j&63)&1 == 0 {
				or[j] = 0
			}
		}
	}
}
