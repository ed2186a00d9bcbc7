//go:build !purego

package rff

// NEON (ASIMD) kernels, kernel_arm64.s, vjp_arm64.s and features_arm64.s.
// ASIMD is mandatory on arm64, so the kernel needs no feature detection;
// CLKIT_NONEON=1 switches it off.
func archKernels() []kernel {
	return []kernel{{name: "neon", f32: neonF32, f64: neonF64, vjp32: neonVJP32, vjp64: neonVJP64, feat32: neonFeat32, feat64: neonFeat64, env: "CLKIT_NONEON"}}
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

// vjpF32NEON is vjpF32Go (vjp_generic.go) on raw pointers: n rows of x
// (n·d values), nb blocks of 16 frequencies in om, xi, a, b, scratch gs of
// d·16, outputs v (n) and gr (n·d).
//
//go:noescape
func vjpF32NEON(x *float32, n, d int, om, xi, a, b *float32, nb int, gs *float32, v, gr *float64)

// vjpF64NEON is vjpF64Go on raw pointers, with the arguments of vjpF32NEON.
//
//go:noescape
func vjpF64NEON(x *float64, n, d int, om, xi, a, b *float64, nb int, gs *float64, v, gr *float64)

// neonVJP32 and neonVJP64 adapt the slices of the VJP contract (vjp.go).
func neonVJP32(x []float32, d int, om, xi, a, b, gs []float32, v, g []float64) {
	vjpF32NEON(&x[0], len(v), d, &om[0], &xi[0], &a[0], &b[0], len(xi)/blockFreqs, &gs[0], &v[0], &g[0])
}

func neonVJP64(x []float64, d int, om, xi, a, b, gs []float64, v, g []float64) {
	vjpF64NEON(&x[0], len(v), d, &om[0], &xi[0], &a[0], &b[0], len(xi)/blockFreqs, &gs[0], &v[0], &g[0])
}

// featF32NEON is featF32Go (features_generic.go) on raw pointers: n rows of
// x (n·d values), nb blocks of 16 frequencies in om, xi, out rows ld
// elements apart.
//
//go:noescape
func featF32NEON(x *float32, n, d int, om, xi *float32, nb int, out *float32, ld int)

// featF64NEON is featF64Go on raw pointers, with the arguments of
// featF32NEON.
//
//go:noescape
func featF64NEON(x *float64, n, d int, om, xi *float64, nb int, out *float64, ld int)

// neonFeat32 and neonFeat64 adapt the slices of the feature contract
// (features.go).
func neonFeat32(x []float32, d int, om, xi []float32, out []float32, ld int) {
	featF32NEON(&x[0], len(x)/d, d, &om[0], &xi[0], len(xi)/blockFreqs, &out[0], ld)
}

func neonFeat64(x []float64, d int, om, xi []float64, out []float64, ld int) {
	featF64NEON(&x[0], len(x)/d, d, &om[0], &xi[0], len(xi)/blockFreqs, &out[0], ld)
}
