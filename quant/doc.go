// Package quant computes 1-bit (universally quantized) sketches: each row x
// contributes q(ω_jᵀx + ξ_j) with q(t) = sign(cos t) + i·sign(sin t), two
// bits per frequency, using the frequencies of package rff.
//
// It is made for data that is sketched where it is measured: a sensor sends
// 2m bits per row (or sums them itself), a server adds the bits of many
// sensors into one sketch, and the model is learnt from that sketch with
// the ordinary smooth feature map (asymmetric decoding). Over the dither,
// the expected 1-bit contribution is FirstHarmonic = 4/π times the smooth
// one, exp(i(ω_jᵀx + ξ_j)), in each of the cos and sin parts, plus higher
// harmonics that the dither turns into noise (see ErrNoDither); so the
// quantized sketch divided by 4/π estimates the smooth sketch, and every
// decoder written for rff sketches runs on it. On the Keriven mixtures
// (K = 10, d = 10, n = 1e5, m = 10Kd), k-means decoded that way (QCKM)
// reaches the SSE of compressive k-means on the smooth sketch with the same
// frequencies to within a few per cent (TestQCKMKeriven).
//
// Sketching in one place:
//
//	f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 10, M: 1000,
//		Sigma: []float64{1}, Seed: 1})   // dithered (the default)
//	s, err := quant.NewSketch(f)
//	err = s.AddParallelF32(rows, nil, 0) // row-major n×d block
//	res, err := solver.KMeans(s.Smooth(), 10, solver.KMeansOptions{Lower: lo, Upper: hi})
//
// Sensors and a server:
//
//	enc, err := quant.NewEncoder(f)       // on each sensor, same Params
//	code := make([]uint64, n*enc.CodeWords())
//	err = enc.EncodeF32(rows, code)       // 2m bits per row, packed
//	…
//	err = s.AddCodes(code, n, nil)        // on the server: the same sketch as AddF32(rows, nil)
//
// Exactness. Rows added without weights are counted in int64 (how many rows
// had each bit set), so sketches are identical, bit for bit, across kernels,
// worker counts, platforms, orders of Adds and Merges, and between rows and
// their codes. Weighted rows add their weight to a float64 sum per bit in
// row order, deterministically. Sums and Z combine both. WriteFile and
// ReadFile store the counts and sums (format in format.go).
//
// The hot path computes the phase in turns, u = (ωᵀx + ξ)/2π, by fused
// multiply-adds in the input's precision and reads the two sign bits off
// u − rint(u) without any trigonometry (contract in kernel.go). Precision:
// float32 rows whose phases could exceed 2¹⁰ turns are computed in float64
// from the same values, which keeps the float32 rounding error below
// (d+2)·2⁻¹⁵ turns, a bit-flip probability below 6e-5·(d+2) per bit;
// float64 rows with a phase beyond 2³² turns are refused (their bits would
// not be determined by the data). Details in plan.go. Non-finite values are errors naming the
// row and column, and a failed call adds nothing.
//
// The kernels: pure Go everywhere, and assembly where available (Kernels,
// DefaultKernel); CLKIT_NOASM=1, CLKIT_NOAVX512=1, CLKIT_NOAVX2=1 and
// CLKIT_NONEON=1 switch them off at run time. All give the same bits.
package quant
