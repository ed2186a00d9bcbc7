package nn

import (
	"errors"
	"fmt"

	"github.com/clkit/clkit/internal/prng"
)

// Net is a chain of layers and the flat vector of their parameters. It is
// safe for concurrent Forward and Backward calls with distinct Workspaces
// as long as nobody writes the parameters meanwhile.
type Net[T Float] struct {
	layers []Layer[T]
	off    []int // layer i's parameters are params[off[i]:off[i+1]]
	params []T
	maxW   int // widest layer output
}

// NewNet chains the layers, checking that each one's input width is the
// output width of the one before. Activations and L2Clip take the width
// of the layer before them. The parameters are zero until Init.
func NewNet[T Float](layers ...Layer[T]) (*Net[T], error) {
	n, err := chain(layers)
	if err != nil {
		return nil, err
	}
	n.params = make([]T, n.off[len(layers)])
	return n, nil
}

// chain is NewNet before the parameters are allocated.
func chain[T Float](layers []Layer[T]) (*Net[T], error) {
	if len(layers) == 0 {
		return nil, errors.New("nn: a net needs at least one layer")
	}
	n := &Net[T]{layers: make([]Layer[T], len(layers)), off: make([]int, len(layers)+1)}
	w := 0
	for i, l := range layers {
		if l == nil {
			return nil, fmt.Errorf("nn: layer %d is nil", i)
		}
		if b, ok := l.(binder[T]); ok && w > 0 {
			l = b.bind(w)
		}
		if err := checkLayer(l); err != nil {
			return nil, fmt.Errorf("nn: layer %d: %w", i, err)
		}
		if i > 0 && l.In() != w {
			return nil, fmt.Errorf("nn: layer %d (%s) takes width %d, but layer %d gives %d", i, l.Spec().Type, l.In(), i-1, w)
		}
		n.layers[i] = l
		n.off[i+1] = addParams(n.off[i], l.NumParams())
		if n.off[i+1] > maxParams {
			return nil, fmt.Errorf("nn: more than %d parameters", maxParams)
		}
		w = l.Out()
		n.maxW = max(n.maxW, w)
	}
	return n, nil
}

// MLP is Dense layers through the hidden widths, each followed by act,
// then a Dense layer to out followed by outAct (nothing for Identity).
// The CL-GN generator, for instance, is
//
//	MLP[float32](10, []int{10, 10, 10, 10, 10, 10, 10}, 2, LeakyReLU(0.2), Identity)
func MLP[T Float](in int, hidden []int, out int, act, outAct Activation) (*Net[T], error) {
	var ls []Layer[T]
	w := in
	for _, h := range hidden {
		ls = append(ls, Dense[T](w, h), Act[T](act))
		w = h
	}
	ls = append(ls, Dense[T](w, out))
	if outAct != Identity {
		ls = append(ls, Act[T](outAct))
	}
	return NewNet(ls...)
}

func (n *Net[T]) In() int            { return n.layers[0].In() }
func (n *Net[T]) Out() int           { return n.layers[len(n.layers)-1].Out() }
func (n *Net[T]) NumParams() int     { return len(n.params) }
func (n *Net[T]) Layers() []Layer[T] { return n.layers }

// Params is the flat parameter vector: layer after layer, each in the order
// of its ParamTensors. It aliases the net: optimisers update it in place.
func (n *Net[T]) Params() []T { return n.params }

// LayerParams is layer i's slice of Params.
func (n *Net[T]) LayerParams(i int) []T { return n.params[n.off[i]:n.off[i+1]] }

// Specs describes the architecture; FromSpec rebuilds each layer.
func (n *Net[T]) Specs() []LayerSpec {
	s := make([]LayerSpec, len(n.layers))
	for i, l := range n.layers {
		s[i] = l.Spec()
	}
	return s
}

// Init sets every parameter from seed. Layer i draws from stream i of the
// portable generator, so a layer's initial weights depend only on the seed,
// its index and its shape.
func (n *Net[T]) Init(seed uint64) {
	for i, l := range n.layers {
		l.Init(n.LayerParams(i), prng.New(seed, uint64(i)))
	}
}

// Clone is a net with the same layers and a copy of the parameters.
func (n *Net[T]) Clone() *Net[T] {
	c := *n
	c.params = append([]T(nil), n.params...)
	return &c
}

// Workspace holds a net's activations between Forward and Backward, and
// the buffers Backward needs. Its zero value is ready; it grows to the
// largest batch it has seen and then runs without allocating. One
// Workspace serves one goroutine at a time.
type Workspace[T Float] struct {
	net     *Net[T]
	rows    int // capacity in rows
	batch   int // rows of the last Forward; 0 before any
	x       []T // input of the last Forward (the caller's slice)
	act     [][]T
	scratch [][]T
	grad    [2][]T
}

func (ws *Workspace[T]) reserve(n *Net[T], batch int) {
	if ws.net == n && batch <= ws.rows {
		return
	}
	rows := max(batch, ws.rows)
	if ws.net != n {
		rows = batch
	}
	*ws = Workspace[T]{net: n, rows: rows, act: make([][]T, len(n.layers)), scratch: make([][]T, len(n.layers))}
	for i, l := range n.layers {
		ws.act[i] = make([]T, rows*l.Out())
		ws.scratch[i] = make([]T, l.ScratchLen(rows))
	}
	ws.grad[0] = make([]T, rows*n.maxW)
	ws.grad[1] = make([]T, rows*n.maxW)
}

// Forward runs the net on x (batch×In, row-major) and returns the output
// (batch×Out), which aliases ws until its next Forward. x itself is kept
// for Backward and must not change before it. Wrong lengths panic.
func (n *Net[T]) Forward(ws *Workspace[T], x []T, batch int) []T {
	if batch <= 0 || len(x) != batch*n.In() {
		panic(fmt.Sprintf("nn: Forward of batch %d with len(x) = %d, want batch×%d", batch, len(x), n.In()))
	}
	ws.reserve(n, batch)
	ws.batch, ws.x = batch, x
	in := x
	for i, l := range n.layers {
		out := ws.act[i][:batch*l.Out()]
		l.Forward(n.LayerParams(i), in, out, ws.scratch[i][:l.ScratchLen(batch)], batch)
		in = out
	}
	return in
}

// Backward back-propagates dOut (batch×Out, ∂L/∂output) through the last
// Forward on ws. It overwrites grad (len NumParams) with ∂L/∂θ and, unless
// dIn is nil, writes ∂L/∂x into dIn (batch×In). dOut must not be the
// slice Forward returned, which the last layer may still read. Wrong
// lengths panic.
func (n *Net[T]) Backward(ws *Workspace[T], dOut, grad, dIn []T) {
	if ws.net != n || ws.batch == 0 {
		panic("nn: Backward without a Forward of this net on this Workspace")
	}
	batch := ws.batch
	if len(dOut) != batch*n.Out() || len(grad) != len(n.params) || dIn != nil && len(dIn) != batch*n.In() {
		panic(fmt.Sprintf("nn: Backward of batch %d: len(dOut) = %d (want %d), len(grad) = %d (want %d), len(dIn) = %d (want 0 or %d)",
			batch, len(dOut), batch*n.Out(), len(grad), len(n.params), len(dIn), batch*n.In()))
	}
	if last := ws.act[len(n.layers)-1]; &dOut[0] == &last[0] {
		panic("nn: Backward's dOut is the output of Forward: the layers still need it; write dOut elsewhere")
	}
	clear(grad)
	g := dOut
	for i := len(n.layers) - 1; i >= 0; i-- {
		l := n.layers[i]
		in := ws.x
		if i > 0 {
			in = ws.act[i-1][:batch*l.In()]
		}
		d := dIn
		if i > 0 {
			d = ws.grad[i%2][:batch*l.In()]
		}
		l.Backward(n.LayerParams(i), in, ws.act[i][:batch*l.Out()], g, grad[n.off[i]:n.off[i+1]], d, ws.scratch[i][:l.ScratchLen(batch)], batch)
		g = d
	}
}
