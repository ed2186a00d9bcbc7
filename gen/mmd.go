package gen

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/clkit/clkit/internal/prng"
	"github.com/clkit/clkit/nn"
)

// TrainMMD trains the generator on the data itself with the exact MMD
// objective of kernel k: each step compares a batch of generated samples
// y with a batch of data rows x (the same size, drawn with replacement) by
//
//	MMD²_κ = (1/n²)Σ κ(y_i, y_i′) − (2/n²)Σ κ(y_i, x_l) + E κ(x, x′),
//
// the MMD-GN objective that the sketch loss approximates without the data:
// the reference a sketch-trained generator is measured against. The last
// term does not depend on the generator; it is estimated once on a fixed
// subsample of 4000 rows, so that reported losses are MMD² estimates. Each
// step costs 2·n_b² kernel evaluations (on all cores) where the sketch
// costs n_b·m sincos. Options are those of Train; Unbiased leaves out the
// i = i′ terms.
func TrainMMD[T nn.Float](data []float64, k *SketchKernel, net *nn.Net[T], o Options) (Result, error) {
	if k == nil || net == nil {
		return Result{}, errors.New("gen: nil kernel or net")
	}
	d := k.D()
	if net.Out() != d {
		return Result{}, fmt.Errorf("gen: the net makes %d-dimensional samples, the kernel is of d=%d", net.Out(), d)
	}
	if len(data) < 2*d || len(data)%d != 0 {
		return Result{}, fmt.Errorf("gen: %d data values are not at least two rows of d=%d", len(data), d)
	}
	obj := &mmdObjective[T]{x: data, d: d, k: k, unbiased: o.Unbiased, workers: o.Workers}
	obj.xx = obj.dataTerm()
	return train(net, obj, o)
}

type mmdObjective[T nn.Float] struct {
	x        []float64
	d        int
	k        *SketchKernel
	unbiased bool
	workers  int
	xx       float64   // E κ(x, x′)
	xb, yb   []float64 // the step's data batch; the samples in float64
}

// dataTerm is the mean of κ(x_l, x_l′) over pairs of a fixed subsample of
// the data (l ≠ l′ when unbiased, as in the step's other terms).
func (o *mmdObjective[T]) dataTerm() float64 {
	d, rows := o.d, len(o.x)/o.d
	n := min(rows, 4000)
	sub := make([]float64, n*d)
	r := prng.New(0x5eed, 7)
	for i := range n {
		copy(sub[i*d:(i+1)*d], o.x[r.IntN(rows)*d:])
	}
	w := o.numWorkers(n)
	part := make([]float64, w)
	var wg sync.WaitGroup
	for t := range w {
		wg.Go(func() {
			delta := make([]float64, d)
			for i := t * n / w; i < (t+1)*n/w; i++ {
				for j := range n {
					if !(o.unbiased && i == j) {
						sub2(delta, sub[i*d:(i+1)*d], sub[j*d:(j+1)*d])
						part[t] += o.k.Eval(delta, nil)
					}
				}
			}
		})
	}
	wg.Wait()
	var s float64
	for _, v := range part {
		s += v
	}
	if o.unbiased {
		return s / (float64(n) * float64(n-1))
	}
	return s / (float64(n) * float64(n))
}

func (o *mmdObjective[T]) numWorkers(n int) int {
	w := o.workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, n/16))
}

func (o *mmdObjective[T]) lossGrad(y, dy []T, n int, r *prng.Stream) (float64, error) {
	d := o.d
	o.xb, o.yb = grow(o.xb, n*d), grow(o.yb, n*d)
	rows := len(o.x) / d
	for i := range n {
		copy(o.xb[i*d:(i+1)*d], o.x[r.IntN(rows)*d:])
	}
	for i, v := range y {
		o.yb[i] = float64(v)
	}
	nn2 := float64(n) * float64(n)
	within := nn2 // pairs in the sample–sample sum
	if o.unbiased {
		within = float64(n) * float64(n-1)
	}
	w := o.numWorkers(n)
	part := make([]float64, 2*w)
	var wg sync.WaitGroup
	for t := range w {
		wg.Go(func() {
			delta, g := make([]float64, d), make([]float64, d)
			accY, accX := make([]float64, d), make([]float64, d)
			var syy, syx float64
			for i := t * n / w; i < (t+1)*n/w; i++ {
				yi := o.yb[i*d : (i+1)*d]
				clear(accY)
				clear(accX)
				for j := range n {
					if !(o.unbiased && j == i) {
						sub2(delta, yi, o.yb[j*d:(j+1)*d])
						syy += o.k.Eval(delta, g)
						for a := range d {
							accY[a] += g[a]
						}
					}
					sub2(delta, yi, o.xb[j*d:(j+1)*d])
					syx += o.k.Eval(delta, g)
					for a := range d {
						accX[a] += g[a]
					}
				}
				// ∂/∂y_i of Σ_{i,i′} κ(y_i − y_i′) is 2·Σ_i′ ∇κ(y_i − y_i′).
				for a := range d {
					dy[i*d+a] = T(2*accY[a]/within - 2*accX[a]/nn2)
				}
			}
			part[2*t], part[2*t+1] = syy, syx
		})
	}
	wg.Wait()
	var syy, syx float64
	for t := range w {
		syy, syx = syy+part[2*t], syx+part[2*t+1]
	}
	return syy/within - 2*syx/nn2 + o.xx, nil
}

func sub2(dst, a, b []float64) {
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
