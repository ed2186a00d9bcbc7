package ae

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/nn"
)

// DecoderOptions configures TrainDecoder.
type DecoderOptions struct {
	// Blocks is the number of refinement blocks of a deep decoder (0: a
	// denoised decoder, f(A c + β)). A deep model keeps its blocks and
	// gains new ones up to Blocks: fewer than it has is an error.
	Blocks int
	// Hidden is the hidden width of the learned scalar functions
	// (default DefaultHidden).
	Hidden int
	// Steps of Adam (default 2000) on minibatches of Batch rows (default
	// 256), learning rate LR (default 0.003) cosine-decayed to LR/20. A
	// deep decoder trains its denoiser first, if the model has none, then
	// everything together, Steps each.
	Steps, Batch int
	LR           float64
	// MatrixLR is the learning rate of the matrices (A, β and the blocks'
	// A_t) relative to LR·√(1/N), the size of A's entries (default 0.1;
	// negative: A and β stay as m has them, the blocks' A_t still learn).
	// Adam moves every entry by about its rate a step, so at LR the
	// decoder's D·N entries drift by far more than their size and overfit
	// (at D = 400, r = 1: 0.17 held out against 0.136 in training, worse
	// than the Bayes denoiser's 0.135).
	MatrixLR float64
	Seed     uint64
	Progress func(step, steps int, loss float64)
}

func (o *DecoderOptions) defaults() error {
	if o.Hidden == 0 {
		o.Hidden = DefaultHidden
	}
	if o.Steps == 0 {
		o.Steps = 2000
	}
	if o.Batch == 0 {
		o.Batch = 256
	}
	if o.LR == 0 {
		o.LR = 0.003
	}
	if o.MatrixLR == 0 {
		o.MatrixLR = 0.1
	}
	switch {
	case o.Blocks < 0 || o.Blocks > 16:
		return fmt.Errorf("ae: %d blocks, want 0…16", o.Blocks)
	case o.Hidden < 1, o.Steps < 0, o.Batch < 1:
		return errors.New("ae: Hidden and Batch must be positive, Steps ≥ 0")
	case !(o.LR > 0):
		return fmt.Errorf("ae: learning rate %v, want > 0", o.LR)
	}
	return nil
}

// DecoderReport is what TrainDecoder measured: the minibatch loss at each
// step, and the MSE on all the training rows at the end.
type DecoderReport struct {
	Loss []float64
	MSE  float64
}

// TrainDecoder trains a learned decoder for m's encoder, which stays
// fixed, on the rows of x. With Blocks = 0 it is the denoised decoder
// f(A c + β), A and β starting from m's and f from m's learned denoiser or
// the identity (m's blocks are dropped); with Blocks > 0 the deep decoder,
// m's blocks and new ones (starting as the identity) after m's denoiser,
// which is trained first if m has none, then everything together (Blocks
// less than m's number of blocks, but not 0, is an error). A Bayes
// denoiser in m is replaced.
func TrainDecoder(m *Model, x []float32, o DecoderOptions) (*Model, *DecoderReport, error) {
	if _, err := checkData(x, m.d); err != nil {
		return nil, nil, err
	}
	if err := o.defaults(); err != nil {
		return nil, nil, err
	}
	if o.Blocks > 0 && o.Blocks < len(m.blocks) {
		return nil, nil, fmt.Errorf("ae: %d blocks for a model that has %d: a deep decoder keeps its blocks (0 drops them)", o.Blocks, len(m.blocks))
	}
	codes, err := m.Encode(x)
	if err != nil {
		return nil, nil, err
	}
	out := m.clone()
	out.a, out.bias, out.bayes = slices.Clone(m.a), slices.Clone(m.bias), nil
	rep := &DecoderReport{}
	if out.f != nil {
		out.f = out.f.Clone()
	}
	if o.Blocks == 0 || out.f == nil {
		// the denoised decoder, from m's denoiser if it has one
		if out.f == nil {
			if out.f, err = newScalarNet(o.Hidden, 2, true, o.Seed); err != nil {
				return nil, nil, err
			}
		}
		out.blocks = nil
		if err := trainDecoder(out, x, codes, o, rep); err != nil {
			return nil, nil, err
		}
	}
	if o.Blocks > 0 {
		out.blocks = slices.Clone(out.blocks)
		for t := range out.blocks {
			out.blocks[t] = out.blocks[t].clone()
		}
		for t := len(out.blocks); t < o.Blocks; t++ {
			blk := Block{a: make([]float32, m.d*m.n)}
			if blk.h, err = newScalarNet(o.Hidden, 1, false, o.Seed+uint64(2*t+1)); err != nil {
				return nil, nil, err
			}
			if blk.f, err = newScalarNet(o.Hidden, 2, false, o.Seed+uint64(2*t+2)); err != nil {
				return nil, nil, err
			}
			out.blocks = append(out.blocks, blk)
		}
		if err := trainDecoder(out, x, codes, o, rep); err != nil {
			return nil, nil, err
		}
	}
	// trainDecoder, run at least once above, left out.at the transpose of
	// the trained out.a
	if rep.MSE, err = out.MSE(x); err != nil {
		return nil, nil, err
	}
	return out, rep, nil
}

func (b Block) clone() Block {
	return Block{a: slices.Clone(b.a), h: b.h.Clone(), f: b.f.Clone()}
}

func dot32(a, b []float32) float32 {
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return float32(s)
}

// paramGroup is a parameter slice, its gradient and its optimiser.
type paramGroup struct {
	p, g []float32
	opt  *nn.Adam[float32]
}

// trainDecoder trains m's decoder (A, β, f and the blocks) in place on the
// rows of x with their codes.
func trainDecoder(m *Model, x []float32, codes *Codes, o DecoderOptions, rep *DecoderReport) error {
	d, n := m.d, m.n
	rows := codes.Rows
	batch := min(o.Batch, rows)
	lr := nn.WarmupCosine(o.LR, 0, o.Steps, o.LR/20)
	mlr := o.LR * math.Abs(o.MatrixLR) / math.Sqrt(float64(n))
	lrM := nn.WarmupCosine(mlr, 0, o.Steps, mlr/20)
	group := func(p []float32, lr nn.Schedule) *paramGroup {
		return &paramGroup{p: p, g: make([]float32, len(p)), opt: nn.NewAdam[float32](lr)}
	}
	var groups []*paramGroup
	var ga, gbias *paramGroup
	if o.MatrixLR > 0 {
		ga = group(m.a, lrM)
		groups = append(groups, ga)
		if m.bias != nil {
			gbias = group(m.bias, lrM)
			groups = append(groups, gbias)
		}
	}
	gf := group(m.f.Params(), lr)
	groups = append(groups, gf)
	// A block's A_t is γ_t·A₀ + Δ_t, A₀ the decoder's A at the start: γ_t
	// (from 0, at LR) gives it A's direction, the back-projection of AMP,
	// which Δ_t alone, at the matrices' small rate, took too long to reach
	a0 := slices.Clone(m.a)
	bgs := make([]blockGrads, len(m.blocks))
	gammas := make([]*paramGroup, len(m.blocks))
	deltas := make([]*paramGroup, len(m.blocks))
	for t, blk := range m.blocks {
		gammas[t], deltas[t] = group(make([]float32, 1), lr), group(slices.Clone(blk.a), lrM)
		ph, pf := group(blk.h.Params(), lr), group(blk.f.Params(), lr)
		groups = append(groups, ph, pf)
		bgs[t] = blockGrads{a: make([]float32, d*n), h: ph.g, f: pf.g}
	}
	W := codes.Words()
	cb := make([]uint64, batch*W)
	var zb []uint64
	if codes.Support != nil {
		zb = make([]uint64, batch*W)
	}
	s := make([]float32, batch*n)
	xb, xh, y := make([]float32, batch*d), make([]float32, batch*d), make([]float32, batch*d)
	dy := make([]float32, batch*d)
	var ws decodeWork
	var scratch [3][]float32
	order := newBatcher(rows, prng.New(o.Seed, 4))
	for step := range o.Steps {
		for r := range batch {
			i := order.next()
			copy(xb[r*d:(r+1)*d], x[i*d:(i+1)*d])
			copy(cb[r*W:(r+1)*W], codes.Sign[i*W:(i+1)*W])
			if zb != nil {
				copy(zb[r*W:(r+1)*W], codes.Support[i*W:(i+1)*W])
			}
		}
		if zb == nil {
			m.k.unpack(cb, batch, n, s)
		} else {
			m.k.unpackTernary(cb, zb, batch, n, s)
		}
		// forward: y = s Aᵀ + β, x̂ = f(y), then the blocks
		nn.Gemm(false, true, batch, d, n, 1, s, n, m.a, n, 0, y, d)
		if m.bias != nil {
			for i := range y {
				y[i] += m.bias[i%d]
			}
		}
		denoiseTo(m.f, &ws.f, y, xh)
		for t := range m.blocks {
			m.blocks[t].forward(m, s, xh, batch, &ws, t)
		}
		var loss float64
		scale := float32(2 / float64(batch*d))
		for i, v := range xh {
			e := v - xb[i]
			loss += float64(e) * float64(e)
			xh[i] = scale * e // ∂L/∂x̂
		}
		rep.Loss = append(rep.Loss, loss/float64(batch*d))
		// backward
		for _, g := range bgs {
			clear(g.a)
		}
		for t := len(m.blocks) - 1; t >= 0; t-- {
			m.blocks[t].backward(m, xh, batch, &ws, t, &bgs[t], &scratch)
		}
		denoiseBackward(m.f, &ws.f, xh, gf.g, dy)
		if ga != nil {
			nn.Gemm(true, false, d, n, batch, 1, dy, d, s, n, 0, ga.g, n)
		}
		if gbias != nil {
			clear(gbias.g)
			for i, v := range dy {
				gbias.g[i%d] += v
			}
		}
		for _, g := range groups {
			g.opt.Step(g.p, g.g)
		}
		for t := range m.blocks {
			gm, dl, ga := gammas[t], deltas[t], bgs[t].a
			gm.g[0] = dot32(ga, a0)
			copy(dl.g, ga)
			gm.opt.Step(gm.p, gm.g)
			dl.opt.Step(dl.p, dl.g)
			for i, v := range dl.p {
				m.blocks[t].a[i] = gm.p[0]*a0[i] + v
			}
		}
		if o.Progress != nil {
			o.Progress(step+1, o.Steps, rep.Loss[len(rep.Loss)-1])
		}
	}
	m.at = transpose(m.a, d, n)
	return nil
}
