// Package rff computes random-Fourier-feature sketches: in one streaming
// pass, a data set X = {x_i} ⊂ R^d with weights w_i becomes the m complex
// numbers
//
//	z_j = Σ_i w_i exp(i(ω_jᵀx_i + ξ_j)) / Σ_i w_i,
//
// from which the solver, quant, gen and meta packages learn models.
//
// Start with frequencies and a sketch:
//
//	f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 10, M: 1000,
//		Sigma: []float64{1}, Seed: 1})
//	s := rff.NewSketch(f)
//	err = s.AddF32(rows, nil)  // row-major n×d block, weights optional
//	re, im := s.Z()            // normalised sketch
//
// Frequencies are fully determined by their Params: the same seed gives the
// same Ω and ξ, bit for bit, on every platform and build, so sketches made
// on different machines Merge, and a file stores only the parameters.
//
// The hot path is a fused kernel (dot products, sincos and sums in
// registers) in AVX-512 and AVX2 assembly generated with avo (rff/asm), NEON
// assembly on arm64, and pure Go everywhere; the best usable one is chosen
// at start-up (Kernels, DefaultKernel). CLKIT_NOASM=1, CLKIT_NOAVX512=1,
// CLKIT_NOAVX2=1 and CLKIT_NONEON=1 switch kernels off at run time; the
// purego build tag removes the assembly.
//
// Accuracy, per entry of z against a float64 math.Sincos reference on the
// same inputs: float64 input within 1e-12, float32 input within 1e-6 on
// data whose phases ω_jᵀx + ξ_j are of moderate size (a standard deviation
// of 3 in the benchmarks). A float32 row's phase is a float32 dot product,
// so its error is at most about (d+3)·2⁻²⁴·(|ξ_j| + Σ_k |ω_jk x_k|), and
// usually far less; the errors of many rows average out. Rows whose phases could exceed the fast range
// (|t| > 8192 for float32, 2¹⁸ for float64) are computed exactly in float64.
package rff
