// Package gen trains generative networks from a sketch alone (compressive
// learning of generative networks, CL-GN): a data set is sketched once
// with package rff, and a generator G (an nn.Net from latent vectors to
// rows) is fitted so that the sketch of its samples matches the data's,
//
//	L(θ) = (1/m)·‖z_X − (1/n_b)·Σ_i Φ(G_θ(z_i))‖²,   z_i ~ N(0, I),
//
// with no access to the data. The sketch layer Φ runs on rff's fused
// kernels: its forward is the sketch kernel, its backward rff.FeatureVJP.
// For reference and for tests, TrainMMD trains on the data with the exact
// MMD of the same kernel (SketchKernel), and EnergyDistance and MMD2 judge
// samples without any of the training frequencies.
//
//	f, _ := rff.NewFrequencies(rff.Params{Law: rff.FoldedGaussian, D: 2, M: 10000,
//		Sigma: []float64{math.Sqrt(1e-3)}, Seed: 1})
//	s := rff.NewSketch(f)
//	s.AddParallelF64(rows, nil, 0)          // the data, once
//	net, _ := nn.MLP[float32](10, []int{10, 10, 10, 10, 10, 10, 10}, 2, nn.LeakyReLU(0.2), nn.Identity)
//	net.Init(1)
//	res, err := gen.Train(s, net, gen.Options{}) // the paper's settings
//	samples := gen.Sample(net, 50000, 2)
//
// Spiral, Circle and Mixture generate the paper's 2-D data sets.
package gen
