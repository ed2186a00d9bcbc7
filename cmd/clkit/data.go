package main

import (
	"errors"

	"gonum.org/v1/plot/plotter"
)

// samplePoints returns up to max rows of the data file at path, projected
// on dimensions a and b. (Readers land with the sketch command.)
func samplePoints(path string, d int, dims []int, max int) (plotter.XYs, error) {
	return nil, errors.New("--data: no readers in this build yet")
}
