package meta

import (
	"testing"
)

// tinyModel is a small configuration that trains in seconds.
func tinyModel(t testing.TB, task Task, m int) *Model {
	t.Helper()
	mod, err := NewModel(task, SketchConfig{M: m, Fourier: 16, Quadratic: 4, Width: 32},
		QueryConfig{Width: 64, Blocks: 1}, 512, 1)
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

// TestTrainLossFalls: on every task a tiny model's loss falls within a
// few hundred steps (the CI-sized check of meta-training).
func TestTrainLossFalls(t *testing.T) {
	for _, name := range []string{"pca", "ridge", "kmeans", "ae"} {
		task, err := TaskByName(name, 6)
		if err != nil {
			t.Fatal(err)
		}
		mod := tinyModel(t, task, 16)
		res, err := Train(mod, TrainOptions{Steps: 300, Batch: 8, NMin: 64, NMax: 512, SketchRows: 256, LossRows: 256, LR: 3e-3, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		first, last := mean(res.Loss[:30]), mean(res.Loss[len(res.Loss)-30:])
		t.Logf("%s: loss %.4f → %.4f in %v", name, first, last, res.Elapsed)
		if !(last < 0.7*first) {
			t.Errorf("%s: loss fell only from %.4f to %.4f", name, first, last)
		}
	}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
