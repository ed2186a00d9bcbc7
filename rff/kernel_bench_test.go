package rff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkKernel times every usable kernel on one block of maxBlockRows
// rows, with the data of the performance peers (x ~ N(0,1), ω ~ N(0, 9/d),
// ξ ~ U[0, 2π)) and m frequencies padded to whole blocks.
func BenchmarkKernel(b *testing.B) {
	shapes := []struct{ d, m int }{{2, 1000}, {10, 1000}, {64, 2048}}
	for _, k := range kernels {
		for _, prec := range []string{"f32", "f64"} {
			for _, sh := range shapes {
				name := fmt.Sprintf("%s/%s/d=%d/m=%d", k.name, prec, sh.d, sh.m)
				b.Run(name, func(b *testing.B) { benchKernel(b, k, prec == "f64", sh.d, sh.m) })
			}
		}
	}
}

func benchKernel(b *testing.B, k kernel, f64 bool, d, m int) {
	r := rand.New(rand.NewPCG(1, 2))
	n := maxBlockRows
	nb := (m + blockFreqs - 1) / blockFreqs
	kc := newKernelCase(r, n, d, nb, 3, false)
	c, s := make([]float64, nb*blockFreqs), make([]float64, nb*blockFreqs)
	size := 4
	if f64 {
		size = 8
	}
	b.SetBytes(int64(n * (d + 1) * size)) // x and w of the block
	for b.Loop() {
		if f64 {
			k.f64(kc.x64, kc.w64, d, kc.om64, kc.xi64, c, s)
		} else {
			k.f32(kc.x32, kc.w32, d, kc.om32, kc.xi32, c, s)
		}
	}
	rows := float64(b.N) * float64(n)
	sec := b.Elapsed().Seconds()
	b.ReportMetric(rows/sec, "rows/s")
	b.ReportMetric(sec*1e9/(rows*float64(m)), "ns/row·freq")
	if math.IsNaN(c[0]) {
		b.Fatal("NaN")
	}
}
