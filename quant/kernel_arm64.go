//go:build !purego

package quant

// NEON (ASIMD) kernels, kernel_arm64.s. ASIMD is mandatory on arm64, so the
// kernel needs no feature detection; CLKIT_NONEON=1 switches it off.
func archKernels() []kernel {
	return []kernel{{name: "neon", count32: countF32x128, count64: countF64x128,
		codes32: codesF32x128, codes64: codesF64x128, env: "CLKIT_NONEON"}}
}

// countF32NEON is countF32Go (kernel_generic.go) on raw pointers: n rows of
// x (n·d values), nb blocks of 16 frequencies in om, xi, cc, cs.
//
//go:noescape
func countF32NEON(x *float32, n, d int, om, xi *float32, nb int, cc, cs *uint32)

// countF64NEON is countF64Go on raw pointers, the arguments as for
// countF32NEON.
//
//go:noescape
func countF64NEON(x *float64, n, d int, om, xi *float64, nb int, cc, cs *uint32)

// codesF32NEON is codesF32Go on raw pointers: n rows of x, nb blocks in om
// and xi, and the n·(nb+1)/2 words of code.
//
//go:noescape
func codesF32NEON(x *float32, n, d int, om, xi *float32, nb int, code *uint64)

// codesF64NEON is codesF64Go on raw pointers, the arguments as for
// codesF32NEON.
//
//go:noescape
func codesF64NEON(x *float64, n, d int, om, xi *float64, nb int, code *uint64)

// The wrappers adapt the slices of the kernel contract (kernel.go), whose
// preconditions the caller guarantees.

func countF32x128(x []float32, n, d int, om, xi []float32, cc, cs []uint32) {
	countF32NEON(&x[0], n, d, &om[0], &xi[0], len(xi)/blockFreqs, &cc[0], &cs[0])
}

func countF64x128(x []float64, n, d int, om, xi []float64, cc, cs []uint32) {
	countF64NEON(&x[0], n, d, &om[0], &xi[0], len(xi)/blockFreqs, &cc[0], &cs[0])
}

func codesF32x128(x []float32, n, d int, om, xi []float32, code []uint64) {
	codesF32NEON(&x[0], n, d, &om[0], &xi[0], len(xi)/blockFreqs, &code[0])
}

func codesF64x128(x []float64, n, d int, om, xi []float64, code []uint64) {
	codesF64NEON(&x[0], n, d, &om[0], &xi[0], len(xi)/blockFreqs, &code[0])
}
