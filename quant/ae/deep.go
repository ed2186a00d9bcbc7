package ae

import (
	"fmt"
	"math"

	"github.com/clkit/clkit/nn"
)

// Learned coordinate-wise functions are tiny networks applied to every
// value of a matrix at once (a batch of rows·D scalars):
//
//	denoiser f(y) = y·(1 + g(y)) + e(y),  (g, e) = W₂ tanh(W₁ y + b₁) + b₂
//	code map h(p) = W₂ tanh(W₁ p + b₁) + b₂
//
// (H hidden units), with W₂ and b₂ zero at the start, so a fresh f is the
// identity and a fresh h is 0: adding either to a trained decoder starts
// from that decoder's output. f is a bounded gain times y, like the
// posterior mean (BayesBG.F): a residual y + tanh(…) has slope 1 in the
// tails, where the Bayes denoiser's is (μ/p)/v₁ (1.49 at r = 1, p = 0.1),
// and stayed 0.01 above it.

// DefaultHidden is the hidden width of the learned scalar functions.
const DefaultHidden = 16

// newScalarNet is a 1 → outputs network with a zero output layer: a
// denoiser's (2 outputs) of ReLU hinges, a piecewise-linear gain, 4× as
// fast as tanh (math.Tanh was 3/4 of the training time) and as good; a
// code map's (1 output) of tanh steps, the smooth bounded shape of an
// expected sign, with which the deep decoder gained 0.018 at D = 64 and
// with hinges nothing.
func newScalarNet(hidden, outputs int, hinges bool, seed uint64) (*nn.Net[float32], error) {
	if hidden < 1 {
		return nil, fmt.Errorf("ae: hidden width %d, want ≥ 1", hidden)
	}
	act, slope := nn.Tanh, 3.0
	if hinges {
		act, slope = nn.ReLU, 1
	}
	net, err := nn.NewNet(nn.Dense[float32](1, hidden), nn.Act[float32](act), nn.Dense[float32](hidden, outputs))
	if err != nil {
		return nil, err
	}
	net.Init(seed)
	p := net.Params()
	// hidden unit k has its knee at t_k, the t_k spread evenly over ±3
	// (inputs are of unit scale): nn's Xavier draw (|W₁| < 0.6, b₁ = 0)
	// puts every knee at 0, and the shrinkage thresholds of a posterior
	// mean (|y| ≈ 1.2) took 3000 Adam steps to form, not 800
	w1, b1 := p[:hidden], p[hidden:2*hidden]
	for k := range w1 {
		t := 0.0
		if hidden > 1 {
			t = -3 + 6*float64(k)/float64(hidden-1)
		}
		w := float32(math.Copysign(slope, float64(w1[k])))
		w1[k], b1[k] = w, -w*float32(t)
	}
	clear(p[len(p)-(hidden+1)*outputs:]) // the output layer: W₂ (outputs×H) and b₂
	return net, nil
}

// fnWork holds a denoiser's activations between forward and backward.
type fnWork struct {
	ws   nn.Workspace[float32]
	y, o []float32 // the input (the caller's) and the net's (g, e) pairs
	dO   []float32
}

// denoiseTo writes f(y) into out (which may be y; then backward is not
// possible). y must not change before backward.
func denoiseTo(net *nn.Net[float32], w *fnWork, y, out []float32) {
	w.y = y
	w.o = net.Forward(&w.ws, y, len(y))
	for i, v := range y {
		out[i] = v*(1+w.o[2*i]) + w.o[2*i+1]
	}
}

// denoiseBackward takes ∂L/∂f(y) in dout and writes ∂L/∂y into dy (not
// dout) and ∂L/∂θ into grad.
func denoiseBackward(net *nn.Net[float32], w *fnWork, dout, grad, dy []float32) {
	w.dO = grow32(w.dO, 2*len(dout))
	for i, g := range dout {
		w.dO[2*i], w.dO[2*i+1] = g*w.y[i], g
	}
	net.Backward(&w.ws, w.dO, grad, dy)
	for i, g := range dout {
		dy[i] += g * (1 + w.o[2*i])
	}
}

// Block is one refinement step of the multi-layer decoder. The design is
// ours (notes §6, after the RI-GAMP-inspired decoder of Kögler et al.,
// whose exact form we could not read): from the current estimate x̂,
//
//	u  = x̂ + A_t·(c − h_t(B x̂))    h_t coordinate-wise: the code expected from x̂
//	x̂ ← f_t(u)                      f_t coordinate-wise: a denoiser
//
// with A_t (D×N), h_t and f_t learned and B the model's encoder, frozen.
// A fresh block (A_t = 0, h_t = 0, f_t = identity) leaves x̂ unchanged.
type Block struct {
	a    []float32 // D×N
	h, f *nn.Net[float32]
}

// decodeWork holds the buffers of a decoder's forward (and, for training,
// backward) pass: the denoiser's workspace and each block's.
type decodeWork struct {
	f      fnWork
	blocks []blockWork
}

// blockWork is one block's activations on a batch.
type blockWork struct {
	p, e, u []float32 // B x̂, c − h(B x̂), u
	h       nn.Workspace[float32]
	f       fnWork
}

func (w *decodeWork) block(t int) *blockWork {
	for len(w.blocks) <= t {
		w.blocks = append(w.blocks, blockWork{})
	}
	return &w.blocks[t]
}

// forward runs block t on rows: s holds the codes as ±1 (rows×N), x the
// estimate (rows×D), replaced by the block's output.
func (b *Block) forward(m *Model, s, x []float32, rows int, ws *decodeWork, t int) {
	d, n := m.d, m.n
	bw := ws.block(t)
	bw.p = grow32(bw.p, rows*n)
	nn.Gemm(false, false, rows, n, d, 1, x, d, m.bt, n, 0, bw.p, n)
	hp := b.h.Forward(&bw.h, bw.p, rows*n)
	bw.e = grow32(bw.e, rows*n)
	for i, v := range s[:rows*n] {
		bw.e[i] = v - hp[i]
	}
	bw.u = append(bw.u[:0], x...)
	nn.Gemm(false, true, rows, d, n, 1, bw.e, n, b.a, n, 1, bw.u, d)
	denoiseTo(b.f, &bw.f, bw.u, x)
}

// blockGrads are the gradients of one block's parameters.
type blockGrads struct {
	a, h, f []float32
}

// backward takes ∂L/∂(block output) in dx (rows×D) and replaces it by
// ∂L/∂(block input), adding the parameter gradients into g. The block's
// last forward on ws must be the one being differentiated.
func (b *Block) backward(m *Model, dx []float32, rows int, ws *decodeWork, t int, g *blockGrads, scratch *[3][]float32) {
	d, n := m.d, m.n
	bw := &ws.blocks[t]
	du := grow32(scratch[0], rows*d)
	denoiseBackward(b.f, &bw.f, dx, g.f, du)
	nn.Gemm(true, false, d, n, rows, 1, du, d, bw.e, n, 1, g.a, n)
	dh := grow32(scratch[1], rows*n)
	nn.Gemm(false, false, rows, n, d, -1, du, d, b.a, n, 0, dh, n) // −∂L/∂e
	dp := grow32(scratch[2], rows*n)
	b.h.Backward(&bw.h, dh, g.h, dp)
	copy(dx, du)
	nn.Gemm(false, false, rows, d, n, 1, dp, n, m.b, d, 1, dx, d)
	scratch[0], scratch[1], scratch[2] = du, dh, dp
}

func grow32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
