package ae

import (
	"errors"
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/nn"
)

// Init is how an encoder's rows start.
type Init int

const (
	// InitRandom: i.i.d. Gaussian rows, scaled to unit norm (GD from a
	// random init, as in the paper).
	InitRandom Init = iota
	// InitRotation: n orthonormal rows of a uniformly random rotation
	// (n ≤ d), the Gaussian optimum for r ≤ 1.
	InitRotation
	// InitIdentity: row i is the unit vector e_(i mod d).
	InitIdentity
)

// PopulationOptions configures TrainPopulation.
type PopulationOptions struct {
	D    int     // input dimension, ≥ 1
	Rate float64 // code bits per input coordinate: N = round(Rate·D) ≥ 1
	// Steps of Adam on (A, B, β); default 400.
	Steps int
	// LR is Adam's learning rate, cosine-decayed to LR/20; default 0.02.
	LR float64
	// Masks is the number of support masks a step averages over (sparse
	// laws); default 64. EvalMasks, for the final evaluation, default 512.
	Masks, EvalMasks int
	// Affine adds a bias β to the decoder (x̂ = A c + β); it matters only
	// with TiePlus on sparse data, where E[c] ≠ 0.
	Affine bool
	Tie    Tie
	Init   Init
	Seed   uint64
	// Workers evaluating masks (≤ 0: GOMAXPROCS); results do not depend on it.
	Workers int
	// Progress, if set, is called after each step with its loss.
	Progress func(step, steps int, loss float64)
}

func (o *PopulationOptions) defaults() error {
	if o.D < 1 {
		return fmt.Errorf("ae: dimension D = %d, want ≥ 1", o.D)
	}
	if !(o.Rate > 0) || math.IsInf(o.Rate, 0) || math.Round(o.Rate*float64(o.D)) < 1 {
		return fmt.Errorf("ae: rate %v gives no code bits for D = %d", o.Rate, o.D)
	}
	if o.Steps == 0 {
		o.Steps = 400
	}
	if o.LR == 0 {
		o.LR = 0.02
	}
	if o.Masks == 0 {
		o.Masks = 64
	}
	if o.EvalMasks == 0 {
		o.EvalMasks = 512
	}
	switch {
	case o.Steps < 0:
		return errors.New("ae: negative Steps")
	case !(o.LR > 0):
		return fmt.Errorf("ae: learning rate %v, want > 0", o.LR)
	case o.Masks < 1 || o.EvalMasks < 1:
		return errors.New("ae: Masks and EvalMasks must be positive")
	case o.Tie != TiePlus && o.Tie != TieZero:
		return fmt.Errorf("ae: unknown tie %d", int(o.Tie))
	case o.Init < InitRandom || o.Init > InitIdentity:
		return fmt.Errorf("ae: unknown init %d", int(o.Init))
	}
	return nil
}

// PopulationReport is what TrainPopulation measured.
type PopulationReport struct {
	Loss []float64 // the loss at each step (over that step's masks)
	// MSE is the final population MSE per coordinate (on EvalMasks fresh
	// masks for sparse laws, exact for Gaussian); MSERefit that of the
	// learned encoder with its least-squares decoder E[x cᵀ]E[c cᵀ]⁻¹,
	// which the returned model uses.
	MSE, MSERefit float64
	Scores        Scores
	// Channel is the scalar channel x̂_i ≈ μ x_i + σ z_i of the linear
	// estimate (notes §5), pooled over coordinates, from the final
	// moments. The Bayes denoiser of a GD encoder needs each coordinate's
	// (EstimateChannels, on samples: the masks see each coordinate active
	// only p·EvalMasks times, too few for its own channel).
	Channel Channel
}

// TrainPopulation trains an encoder and a linear (or affine) decoder by
// gradient descent on the exact population loss of src (Gaussian or
// Bernoulli-Gaussian; notes §2–3), from the initial rows o.Init, with the
// rows projected back to unit norm after each step. The model returned has
// the learned encoder and its least-squares decoder for the population.
func TrainPopulation(src Source, o PopulationOptions) (*Model, *PopulationReport, error) {
	if err := o.defaults(); err != nil {
		return nil, nil, err
	}
	d := o.D
	n := int(math.Round(o.Rate * float64(d)))
	pop, err := newPopulation(src, o.Tie, d, n, o.Workers)
	if err != nil {
		return nil, nil, err
	}
	if o.Init == InitRotation && n > d {
		return nil, nil, fmt.Errorf("ae: a rotation has at most D = %d rows, not %d", d, n)
	}
	b := initRows(o.Init, n, d, prng.New(o.Seed, 1))
	masksR := prng.New(o.Seed, 2)
	// parameters: A (d×n), B (n×d), β (d)
	nb := 0
	if o.Affine {
		nb = d
	}
	theta := make([]float64, d*n+n*d+nb)
	a, bb, beta := theta[:d*n], theta[d*n:d*n+n*d], theta[d*n+n*d:]
	copy(bb, b)
	if !o.Affine {
		beta = nil
	}
	grad := make([]float64, len(theta))
	ga, gb, gbeta := grad[:d*n], grad[d*n:d*n+n*d], grad[d*n+n*d:]
	opt := nn.NewAdam[float64](nn.WarmupCosine(o.LR, 0, o.Steps, o.LR/20))
	rep := &PopulationReport{Loss: make([]float64, 0, o.Steps)}
	for step := range o.Steps {
		gc, gk := lossGrads(a, d, n)
		m := pop.eval(bb, pop.drawMasks(o.Masks, masksR), gc, gk)
		rep.Loss = append(rep.Loss, m.lossGrad(a, beta, ga, gbeta))
		copy(gb, m.gB)
		opt.Step(theta, grad)
		normalizeRows(bb, n, d)
		if o.Progress != nil {
			o.Progress(step+1, o.Steps, rep.Loss[step])
		}
	}
	final := pop.eval(bb, pop.drawMasks(o.EvalMasks, masksR), nil, nil)
	rep.MSE = final.loss(a, beta)
	ra, rbeta, err := final.leastSquares(o.Affine)
	if err != nil {
		return nil, nil, err
	}
	rep.MSERefit = final.loss(ra, rbeta)
	rep.Scores = StructureScores(bb, n, d)
	rep.Channel = meanChannel(final.channels(ra, rbeta))
	model, err := newModel(d, n, o.Tie, bb, ra, rbeta)
	return model, rep, err
}

func initRows(init Init, n, d int, r *prng.Stream) []float64 {
	switch init {
	case InitRotation:
		return orthonormalRows(n, d, r)
	case InitIdentity:
		b := make([]float64, n*d)
		for i := range n {
			b[i*d+i%d] = 1
		}
		return b
	}
	return randomRows(n, d, r)
}
