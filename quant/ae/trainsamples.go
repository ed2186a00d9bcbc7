package ae

import (
	"errors"
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/nn"
)

// Relax is the surrogate gradient of sign used when training an encoder on
// samples.
type Relax int

const (
	// STE is the straight-through estimator: the forward pass uses sign,
	// the backward pass the derivative of the hard tanh, 1 on |t| ≤ 1.
	STE Relax = iota
	// Tanh trains through c = tanh(β·t) with β rising geometrically from
	// Beta0 to Beta1 over the steps, so the code becomes sign at the end.
	Tanh
)

func (r Relax) String() string {
	if r == Tanh {
		return "tanh"
	}
	return "ste"
}

// SampleOptions configures TrainSamples.
type SampleOptions struct {
	Rate float64 // code bits per input coordinate: N = round(Rate·D) ≥ 1
	// Steps of Adam on minibatches (default 2000) of Batch rows (default
	// 256), learning rate LR (default 0.01) cosine-decayed to LR/20.
	Steps, Batch int
	LR           float64
	Relax        Relax
	// Beta0 and Beta1 are the tanh slopes at the first and last step
	// (defaults 1 and 50).
	Beta0, Beta1 float64
	Affine       bool
	Tie          Tie
	Init         Init
	Seed         uint64
	Progress     func(step, steps int, loss float64)
}

func (o *SampleOptions) defaults(d int) error {
	if !(o.Rate > 0) || math.IsInf(o.Rate, 0) || math.Round(o.Rate*float64(d)) < 1 {
		return fmt.Errorf("ae: rate %v gives no code bits for D = %d", o.Rate, d)
	}
	if o.Steps == 0 {
		o.Steps = 2000
	}
	if o.Batch == 0 {
		o.Batch = 256
	}
	if o.LR == 0 {
		o.LR = 0.01
	}
	if o.Beta0 == 0 {
		o.Beta0 = 1
	}
	if o.Beta1 == 0 {
		o.Beta1 = 50
	}
	switch {
	case o.Steps < 0 || o.Batch < 1:
		return errors.New("ae: Steps must be ≥ 0 and Batch ≥ 1")
	case !(o.LR > 0):
		return fmt.Errorf("ae: learning rate %v, want > 0", o.LR)
	case !(o.Beta0 > 0) || !(o.Beta1 >= o.Beta0) || math.IsInf(o.Beta1, 0):
		return fmt.Errorf("ae: tanh slopes %v → %v, want 0 < Beta0 ≤ Beta1", o.Beta0, o.Beta1)
	case o.Relax != STE && o.Relax != Tanh:
		return fmt.Errorf("ae: unknown relaxation %d", int(o.Relax))
	case o.Tie != TiePlus && o.Tie != TieZero:
		return fmt.Errorf("ae: unknown tie %d", int(o.Tie))
	case o.Init < InitRandom || o.Init > InitIdentity:
		return fmt.Errorf("ae: unknown init %d", int(o.Init))
	}
	return nil
}

// SampleReport is what TrainSamples measured.
type SampleReport struct {
	Loss []float64 // the surrogate's minibatch loss at each step
	// MSE is the training rows' MSE with the true sign codes and the
	// least-squares decoder for them, which the returned model uses.
	MSE    float64
	Scores Scores
}

// checkData validates rows×d sample data.
func checkData(x []float32, d int) (int, error) {
	if d < 1 || len(x) == 0 || len(x)%d != 0 {
		return 0, fmt.Errorf("ae: %d values are not rows of %d", len(x), d)
	}
	if err := checkRows(x, d); err != nil {
		return 0, err
	}
	return len(x) / d, nil
}

// TrainSamples trains an encoder and a linear (or affine) decoder on the
// rows of x (row-major, D values each) by minibatch Adam through a
// surrogate of sign (o.Relax), with B's rows projected back to unit norm
// after each step, then refits the decoder by least squares on the true
// codes of all rows.
func TrainSamples(x []float32, d int, o SampleOptions) (*Model, *SampleReport, error) {
	rows, err := checkData(x, d)
	if err != nil {
		return nil, nil, err
	}
	if err := o.defaults(d); err != nil {
		return nil, nil, err
	}
	n := int(math.Round(o.Rate * float64(d)))
	if o.Init == InitRotation && n > d {
		return nil, nil, fmt.Errorf("ae: a rotation has at most D = %d rows, not %d", d, n)
	}
	nb := 0
	if o.Affine {
		nb = d
	}
	theta := make([]float32, d*n+n*d+nb)
	a, b, bias := theta[:d*n], theta[d*n:d*n+n*d], theta[d*n+n*d:]
	copy(b, to32(initRows(o.Init, n, d, prng.New(o.Seed, 1))))
	grad := make([]float32, len(theta))
	ga, gb, gbias := grad[:d*n], grad[d*n:d*n+n*d], grad[d*n+n*d:]
	opt := nn.NewAdam[float32](nn.WarmupCosine(o.LR, 0, o.Steps, o.LR/20))
	batch := min(o.Batch, rows)
	xb := make([]float32, batch*d)
	t, c, dc := make([]float32, batch*n), make([]float32, batch*n), make([]float32, batch*n)
	xh := make([]float32, batch*d)
	order := newBatcher(rows, prng.New(o.Seed, 3))
	rep := &SampleReport{Loss: make([]float64, 0, o.Steps)}
	for step := range o.Steps {
		order.gather(x, d, xb)
		nn.Gemm(false, true, batch, n, d, 1, xb, d, b, d, 0, t, n)
		beta := o.Beta0 * math.Pow(o.Beta1/o.Beta0, float64(step)/float64(max(1, o.Steps-1)))
		for i, v := range t {
			if o.Relax == Tanh {
				c[i] = float32(math.Tanh(beta * float64(v)))
			} else {
				c[i] = signOf(v, o.Tie)
			}
		}
		nn.Gemm(false, true, batch, d, n, 1, c, n, a, n, 0, xh, d)
		var loss float64
		scale := float32(2 / float64(batch*d))
		for i := range xh {
			if o.Affine {
				xh[i] += bias[i%d]
			}
			e := xh[i] - xb[i]
			loss += float64(e) * float64(e)
			xh[i] = scale * e // now ∂L/∂x̂
		}
		rep.Loss = append(rep.Loss, loss/float64(batch*d))
		nn.Gemm(true, false, d, n, batch, 1, xh, d, c, n, 0, ga, n)
		if o.Affine {
			clear(gbias)
			for i, v := range xh {
				gbias[i%d] += v
			}
		}
		nn.Gemm(false, false, batch, n, d, 1, xh, d, a, n, 0, dc, n)
		for i, v := range t {
			if o.Relax == Tanh {
				dc[i] *= float32(beta) * (1 - c[i]*c[i])
			} else if v > 1 || v < -1 {
				dc[i] = 0
			}
		}
		nn.Gemm(true, false, n, d, batch, 1, dc, n, xb, d, 0, gb, d)
		for i := range n { // tangent to the row's sphere
			bi, gi := b[i*d:(i+1)*d], gb[i*d:(i+1)*d]
			var s float32
			for k, v := range gi {
				s += v * bi[k]
			}
			for k := range gi {
				gi[k] -= s * bi[k]
			}
		}
		opt.Step(theta, grad)
		normalizeRows(b, n, d)
		if o.Progress != nil {
			o.Progress(step+1, o.Steps, rep.Loss[step])
		}
	}
	mom, err := sampleMoments(x, d, b, n, o.Tie)
	if err != nil {
		return nil, nil, err
	}
	ra, rbias, err := mom.leastSquares(o.Affine)
	if err != nil {
		return nil, nil, err
	}
	rep.MSE = mom.loss(ra, rbias)
	b64 := to64(b)
	rep.Scores = StructureScores(b64, n, d)
	m, err := newModel(d, n, o.Tie, b64, ra, rbias)
	return m, rep, err
}

// signOf is the code of one value under the tie rule.
func signOf(v float32, tie Tie) float32 {
	switch {
	case v < 0:
		return -1
	case v > 0 || tie == TiePlus:
		return 1
	}
	return 0
}

// sampleMoments are the moments of the code sign(Bx) over the rows of x
// (E‖x‖², E[x cᵀ], E[c cᵀ], E c), in float64.
func sampleMoments(x []float32, d int, b []float32, n int, tie Tie) (*moments, error) {
	m, err := NewModel(d, n, tie, b, make([]float32, d*n), nil)
	if err != nil {
		return nil, err
	}
	rows := len(x) / d
	mom := newMoments(d, n, false)
	s := make([]float32, blockRows*n)
	codes, err := m.Encode(x)
	if err != nil {
		return nil, err
	}
	W := codes.Words()
	xs := make([]float64, blockRows*d)
	ss := make([]float64, blockRows*n)
	for r0 := 0; r0 < rows; r0 += blockRows {
		r := min(blockRows, rows-r0)
		if codes.Support == nil {
			m.k.unpack(codes.Sign[r0*W:(r0+r)*W], r, n, s[:r*n])
		} else {
			m.k.unpackTernary(codes.Sign[r0*W:(r0+r)*W], codes.Support[r0*W:(r0+r)*W], r, n, s[:r*n])
		}
		for i, v := range x[r0*d : (r0+r)*d] {
			xs[i] = float64(v)
			mom.exx += xs[i] * xs[i]
		}
		for i, v := range s[:r*n] {
			ss[i] = float64(v)
			mom.mc[i%n] += ss[i]
		}
		nn.Gemm(true, false, d, n, r, 1, xs[:r*d], d, ss[:r*n], n, 1, mom.cxc, n)
		nn.Gemm(true, false, n, n, r, 1, ss[:r*n], n, ss[:r*n], n, 1, mom.k, n)
	}
	mom.scale(1 / float64(rows))
	return mom, nil
}

// batcher draws minibatches: the rows in a random order, reshuffled after
// each pass.
type batcher struct {
	perm []int
	pos  int
	r    *prng.Stream
}

func newBatcher(rows int, r *prng.Stream) *batcher {
	b := &batcher{perm: make([]int, rows), r: r}
	for i := range b.perm {
		b.perm[i] = i
	}
	b.shuffle()
	return b
}

func (b *batcher) shuffle() {
	for i := len(b.perm) - 1; i > 0; i-- {
		j := b.r.IntN(i + 1)
		b.perm[i], b.perm[j] = b.perm[j], b.perm[i]
	}
	b.pos = 0
}

// next returns the next row index.
func (b *batcher) next() int {
	if b.pos == len(b.perm) {
		b.shuffle()
	}
	b.pos++
	return b.perm[b.pos-1]
}

// gather copies len(dst)/d rows of x (d values each) into dst.
func (b *batcher) gather(x []float32, d int, dst []float32) {
	for r := 0; r < len(dst)/d; r++ {
		i := b.next()
		copy(dst[r*d:(r+1)*d], x[i*d:(i+1)*d])
	}
}
