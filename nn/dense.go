package nn

import (
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/prng"
)

type dense[T Float] struct{ in, out int }

// Dense is the affine layer y = x·Wᵀ + b. W is stored out×in, then b
// (PyTorch's nn.Linear layout, so saved files load there as they are).
// Init is Glorot-uniform for W and zero for b, as in Keras.
func Dense[T Float](in, out int) Layer[T] { return dense[T]{in, out} }

func (d dense[T]) In() int            { return d.in }
func (d dense[T]) Out() int           { return d.out }
func (d dense[T]) NumParams() int     { return d.out*d.in + d.out }
func (d dense[T]) ScratchLen(int) int { return 0 }
func (d dense[T]) Spec() LayerSpec    { return LayerSpec{Type: "dense", In: d.in, Out: d.out} }
func (d dense[T]) String() string     { return fmt.Sprintf("Dense(%d→%d)", d.in, d.out) }
func (d dense[T]) ParamTensors() []ParamTensor {
	return []ParamTensor{{"weight", []int{d.out, d.in}}, {"bias", []int{d.out}}}
}

// Init draws W uniformly in ±√(6/(in+out)). The draw is computed in
// float64 with exactly rounded operations and then converted, so float32
// and float64 nets of the same seed agree to float32 rounding.
func (d dense[T]) Init(p []T, r *prng.Stream) {
	checkLen("dense", "p", p, d.NumParams())
	limit := math.Sqrt(6 / float64(d.in+d.out))
	w, b := p[:d.out*d.in], p[d.out*d.in:]
	for i := range w {
		w[i] = T(float64(2*r.Uniform()-1) * limit)
	}
	clear(b)
}

func (d dense[T]) Forward(p, in, out, _ []T, batch int) {
	checkLen("dense", "p", p, d.NumParams())
	checkLen("dense", "in", in, batch*d.in)
	checkLen("dense", "out", out, batch*d.out)
	w, b := p[:d.out*d.in], p[d.out*d.in:]
	for i := 0; i < batch; i++ {
		copy(out[i*d.out:(i+1)*d.out], b)
	}
	gemm(false, true, batch, d.out, d.in, 1, in, d.in, w, d.in, 1, out, d.out)
}

func (d dense[T]) Backward(p, in, _, dOut, dp, dIn, _ []T, batch int) {
	checkLen("dense", "dOut", dOut, batch*d.out)
	checkLen("dense", "dp", dp, d.NumParams())
	w := p[:d.out*d.in]
	dw, db := dp[:d.out*d.in], dp[d.out*d.in:]
	gemm(true, false, d.out, d.in, batch, 1, dOut, d.out, in, d.in, 1, dw, d.in) // dW += dOutᵀ·x
	for i := 0; i < batch; i++ {
		for j, g := range dOut[i*d.out : (i+1)*d.out] {
			db[j] += g
		}
	}
	if dIn != nil {
		checkLen("dense", "dIn", dIn, batch*d.in)
		gemm(false, false, batch, d.in, d.out, 1, dOut, d.out, w, d.in, 0, dIn, d.in) // dIn = dOut·W
	}
}
