// Package dp releases random-Fourier-feature sketches (package rff) with
// differential privacy: it adds calibrated Laplace or Gaussian noise to the
// sums Σ_i Φ(x_i) and to the row count n, so that the released sketch
//
//	z̃ = (Σ_i Φ(x_i) + noise) / (n + count noise)
//
// can be handed to any decoder (CL-OMPR, CL-GN, …) in place of the exact one.
// Everything downstream of the release is post-processing and costs no
// further privacy.
//
// How to start: sketch the data without weights, then privatize it.
//
//	f, _ := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: d, M: m,
//		Sigma: []float64{sigma}, Seed: 1})
//	s := rff.NewSketch(f)
//	_ = s.AddF64(rows, nil) // weights must be nil (all 1)
//	noisy, rep, err := dp.Privatize(s, dp.Options{
//		Mechanism: dp.Laplace, Neighbourhood: dp.AddRemove, Epsilon: 0.5})
//	// decode noisy.Z(); rep says what noise was used and what was spent.
//
// Only unweighted sketches (Weight() == Rows()) are accepted: with weights
// the contribution of one row is unbounded. The frequencies Ω, ξ are
// data-independent and public. Options.Seed = 0 draws the noise from a
// cryptographic source; a fixed seed is for tests only (whoever knows it can
// subtract the noise). Floating-point Laplace/Gaussian samplers leak a
// little through the low bits of their output (Mironov 2012); this package
// does not implement snapping.
//
// # Sensitivities
//
// Write a row's feature vector as 2m reals, Φ(x) = (c_1..c_m, s_1..s_m) with
// θ_j = ω_jᵀx + ξ_j and
//
//	ComplexExp: c_j = cos θ_j,        s_j = sin θ_j
//	OneBit:     c_j = sign(cos θ_j),  s_j = sign(sin θ_j)   (sign(0) = +1)
//
// and S(X) = Σ_{x∈X} Φ(x). Sensitivity is Δ_p = sup ‖S(X) − S(X')‖_p over
// neighbouring X, X'.
//
// Add/remove (unbounded DP): X' = X ∪ {x}, so S(X') − S(X) = Φ(x) and
// Δ_p = sup_x ‖Φ(x)‖_p.
//
//   - ComplexExp, L2: ‖Φ(x)‖₂² = Σ_j (cos²θ_j + sin²θ_j) = m for every x,
//     so Δ₂ = √m, attained by every point.
//   - ComplexExp, L1: ‖Φ(x)‖₁ = Σ_j (|cos θ_j| + |sin θ_j|), and
//     |cos θ| + |sin θ| = √(1 + |sin 2θ|) ≤ √2, with equality iff
//     θ ≡ π/4 (mod π/2). So Δ₁ = √2·m, attained by a point whose m phases all
//     sit at odd multiples of π/4: such a point exists when the ω_j are
//     linearly independent (m ≤ d: solve Ωx = π/4 − ξ); for m > d the
//     supremum is approached (Kronecker: the phases along a generic line
//     are dense in the torus) and in any case it is the bound that matters.
//   - OneBit: every entry is ±1, so ‖Φ(x)‖₁ = 2m and ‖Φ(x)‖₂ = √(2m) for
//     every x: Δ₁ = 2m, Δ₂ = √(2m), attained by every point.
//
// Replace-one (bounded DP): X' replaces x by x', S(X) − S(X') = Φ(x) − Φ(x')
// and by the triangle inequality Δ_p ≤ 2·sup‖Φ‖_p. The bound is attained by
// x' with every phase shifted by π (θ'_j = θ_j + π, again solvable for
// m ≤ d), since then Φ(x') = −Φ(x) for both features (for OneBit, as long
// as no phase lies exactly on an axis, where sign(0) = +1). Hence
//
//	                    add/remove        replace-one
//	ComplexExp   L1     √2·m              2√2·m
//	ComplexExp   L2     √m                2√m
//	OneBit       L1     2m                4m
//	OneBit       L2     √(2m)             2√(2m)
//	count n      L1=L2  1                 0 (n is public)
//
// (For replace-one the L2 constant is 2√m, not √(2m): Φ(x) − Φ(x') can be
// 2Φ(x), whose norm is 2√m.)
//
// Frequency subsampling. In SketchSubsampled each row i draws a set S_i of
// r distinct frequencies out of m, uniformly and independently of the data,
// and contributes c·Φ_j(x_i) for j ∈ S_i only (both parts), with c = m/r
// ("scaled", an unbiased estimate of the full sum) or c = 1 ("unscaled").
// The masks need not be secret: conditionally on the masks (neighbours
// sharing the masks of their common rows, and the changed row keeping its
// slot's mask), a row moves only its 2r entries, so the mechanism is DP for
// every fixed choice of masks, hence also for random masks. The sums'
// sensitivities become
//
//	                    add/remove        replace-one
//	ComplexExp   L1     √2·c·r            2√2·c·r
//	ComplexExp   L2     c·√r              2c·√r
//	OneBit       L1     2c·r              4c·r
//	OneBit       L2     c·√(2r)           2c·√(2r)
//
// With c = m/r the L1 sensitivity is unchanged (√2·m) and the L2 one grows
// to m/√r; the gain of subsampling is speed, and privacy amplification by
// the random masks, which this package does not claim (it is conservative).
//
// # Mechanisms and budget
//
// The sums and the count are released by two mechanisms and the budget is
// split by basic composition: ε = ε_sums + ε_count (and δ = δ_sums + δ_count
// for Gaussian), with ε_count = CountFraction·ε, δ_count = CountFraction·δ.
// CountFraction defaults to 0.1 for add/remove; for replace-one n does not
// change between neighbours, it is released exactly and the whole budget
// goes to the sums.
//
//   - Laplace (pure ε-DP): independent Laplace(b) on each of the 2m sums with
//     b = Δ₁/ε_sums (variance 2b²), and Laplace(1/ε_count) on n.
//   - Gaussian ((ε, δ)-DP): the analytic Gaussian mechanism of Balle & Wang
//     (2018), N(0, σ²) on each sum with σ the smallest value satisfying
//     Φ(Δ₂/(2σ) − εσ/Δ₂) − e^ε Φ(−Δ₂/(2σ) − εσ/Δ₂) ≤ δ (AnalyticGaussianSigma),
//     and the same with Δ = 1 for n. Valid for every ε > 0, and tighter than
//     the classic σ = √(2 ln(1.25/δ))·Δ₂/ε.
//
// The noisy count is clamped to ≥ 1 (post-processing) and becomes both the
// weight and the (rounded) row count of the released sketch, so the true n
// does not leak through Rows().
package dp
