// Package solver learns models from sketches: decoders that fit the
// parameters of a model so that its sketch matches the data's.
//
// Start with compressive k-means: sketch the data with rff, then
//
//	res, err := solver.KMeans(sketch, K, solver.KMeansOptions{Lower: lo, Upper: hi})
//
// where lo, hi bound the data (a box every centroid lies in). KMeans runs
// CL-OMPR (orthogonal matching pursuit with replacement) several times from
// different random starts and keeps the fit with the smallest sketch
// residual. Lloyd is the exact k-means++ baseline for data that fits in
// memory, EstimateScale picks the frequency scale σ² from a subsample, and
// the dp subpackage makes sketches differentially private.
package solver
