// Package meta is compressive meta-learning (after Mas Montserrat et al.,
// "Compressive Meta-Learning", KDD 2025): instead of random features and a
// hand-made decoder, both ends are learned. A Sketch-Network f maps every
// row to R^m and the sketch is the mean of f over the rows, so it streams,
// merges and forgets rows like every clkit sketch; a Query-Network maps a
// sketch (with log n and the privacy noise level) to a model: a PCA
// subspace and mean, ridge coefficients, k-means centroids, or the weights
// of a linear autoencoder. Both are trained end to end over many synthetic
// data sets of a task's family (Train), then used on new data sets.
//
//	task, _ := meta.NewPCATask(20, 3)
//	m, _ := meta.NewModel(task, meta.SketchConfig{M: 64}, meta.QueryConfig{}, 4096, 1)
//	_, err := meta.Train(m, meta.TrainOptions{Steps: 3000}) // minutes on two cores
//	s := m.NewSketch()
//	err = s.Add(rows, 0)                      // any number of blocks, any order
//	out, _ := m.Predict(s.Z(), float64(s.Rows()), 0)
//	U, mu, _ := task.Decode(out)               // an orthonormal basis and the mean
//
// The Sketch-Network's output has a direct part (the standardised row and
// quadratic measurements (aⱼᵀx)²: means and linear measurements of the
// second moments, the random-projection baseline's sketch with learnable
// directions) and a learned part (a Fourier branch on rff's feature
// kernels and a residual trunk on nn's GEMM); each part is bounded, so one
// row's effect on the sum is known and Privatize releases a sketch with
// (ε, δ)- or ε-differential privacy. Evaluate measures a model on held-out
// data sets against the baselines of package meta/baseline at the same m.
// Model files hold both networks (safetensors); package meta/pretrained
// ships trained ones for the default sizes.
package meta
