//go:build !purego

package rff

// NEON (ASIMD) kernels, kernel_arm64.s. ASIMD is mandatory on arm64, so the
// kernel needs no feature detection; CLKIT_NONEON=1 switches it off.
func archKernels() []kernel {
	return []kernel{{name: "neon", f32: neonF32, f64: neonF64, vjp32: vjpF32Go, vjp64: vjpF64Go, env: "CLKIT_NONEON"}}
}

// sketchF32NEON is sketchF32Go (kernel_generic.go) on raw pointers: n rows
// of x (n·d values) and w, nb blocks of 16 frequencies in om, xi, c, s.
//
//go:noescape
func sketchF32NEON(x, w *float32, n, d int, om, xi *float32, nb int, c, s *float64)

// sketchF64NEON is sketchF64Go (kernel_generic.go) on raw pointers, with the
// arguments of sketchF32NEON.
//
//go:noescape
func sketchF64NEON(x, w *float64, n, d int, om, xi *float64, nb int, c, s *float64)

// neonF32 and neonF64 adapt the slices of the kernel contract (kernel.go),
// whose preconditions the caller guarantees.
func neonF32(x, w []float32, d int, om, xi []float32, c, s []float64) {
	sketchF32NEON(&x[0], &w[0], len(w), d, &om[0], &xi[0], len(xi)/blockFreqs, &c[0], &s[0])
}

func neonF64(x, w []float64, d int, om, xi []float64, c, s []float64) {
	sketchF64NEON(&x[0], &w[0], len(w), d, &om[0], &xi[0], len(xi)/blockFreqs, &c[0], &s[0])
}
