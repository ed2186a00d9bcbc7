package baseline

import (
	"fmt"
	"math"
)

// Sketch is the sum of the per-row features of a design's rows, and their
// count. Sums are compensated (each entry is an unevaluated sum hi + lo,
// Knuth's TwoSum), so merging in any order, or adding and then removing
// rows, agrees with one sequential pass to about one rounding of the
// result rather than n of them. A Sketch is not safe for concurrent use;
// sketch parts in separate Sketches and Merge them.
type Sketch struct {
	g       *Design
	hi, lo  []float64
	rows    int64
	feat, s []float64 // scratch
}

// NewSketch returns an empty sketch of design g.
func NewSketch(g *Design) *Sketch {
	n := g.Len()
	return &Sketch{g: g, hi: make([]float64, n), lo: make([]float64, n),
		feat: make([]float64, n), s: make([]float64, g.p.D)}
}

// Design returns the sketch's design.
func (s *Sketch) Design() *Design { return s.g }

// Rows is the number of rows summed.
func (s *Sketch) Rows() int64 { return s.rows }

// RowError reports a bad value: the row (0-based, within the block given)
// and column.
type RowError struct {
	Row, Col int
	Msg      string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("baseline: row %d, column %d: %s", e.Row, e.Col, e.Msg)
}

// checkRows returns the number of rows of width w in x, or an error for a
// ragged block or a value that is not finite.
func checkRows(x []float64, w int) (int, error) {
	if len(x)%w != 0 {
		return 0, fmt.Errorf("baseline: block of %d values is not a whole number of rows of width %d", len(x), w)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, &RowError{Row: i / w, Col: i % w, Msg: fmt.Sprintf("%v is not finite", v)}
		}
	}
	return len(x) / w, nil
}

// Add adds the rows of x (row-major, Width() columns: x, then y for ridge).
// On error nothing is added.
func (s *Sketch) Add(x []float64) error {
	n, err := checkRows(x, s.g.width)
	if err != nil {
		return err
	}
	s.accumulate(x, n, 1)
	s.rows += int64(n)
	return nil
}

// Remove subtracts rows that were added before (exact deletion, up to
// rounding). It cannot tell whether they were; it refuses only to remove
// more rows than the sketch holds. On error nothing changes.
func (s *Sketch) Remove(x []float64) error {
	n, err := checkRows(x, s.g.width)
	if err != nil {
		return err
	}
	if int64(n) > s.rows {
		return fmt.Errorf("baseline: removing %d rows from a sketch of %d", n, s.rows)
	}
	s.accumulate(x, n, -1)
	s.rows -= int64(n)
	return nil
}

func (s *Sketch) accumulate(x []float64, n int, sign float64) {
	w := s.g.width
	for i := 0; i < n; i++ {
		s.g.features(x[i*w:(i+1)*w], s.feat, s.s)
		for j, f := range s.feat {
			s.add(j, sign*f, 0)
		}
	}
}

// add adds hi + lo into entry j.
func (s *Sketch) add(j int, hi, lo float64) {
	t, e := twoSum(s.hi[j], hi)
	s.hi[j] = t
	s.lo[j] += e + lo
}

// twoSum returns a + b rounded and its exact rounding error.
func twoSum(a, b float64) (sum, err float64) {
	sum = a + b
	bb := sum - a
	err = (a - (sum - bb)) + (b - bb)
	return
}

// Merge adds o into s. Both must share a design (equal Params); otherwise
// the error wraps ErrMismatch and s is unchanged.
func (s *Sketch) Merge(o *Sketch) error {
	if s.g != o.g && s.g.p != o.g.p {
		return fmt.Errorf("%w: %+v vs %+v", ErrMismatch, s.g.p, o.g.p)
	}
	for j := range s.hi {
		s.add(j, o.hi[j], o.lo[j])
	}
	s.rows += o.rows
	return nil
}

// Clone returns an independent copy.
func (s *Sketch) Clone() *Sketch {
	c := NewSketch(s.g)
	copy(c.hi, s.hi)
	copy(c.lo, s.lo)
	c.rows = s.rows
	return c
}

// Sums returns the feature sums (a new slice).
func (s *Sketch) Sums() []float64 {
	out := make([]float64, len(s.hi))
	for j := range out {
		out[j] = s.hi[j] + s.lo[j]
	}
	return out
}

// Values returns the normalised sketch, the feature means (a new slice),
// in the order of Parts: first moments, second moments, then (ridge
// Projected and Exact) E[s y] and E[y²]. It is nil for an empty sketch.
func (s *Sketch) Values() []float64 {
	if s.rows == 0 {
		return nil
	}
	out := make([]float64, len(s.hi))
	n := float64(s.rows)
	for j := range out {
		out[j] = (s.hi[j] + s.lo[j]) / n
	}
	return out
}
