package gen

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/nn"
	"github.com/clkit/clkit/rff"
)

// Options configures Train and TrainMMD. The zero value takes the CL-GN
// notebook's settings: batches of 1000 from a fixed pool of 1e5 latent
// vectors, Adam at 1e-3, at most 25 epochs, early stopping with min_delta
// 5e-4 and patience 2.
type Options struct {
	Batch int // generated samples per step, n_b (default 1000)
	// Pool is n′, the latent vectors drawn once and shuffled every epoch
	// (default 1e5); an epoch is Pool/Batch steps.
	Pool int
	// Fresh draws new latent vectors for every step instead of reusing
	// the pool (no over-fitting to a fixed set).
	Fresh  bool
	Epochs int // at most (default 25)
	// LR is Adam's learning rate by step (default constant 1e-3).
	LR nn.Schedule
	// Unbiased uses the U-statistic estimate of the loss in each batch
	// instead of the paper's ‖z − ẑ_b‖², whose expectation carries an
	// extra (1 − ‖A(P_θ)‖²)/n_b that favours concentrated samples.
	Unbiased bool
	// Early stopping on the epoch's mean loss: stop when Patience epochs
	// in a row have not lowered the best loss by more than MinDelta
	// (defaults 5e-4 and 2, as Keras' EarlyStopping). Patience < 0 never
	// stops early.
	MinDelta float64
	Patience int
	Seed     uint64 // latent draws and shuffles; the net's weights come from net.Init
	Workers  int    // goroutines for the sketch layer (≤ 0: GOMAXPROCS)
	// Progress, if set, is called after every step.
	Progress func(Progress)
}

// Progress reports a training step.
type Progress struct {
	Epoch, Epochs int // 1-based epoch, of at most Epochs
	Step, Steps   int // 1-based step within the epoch
	Loss          float64
	EpochLoss     float64 // mean loss of the epoch so far
	Elapsed       time.Duration
}

// Result summarises a training run.
type Result struct {
	EpochLoss []float64 // mean batch loss of each epoch run
	Stopped   bool      // early stopping ended it before Epochs
	Steps     int
	Elapsed   time.Duration
}

func (o *Options) defaults() error {
	if o.Batch == 0 {
		o.Batch = 1000
	}
	if o.Pool == 0 {
		o.Pool = 100000
	}
	if o.Epochs == 0 {
		o.Epochs = 25
	}
	if o.LR == nil {
		o.LR = nn.Constant(1e-3)
	}
	if o.MinDelta == 0 {
		o.MinDelta = 5e-4
	}
	if o.Patience == 0 {
		o.Patience = 2
	}
	switch {
	case o.Batch < 2:
		return fmt.Errorf("gen: batch of %d samples (need at least 2)", o.Batch)
	case o.Pool < o.Batch:
		return fmt.Errorf("gen: latent pool of %d is smaller than a batch of %d", o.Pool, o.Batch)
	case o.Epochs < 0, o.MinDelta < 0:
		return fmt.Errorf("gen: negative epochs (%d) or min delta (%v)", o.Epochs, o.MinDelta)
	}
	return nil
}

// objective is what a generated batch is trained to minimise: it returns
// the batch's loss and writes its gradient with respect to the samples.
type objective[T nn.Float] interface {
	lossGrad(y, dy []T, n int, r *prng.Stream) (float64, error)
}

// Train fits the generator net (latent → data space; its input size is the
// latent dimension, its output size the sketch's D) so that the sketch of
// its samples matches s: it minimises, over batches of n_b latent draws
// z_i ~ N(0, I),
//
//	L = (1/m)·‖z_X − (1/n_b)·Σ_i Φ(G(z_i))‖²
//
// (the CL-GN loss: Φ with the 1/√m of the paper, so the numbers compare with
// its notebook), by Adam, with no access to the data. The sketch layer's
// forward is the sketch kernel and its backward the fused FeatureVJP, both
// on all cores. The net is trained in place, starting from its current
// weights (call net.Init first for a fresh start).
func Train[T nn.Float](s *rff.Sketch, net *nn.Net[T], o Options) (Result, error) {
	if s == nil || net == nil {
		return Result{}, errors.New("gen: nil sketch or net")
	}
	f := s.Frequencies()
	if net.Out() != f.D() {
		return Result{}, fmt.Errorf("gen: the net makes %d-dimensional samples, the sketch is of d=%d", net.Out(), f.D())
	}
	if !(s.Weight() > 0) {
		return Result{}, errors.New("gen: the sketch is empty")
	}
	obj := newSketchObjective[T](s, o.Unbiased, o.Workers)
	return train(net, obj, o)
}

// sketchObjective is the CL-GN loss for one data sketch.
type sketchObjective[T nn.Float] struct {
	zRe, zIm []float64
	zz       float64 // ‖z‖²
	gen      *rff.Sketch
	vjp      *rff.FeatureVJP
	vRe, vIm []float64
	unbiased bool
	workers  int
}

func newSketchObjective[T nn.Float](s *rff.Sketch, unbiased bool, workers int) *sketchObjective[T] {
	o := &sketchObjective[T]{gen: rff.NewSketch(s.Frequencies()), vjp: rff.NewFeatureVJP(s.Frequencies()), unbiased: unbiased, workers: workers}
	o.zRe, o.zIm = s.Z()
	for j := range o.zRe {
		o.zz += o.zRe[j]*o.zRe[j] + o.zIm[j]*o.zIm[j]
	}
	o.vRe, o.vIm = make([]float64, len(o.zRe)), make([]float64, len(o.zRe))
	return o
}

func (o *sketchObjective[T]) lossGrad(y, dy []T, n int, _ *prng.Stream) (float64, error) {
	o.gen.Reset()
	var err error
	switch yv := any(y).(type) {
	case []float32:
		err = o.gen.AddParallelF32(yv, nil, o.workers)
	case []float64:
		err = o.gen.AddParallelF64(yv, nil, o.workers)
	}
	if err != nil {
		return 0, err
	}
	hRe, hIm := o.gen.Z()
	m := float64(len(hRe))
	nb := float64(n)
	// Biased: v = r = z − ẑ, L = ‖r‖²/m. Unbiased: the cross term of the
	// U-statistic replaces ‖ẑ‖² by (n²‖ẑ‖² − n·m)/(n(n−1)), whose gradient
	// is that of ‖ẑ‖² times c = n/(n−1): v = z − c·ẑ.
	c := 1.0
	if o.unbiased {
		c = nb / (nb - 1)
	}
	var loss, zh, hh float64
	for j := range hRe {
		o.vRe[j], o.vIm[j] = o.zRe[j]-c*hRe[j], o.zIm[j]-c*hIm[j]
		zh += o.zRe[j]*hRe[j] + o.zIm[j]*hIm[j]
		hh += hRe[j]*hRe[j] + hIm[j]*hIm[j]
	}
	if o.unbiased {
		loss = (o.zz - 2*zh + (nb*nb*hh-nb*m)/(nb*(nb-1))) / m
	} else {
		loss = (o.zz - 2*zh + hh) / m
	}
	if err := o.vjp.SetVector(o.vRe, o.vIm); err != nil {
		return 0, err
	}
	// ∂L/∂y_i = −(2/(m·n))·∂/∂y_i Re⟨Φ(y_i), v⟩.
	scale := -2 / (m * nb)
	switch yv := any(y).(type) {
	case []float32:
		g := any(dy).([]float32)
		err = o.vjp.ApplyF32(yv, nil, g, o.workers)
		for i := range g {
			g[i] *= float32(scale)
		}
	case []float64:
		g := any(dy).([]float64)
		err = o.vjp.ApplyF64(yv, nil, g, o.workers)
		for i := range g {
			g[i] *= scale
		}
	}
	return loss, err
}

// train is the loop Train and TrainMMD share: latent batches, forward,
// the objective's gradient, backward, Adam, early stopping.
func train[T nn.Float](net *nn.Net[T], obj objective[T], o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	p, d := net.In(), net.Out()
	r := prng.New(o.Seed, 1)
	pool := make([]T, o.Pool*p)
	fillNormal(pool, r)
	order := make([]int, o.Pool)
	for i := range order {
		order[i] = i
	}
	z := make([]T, o.Batch*p)
	dy := make([]T, o.Batch*d)
	grad := make([]T, net.NumParams())
	var ws nn.Workspace[T]
	opt := nn.NewAdam[T](o.LR)
	steps := o.Pool / o.Batch
	res := Result{}
	t0 := time.Now()
	best, since := math.Inf(1), 0
	for ep := 1; ep <= o.Epochs; ep++ {
		if !o.Fresh {
			shuffle(order, r)
		}
		var sum float64
		for st := 1; st <= steps; st++ {
			if o.Fresh {
				fillNormal(z, r)
			} else {
				for i := range o.Batch {
					copy(z[i*p:(i+1)*p], pool[order[(st-1)*o.Batch+i]*p:])
				}
			}
			y := net.Forward(&ws, z, o.Batch)
			loss, err := obj.lossGrad(y, dy, o.Batch, r)
			if err == nil && (math.IsNaN(loss) || math.IsInf(loss, 0)) {
				err = fmt.Errorf("loss %v", loss)
			}
			if err != nil {
				return res, fmt.Errorf("gen: training diverged at epoch %d, step %d: %w", ep, st, err)
			}
			net.Backward(&ws, dy, grad, nil)
			opt.Step(net.Params(), grad)
			sum += loss
			res.Steps++
			if o.Progress != nil {
				o.Progress(Progress{Epoch: ep, Epochs: o.Epochs, Step: st, Steps: steps, Loss: loss,
					EpochLoss: sum / float64(st), Elapsed: time.Since(t0)})
			}
		}
		el := sum / float64(steps)
		res.EpochLoss = append(res.EpochLoss, el)
		if el < best-o.MinDelta {
			best, since = el, 0
		} else if since++; o.Patience >= 0 && since >= o.Patience && ep < o.Epochs {
			res.Stopped = true
			break
		}
	}
	res.Elapsed = time.Since(t0)
	return res, nil
}

func fillNormal[T nn.Float](z []T, r *prng.Stream) {
	for i := range z {
		z[i] = T(r.Normal())
	}
}

// shuffle permutes order (Fisher–Yates on the portable stream).
func shuffle(order []int, r *prng.Stream) {
	for i := len(order) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		order[i], order[j] = order[j], order[i]
	}
}

// Sample draws n samples from the generator (n×Out, row-major) with
// latent vectors z ~ N(0, I) from seed.
func Sample[T nn.Float](net *nn.Net[T], n int, seed uint64) []T {
	const chunk = 4096
	p, d := net.In(), net.Out()
	r := prng.New(seed, 2)
	out := make([]T, n*d)
	z := make([]T, min(n, chunk)*p)
	var ws nn.Workspace[T]
	for lo := 0; lo < n; lo += chunk {
		b := min(chunk, n-lo)
		fillNormal(z[:b*p], r)
		copy(out[lo*d:], net.Forward(&ws, z[:b*p], b))
	}
	return out
}
