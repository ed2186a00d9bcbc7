//go:build !purego

package ae

// NEON (ASIMD) kernels, kernel_arm64.s. ASIMD is mandatory on arm64, so the
// kernel needs no feature detection; CLKIT_NONEON=1 switches it off.
func archKernels() []kernel {
	return []kernel{{name: "neon", packSign: packSignX128, packNonzero: packNonzeroX128,
		unpack: unpackX128, unpackTernary: unpackTernaryX128, env: "CLKIT_NONEON"}}
}

// packSignNEON is packSignGo (contract in kernel.go) on raw pointers: bit j
// of a row's ⌈n/64⌉ code words is !(y_j < 0); returns whether every y_j is
// finite; 1 ≤ rows, 1 ≤ n.
//
//go:noescape
func packSignNEON(y *float32, rows, n int, code *uint64) bool

// packNonzeroNEON is packNonzeroGo on raw pointers: bit j is !(y_j == 0).
//
//go:noescape
func packNonzeroNEON(y *float32, rows, n int, code *uint64)

// unpackNEON is unpackGo on raw pointers: out_j = +1 if bit j is set, else
// −1; 1 ≤ rows, 1 ≤ n.
//
//go:noescape
func unpackNEON(code *uint64, rows, n int, out *float32)

// unpackTernaryNEON is unpackTernaryGo on raw pointers: out_j = 0 if bit j
// of nz is clear, else ±1 as unpackNEON.
//
//go:noescape
func unpackTernaryNEON(code, nz *uint64, rows, n int, out *float32)

// The wrappers adapt the slices of the kernel contract (kernel.go), whose
// preconditions the caller guarantees.

func packSignX128(y []float32, rows, n int, code []uint64) bool {
	return packSignNEON(&y[0], rows, n, &code[0])
}

func packNonzeroX128(y []float32, rows, n int, code []uint64) {
	packNonzeroNEON(&y[0], rows, n, &code[0])
}

func unpackX128(code []uint64, rows, n int, out []float32) {
	unpackNEON(&code[0], rows, n, &out[0])
}

func unpackTernaryX128(code, nz []uint64, rows, n int, out []float32) {
	unpackTernaryNEON(&code[0], &nz[0], rows, n, &out[0])
}
