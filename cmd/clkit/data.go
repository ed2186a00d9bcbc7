package main

import (
	"io"
	"math/rand/v2"

	"github.com/clkit/clkit/dataio"
	"gonum.org/v1/plot/plotter"
)

// samplePoints returns a uniform sample (reservoir, fixed seed) of up to
// max rows of the data file at path, projected on dimensions dims. The
// file must have the sketch's d columns.
func samplePoints(path string, d int, dims []int, max int) (plotter.XYs, error) {
	r, err := dataio.Open(path, dataio.Options{Float64: true})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.Dim() != d {
		return nil, usagef("--data %s: %d columns, the sketch has d=%d", path, r.Dim(), d)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make(plotter.XYs, 0, max)
	var b dataio.Block
	seen := 0
	for {
		if err := r.Next(&b); err == io.EOF {
			return pts, nil
		} else if err != nil {
			return nil, err
		}
		for i := range b.Rows {
			p := plotter.XY{X: b.X64[i*d+dims[0]], Y: b.X64[i*d+dims[1]]}
			if len(pts) < max {
				pts = append(pts, p)
			} else if j := rng.IntN(seen + 1); j < max {
				pts[j] = p
			}
			seen++
		}
	}
}
