package meta

import (
	"errors"
	"fmt"
	"math"

	"github.com/clkit/clkit/nn"
)

// Model is a compressive meta-learner for one task: a Sketch-Network that
// maps every row to R^M (its mean over the rows is the sketch) and a
// Query-Network that maps a sketch to the task's model, trained end to end
// over many data sets of the task's family (Train).
type Model struct {
	Task   Task
	Sketch *SketchNet[float32]
	Query  *nn.Net[float32]
	// LogNMax normalises the Query-Network's log n input.
	LogNMax float64
	// InShift and InScale standardise the sketch for the Query-Network,
	// (z_j − InShift_j)/InScale_j: the bounded sketch's entries are small
	// and of unequal spread, which would make its first layer learn slowly.
	// Train sets them to running means and standard deviations over the
	// training sketches; they are constants of the model.
	InShift, InScale []float64
	// Info records how the model was made (options, steps, final loss).
	Info map[string]string
}

// QueryConfig describes a Query-Network: Dense(Width) → GELU → Blocks ×
// Residual(LayerNorm → Dense(Width) → GELU → Dense(Width)) → Dense(out).
// Its input is the sketch (M), log n / log n_max and the standard
// deviation of the noise on the sketch (0 when released without privacy).
// The defaults keep a model near 1 MB (float32), so that the pretrained
// ones ship with the library.
type QueryConfig struct {
	Width  int // default 128
	Blocks int // default 2 (negative: none)
}

func newQueryNet(c QueryConfig, in, out int, seed uint64) (*nn.Net[float32], error) {
	if c.Width == 0 {
		c.Width = 128
	}
	if c.Blocks == 0 {
		c.Blocks = 2
	}
	if c.Width < 1 {
		return nil, fmt.Errorf("meta: query network width %d", c.Width)
	}
	layers := []nn.Layer[float32]{nn.Dense[float32](in, c.Width), nn.Act[float32](nn.GELU)}
	for range max(c.Blocks, 0) {
		layers = append(layers, nn.Residual(nn.LayerNorm[float32](c.Width), nn.Dense[float32](c.Width, c.Width),
			nn.Act[float32](nn.GELU), nn.Dense[float32](c.Width, c.Width)))
	}
	layers = append(layers, nn.Dense[float32](c.Width, out))
	q, err := nn.NewNet(layers...)
	if err != nil {
		return nil, err
	}
	q.Init(seed)
	return q, nil
}

// NewModel builds an untrained model for task t.
func NewModel(t Task, sc SketchConfig, qc QueryConfig, nMax int, seed uint64) (*Model, error) {
	if t == nil {
		return nil, errors.New("meta: nil task")
	}
	sc.D = t.RowDim()
	if _, ok := t.(*RidgeTask); ok && sc.Cross == 0 {
		sc.Cross = 1 // c_xy = E[x·y] is what β needs most: measure it exactly
	}
	s, err := NewSketchNet[float32](sc, seed)
	if err != nil {
		return nil, err
	}
	q, err := newQueryNet(qc, s.M()+2, t.Out(), seed^0x5eed)
	if err != nil {
		return nil, err
	}
	if nMax < 2 {
		return nil, fmt.Errorf("meta: n_max = %d", nMax)
	}
	md := &Model{Task: t, Sketch: s, Query: q, LogNMax: math.Log(float64(nMax)), Info: map[string]string{},
		InShift: make([]float64, s.M()), InScale: make([]float64, s.M())}
	for j := range md.InScale {
		md.InScale[j] = 1
	}
	return md, nil
}

// queryInput writes the Query-Network's input for a sketch s of n rows
// with noise of standard deviation sigma: the standardised sketch, log n
// over log n_max, and the noise's mean standard deviation on the
// standardised entries.
func (m *Model) queryInput(dst []float32, s []float64, n float64, sigma float64) {
	var rel float64
	for j, v := range s {
		dst[j] = float32((v - m.InShift[j]) / m.InScale[j])
		rel += sigma / m.InScale[j]
	}
	dst[len(s)] = float32(math.Log(max(n, 1)) / m.LogNMax)
	dst[len(s)+1] = float32(rel / float64(len(s)))
}

// Predict returns the Query-Network's raw prediction for the normalised
// sketch z (length M) of n rows carrying noise of standard deviation sigma
// per entry (0 without privacy). The task's Decode (where it has one)
// turns it into the model's parameters.
func (m *Model) Predict(z []float64, n float64, sigma float64) ([]float64, error) {
	if len(z) != m.Sketch.M() {
		return nil, fmt.Errorf("meta: sketch of %d values for a model of m=%d", len(z), m.Sketch.M())
	}
	for j, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("meta: sketch entry %d is %v", j, v)
		}
	}
	in := make([]float32, m.Sketch.M()+2)
	m.queryInput(in, z, n, sigma)
	var ws nn.Workspace[float32]
	out := m.Query.Forward(&ws, in, 1)
	res := make([]float64, len(out))
	for i, v := range out {
		res[i] = float64(v)
	}
	return res, nil
}
