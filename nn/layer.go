package nn

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/clkit/clkit/internal/prng"
)

// Layer is one stage of a network. It is stateless apart from its shape,
// so one Net can run in several goroutines, each with its own Workspace.
// Its parameters are a slice p (len NumParams) of the Net's flat vector,
// and whatever must survive from Forward to Backward beyond in and out
// lives in scratch (len ScratchLen(batch)), which the Workspace provides.
//
// Matrices are row-major: in is batch×In, out batch×Out. Forward and
// Backward are the hot path: they panic, with a message, on slices of the
// wrong length rather than return errors.
type Layer[T Float] interface {
	In() int
	Out() int
	NumParams() int
	// ScratchLen is the scratch a call of this batch size needs, affine
	// in batch; 0 for most layers.
	ScratchLen(batch int) int
	// Init writes initial parameters into p, drawing only from r, so the
	// same seed gives the same parameters on every platform.
	Init(p []T, r *prng.Stream)
	Forward(p, in, out, scratch []T, batch int)
	// Backward takes the in, out and scratch of the Forward call and dOut
	// (batch×Out); it ADDS the parameter gradient into dp (len NumParams)
	// and WRITES dIn (batch×In) unless dIn is nil. dIn must not alias dOut.
	Backward(p, in, out, dOut, dp, dIn, scratch []T, batch int)
	// Spec describes the layer for saving; FromSpec rebuilds it.
	Spec() LayerSpec
	// ParamTensors names the pieces of p in order ("weight", "bias"), with
	// their shapes, for saving.
	ParamTensors() []ParamTensor
}

// ParamTensor is one named tensor in a layer's parameter slice.
type ParamTensor struct {
	Name  string
	Shape []int
}

// LayerSpec is the JSON description of a layer, saved with the weights.
type LayerSpec struct {
	Type  string      `json:"type"` // dense, layernorm, residual, l2clip, or an activation's name
	In    int         `json:"in"`
	Out   int         `json:"out"`
	Slope float64     `json:"slope,omitempty"` // leaky_relu
	Clip  float64     `json:"clip,omitempty"`  // l2clip: the bound C
	Inner []LayerSpec `json:"inner,omitempty"` // residual
}

// binder is implemented by layers whose width may be left to follow the
// layer before (activations, L2Clip, Residuals of them); NewNet binds them.
type binder[T Float] interface {
	bind(width int) Layer[T]
}

// checker is implemented by the package's layers: NewNet calls it, so
// their constructors need not return errors.
type checker interface {
	check() error
}

// FromSpec builds the layer that s describes.
func FromSpec[T Float](s LayerSpec) (Layer[T], error) {
	l, err := fromSpec[T](s)
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	return l, nil
}

func fromSpec[T Float](s LayerSpec) (Layer[T], error) {
	var l Layer[T]
	switch s.Type {
	case "dense":
		l = Dense[T](s.In, s.Out)
	case "layernorm":
		if s.In != s.Out {
			return nil, fmt.Errorf("layernorm spec with in %d ≠ out %d", s.In, s.Out)
		}
		l = LayerNorm[T](s.In)
	case "l2clip":
		l = L2Clip[T](s.Clip).(binder[T]).bind(s.In)
		if s.Out != s.In {
			return nil, fmt.Errorf("l2clip spec with in %d ≠ out %d", s.In, s.Out)
		}
	case "residual":
		inner := make([]Layer[T], len(s.Inner))
		for i, is := range s.Inner {
			var err error
			if inner[i], err = fromSpec[T](is); err != nil {
				return nil, fmt.Errorf("residual, inner layer %d: %w", i, err)
			}
		}
		l = Residual(inner...)
		if l.In() != s.In || l.Out() != s.Out {
			return nil, fmt.Errorf("residual spec %d→%d, but its inner layers make it %d→%d", s.In, s.Out, l.In(), l.Out())
		}
	default:
		a, ok := activationByName(s.Type, s.Slope)
		if !ok {
			return nil, fmt.Errorf("unknown layer type %q", s.Type)
		}
		if s.In != s.Out || s.In <= 0 {
			return nil, fmt.Errorf("%s spec with in %d, out %d", s.Type, s.In, s.Out)
		}
		l = Act[T](a).(binder[T]).bind(s.In)
	}
	if err := checkLayer(l); err != nil {
		return nil, err
	}
	return l, nil
}

func checkLayer[T Float](l Layer[T]) error {
	if l.In() <= 0 || l.Out() <= 0 || l.In() > maxWidth || l.Out() > maxWidth {
		return fmt.Errorf("%s layer of width %d→%d (a width must be in [1, %d]; activations and l2clip take theirs from the layer before)", l.Spec().Type, l.In(), l.Out(), maxWidth)
	}
	if c, ok := l.(checker); ok {
		return c.check()
	}
	return nil
}

// maxWidth bounds every layer's width (2³⁰; 2¹⁵ on 32-bit platforms), so
// that parameter counts cannot overflow.
const maxWidth = min(1<<30, 1<<(bits.UintSize/2-1))

// maxParams bounds a net's parameter count (2⁴⁰, 4 TiB of float32): far
// beyond use, but it keeps sums of counts from overflowing.
const maxParams = min(1<<40, math.MaxInt/4)

// addParams adds parameter counts, saturating past maxParams so that
// check can report it.
func addParams(a, b int) int { return min(a+b, maxParams+1) }

// checkLen is the hot path's shape check.
func checkLen[T Float](layer, what string, s []T, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("nn: %s: len(%s) = %d, want %d", layer, what, len(s), want))
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
