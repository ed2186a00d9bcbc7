package meta

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSketchNet is the Sketch-Network's inference, the hot path of
// the package: rows/s and GFLOP/s of Sketch.Add for the default network
// at d = 20, m = 64 (about 0.3 MFLOP a row), on 1 and 2 goroutines.
func BenchmarkSketchNet(b *testing.B) {
	task, _ := TaskByName("pca", 20)
	mod, err := NewModel(task, SketchConfig{M: 64}, QueryConfig{}, 4096, 1)
	if err != nil {
		b.Fatal(err)
	}
	const n = 16384
	x := randRows(rand.New(rand.NewPCG(1, 1)), n, 20, 1)
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("d=20/m=64/workers=%d", w), func(b *testing.B) {
			s := mod.NewSketch()
			b.SetBytes(n * 20 * 8)
			for b.Loop() {
				if err := s.Add(x, w); err != nil {
					b.Fatal(err)
				}
			}
			rows := float64(b.N) * n
			b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(rows*mod.Sketch.FlopsPerRow()/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
