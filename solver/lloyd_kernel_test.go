package solver

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkLloydAssign(b *testing.B) {
	for _, tc := range []struct{ n, d, K int }{{100000, 2, 100}, {100000, 10, 10}, {20000, 100, 100}} {
		b.Run(fmt.Sprintf("n%d_d%d_K%d", tc.n, tc.d, tc.K), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float64, tc.n*tc.d)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			c := x[:tc.K*tc.d]
			labels := make([]int, tc.n)
			dist := make([]float64, tc.n)
			for b.Loop() {
				lloydAssign(x, tc.d, tc.K, c, labels, dist, 0, tc.n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tc.n*tc.K*tc.d), "ns/term")
		})
	}
}
