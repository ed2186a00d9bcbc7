// Package baseline holds what compressive meta-learning (package meta) is
// measured against at equal sketch size m (meta-learning.md §6): sketches
// of random projections of the first and second moments with hand-made
// decoders for PCA and ridge regression, the exact solutions on the full
// data, the metrics of the tables (§4), and the task families that
// generate the data sets (§3).
//
// A sketch is a sum of per-row features plus a count, so it streams,
// merges and forgets rows. Start with a design (the frozen directions)
// and a sketch:
//
//	g, err := baseline.NewDesign(baseline.Params{Task: baseline.PCA, D: 20, M: 128, Seed: 1})
//	s := baseline.NewSketch(g)
//	err = s.Add(rows)                                     // n×20, row-major, as many blocks as needed
//	m, err := baseline.DecodePCA(s, 3, baseline.PCAOptions{}) // m.U (20×3, orthonormal), m.Mu
//	sc, err := baseline.ScorePCA(rows, 20, m)             // sc.Ratio = E/E_opt ≥ 1
//
// Ridge rows carry y in the last column (width d+1):
//
//	g, err := baseline.NewDesign(baseline.Params{Task: baseline.Ridge, D: 20, M: 128, Seed: 1})
//	…
//	fit, err := baseline.DecodeRidge(s, baseline.DefaultLambda)        // fit.Beta, fit.B
//	sc, err := baseline.ScoreRidge(train, test, 20, baseline.DefaultLambda, fit)
//
// and data to try them on come from the families:
//
//	task, err := baseline.DefaultPCAFamily(20).Task(seed)
//	rows := task.Rows(2000, 0) // row stream 0; stream 1 is an independent held-out draw
//
// How the budget is spent (Layout, Parts): every layout stores the exact
// first moments, so the second moments are centred in the same pass.
// Exact statistics are used whenever they fit (PCA: d + d(d+1)/2 numbers;
// ridge: 2d + 2 + d(d+1)/2), and the decoders are then exact. Below that,
// PCA measures z_j = mean (a_jᵀx)² along Gaussian directions and decodes
// them by iterative hard thresholding (compressive PCA); ridge stores the
// exact moments of a random projection s = Pᵀx (compressed least
// squares), which beat quadratic measurements at every m tried (see
// Params). TestBaselineTable prints the median ratios at d = 20, k = 3.
package baseline
