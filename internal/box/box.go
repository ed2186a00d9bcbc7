// Package box tracks the per-dimension bounding box of the rows a sketch
// has seen. Boxes merge like sketches (by union), and the decoders search
// centroids inside them. rff and quant sketches share it.
package box

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Box is a bounding box; nil Lo (the zero value) is "none yet". A sketch
// whose box is nil while it has rows does not know its box (it was built
// from sums, or read from a file without one), and then stays unknown.
type Box struct{ Lo, Hi []float64 }

// Known reports whether the box holds anything.
func (b Box) Known() bool { return b.Lo != nil }

// Clone returns an independent copy.
func (b Box) Clone() Box {
	if b.Lo == nil {
		return Box{}
	}
	return Box{slices.Clone(b.Lo), slices.Clone(b.Hi)}
}

// Of is the box of the rows x (row-major, d values each, all finite);
// empty x gives the empty Box.
func Of[T ~float32 | ~float64](x []T, d int) Box {
	if len(x) < d || d <= 0 {
		return Box{}
	}
	lo, hi := make([]float64, d), make([]float64, d)
	for k := range d {
		lo[k], hi[k] = float64(x[k]), float64(x[k])
	}
	for i := d; i+d <= len(x); i += d {
		row := x[i : i+d]
		for k, v := range row {
			f := float64(v)
			if f < lo[k] {
				lo[k] = f
			}
			if f > hi[k] {
				hi[k] = f
			}
		}
	}
	return Box{lo, hi}
}

// Union widens b by o (an empty o changes nothing).
func (b *Box) Union(o Box) {
	if o.Lo == nil {
		return
	}
	if b.Lo == nil {
		*b = o.Clone()
		return
	}
	for k := range b.Lo {
		b.Lo[k], b.Hi[k] = min(b.Lo[k], o.Lo[k]), max(b.Hi[k], o.Hi[k])
	}
}

// Extend adds the box o of rows just added to a sketch that had rows
// before (hadRows): an unknown box stays unknown.
func (b *Box) Extend(o Box, hadRows bool) {
	if b.Lo == nil && hadRows {
		return
	}
	b.Union(o)
}

// Merge combines the boxes of two sketches with aRows and bRows rows: the
// union, unknown if either side is unknown but has rows.
func Merge(a Box, aRows int64, b Box, bRows int64) Box {
	switch {
	case !b.Known() && bRows == 0:
		return a.Clone()
	case !a.Known() && aRows == 0:
		return b.Clone()
	case !a.Known() || !b.Known():
		return Box{}
	}
	c := a.Clone()
	c.Union(b)
	return c
}

// Check validates a box of dimension d: finite intervals lo ≤ hi.
func Check(b Box, d int) error {
	if len(b.Lo) != d || len(b.Hi) != d {
		return fmt.Errorf("box of %d and %d values, want d=%d", len(b.Lo), len(b.Hi), d)
	}
	for k := range d {
		if !(b.Lo[k] <= b.Hi[k]) || math.IsInf(b.Lo[k], 0) || math.IsInf(b.Hi[k], 0) {
			return fmt.Errorf("box [%v, %v] of dimension %d is not a finite interval", b.Lo[k], b.Hi[k], k)
		}
	}
	return nil
}

// Append encodes the box as d float64 minima then d maxima (nothing when
// empty).
func Append(dst []byte, b Box) []byte {
	for _, v := range append(slices.Clone(b.Lo), b.Hi...) {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return dst
}

// Decode reads a box of dimension d written by Append and checks it.
func Decode(data []byte, d int) (Box, error) {
	if len(data) < 16*d {
		return Box{}, fmt.Errorf("box truncated")
	}
	b := Box{make([]float64, d), make([]float64, d)}
	for k := range d {
		b.Lo[k] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*k:]))
		b.Hi[k] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*(d+k):]))
	}
	return b, Check(b, d)
}
