package baseline

import (
	"fmt"
	"testing"
)

// BenchmarkAdd is sketching throughput (rows/s = n / (ns/op) · 1e9).
func BenchmarkAdd(b *testing.B) {
	for _, p := range []Params{
		{Task: PCA, D: 20, M: 128, Seed: 1},
		{Task: PCA, D: 20, M: 256, Seed: 1},
		{Task: Ridge, D: 20, M: 128, Seed: 1},
	} {
		g, _ := NewDesign(p)
		x := testRows(g, 1000, 1)
		b.Run(fmt.Sprintf("%v/%v/m=%d", p.Task, g.Params().Layout, p.M), func(b *testing.B) {
			s := NewSketch(g)
			for b.Loop() {
				s.Add(x)
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkDecodePCA is one Quadratic decode at d = 20, k = 3 (the
// measurement operator's pseudo-inverse is built once per design, before).
func BenchmarkDecodePCA(b *testing.B) {
	for _, m := range []int{64, 128} {
		g, _ := NewDesign(Params{Task: PCA, D: 20, M: m, Seed: 1})
		task, _ := DefaultPCAFamily(20).Task(1)
		s := NewSketch(g)
		s.Add(task.Rows(2000, 0))
		DecodePCA(s, 3, PCAOptions{})
		b.Run(fmt.Sprintf("m=%d", m), func(b *testing.B) {
			for b.Loop() {
				DecodePCA(s, 3, PCAOptions{})
			}
		})
	}
}
