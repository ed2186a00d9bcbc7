// Package nn is the small dense neural-network core shared by clkit's
// learners from sketches: generative networks trained against a sketch
// (gen) and the Sketch- and Query-Networks of meta-learning (meta). It is
// a means, not a framework: row-major float32 or float64 matrices, layers
// with hand-written backward passes, matrix products through gonum's
// BLAS, a flat parameter vector that optimisers update in place, and
// files in the safetensors format, which PyTorch reads as they are.
//
//	net, err := nn.MLP[float32](10, []int{64, 64}, 2, nn.LeakyReLU(0.2), nn.Identity)
//	if err != nil { … }
//	net.Init(1)                                  // portable: same seed, same weights everywhere
//	ws, grad := new(nn.Workspace[float32]), make([]float32, net.NumParams())
//	opt := nn.NewAdam[float32](nn.Constant(1e-3))
//	for step := 0; step < 1000; step++ {
//		y := net.Forward(ws, x, batch)               // batch×2, owned by ws
//		dy := lossGrad(y)                            // ∂L/∂y, in your own buffer
//		net.Backward(ws, dy, grad, nil)              // grad = ∂L/∂θ
//		opt.Step(net.Params(), grad)
//	}
//	err = net.Save("gen.safetensors", map[string]string{"sigma": "0.5"})
//
// A Net is read-only while it runs, so several goroutines can share one,
// each with its own Workspace; the matrix products stay in the calling
// goroutine. Forward, Backward and the optimisers' Step are the hot path:
// they do not allocate once the Workspace (or the optimiser's state) has
// grown, and they panic on slices of the wrong length. Everything else
// returns errors.
package nn
