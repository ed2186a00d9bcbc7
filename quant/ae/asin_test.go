package ae

import (
	"math"
	"testing"
)

func TestAsin(t *testing.T) {
	var worst float64
	for i := -200000; i <= 200000; i++ {
		x := float64(i) / 200000
		worst = max(worst, math.Abs(asin(x)-math.Asin(x)))
	}
	for _, x := range []float64{1, -1, 0.5, -0.5, math.Nextafter(0.5, 1), 1e-300, 0} {
		worst = max(worst, math.Abs(asin(x)-math.Asin(x)))
	}
	if worst > 1e-14 {
		t.Errorf("asin off math.Asin by %g", worst)
	}
}

func BenchmarkAsin(b *testing.B) {
	x := make([]float64, 4096)
	for i := range x {
		x[i] = math.Sin(float64(i)) * 0.9
	}
	y := make([]float64, len(x))
	b.Run("ours", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				y[i] = asin(v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/asin")
	})
	b.Run("math", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				y[i] = math.Asin(v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/asin")
	})
}
