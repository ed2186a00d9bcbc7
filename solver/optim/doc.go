// Package optim holds the small numerical optimisers used by clkit's
// sketch decoders (CL-OMPR for compressive k-means and GMMs): a
// non-negative least-squares solver for the atom weights and a
// box-constrained quasi-Newton minimiser for atom parameters.
//
// Both are built for many calls on small problems: NNLS for up to about a
// hundred unknowns and ten thousand rows, MinimizeBox for up to about a
// thousand variables. They take their scratch memory from internal pools,
// or from a caller-held NNLSWorkspace / BoxWorkspace, so repeated calls do
// not allocate.
//
// How to start:
//
//	// Weights: min ‖A x − b‖₂, x ≥ 0, A column-major m×k.
//	res, err := optim.NNLS(a, m, k, b, x)
//
//	// Parameters: minimise f over lower ≤ θ ≤ upper from θ.
//	r, err := optim.MinimizeBox(func(th, grad []float64) float64 {
//		// ... write ∇f(θ) into grad, return f(θ)
//	}, theta, lower, upper, optim.Settings{})
//	// r.Status says why it stopped; theta holds the solution.
//
// f is only ever evaluated at points inside the box. Errors are reserved
// for bad arguments (and, for NNLS, non-convergence); an optimiser that
// stalls after making progress returns its best point with a Status.
package optim
