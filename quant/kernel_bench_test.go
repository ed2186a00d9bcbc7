package quant

import (
	"fmt"
	"testing"
)

// benchRows is the rows per kernel call in BenchmarkKernel.
const benchRows = 256

// BenchmarkKernel times every usable kernel, count and codes, on calls of
// benchRows rows, with the data of the performance peers (x ~ N(0,1),
// ω ~ N(0, 9/d), ξ ~ U[0, 2π), here in turns: ω/2π, ξ/2π) and m
// frequencies padded to whole blocks. rows/s and ns per row·frequency
// count the m real frequencies.
func BenchmarkKernel(b *testing.B) {
	shapes := []struct{ d, m int }{{2, 1000}, {10, 1000}, {64, 2048}}
	for _, k := range kernels {
		for _, prec := range []string{"f32", "f64"} {
			for _, kind := range []string{"count", "codes"} {
				for _, sh := range shapes {
					name := fmt.Sprintf("%s/%s/%s/d=%d/m=%d", k.name, prec, kind, sh.d, sh.m)
					b.Run(name, func(b *testing.B) { benchKernel(b, k, prec == "f64", kind == "codes", sh.d, sh.m) })
				}
			}
		}
	}
}

func benchKernel(b *testing.B, k kernel, f64, codes bool, d, m int) {
	n := benchRows
	nb := (m + blockFreqs - 1) / blockFreqs
	kc := newKernelCase(1, n, d, nb, kindRandom)
	mp := nb * blockFreqs
	cc, cs := make([]uint32, mp), make([]uint32, mp)
	code := make([]uint64, n*codeWords(nb))
	size := 4
	if f64 {
		size = 8
	}
	b.SetBytes(int64(n * d * size)) // x of the call
	for b.Loop() {
		switch {
		case f64 && codes:
			k.codes64(kc.x64, n, d, kc.om64, kc.xi64, code)
		case f64:
			k.count64(kc.x64, n, d, kc.om64, kc.xi64, cc, cs)
		case codes:
			k.codes32(kc.x32, n, d, kc.om32, kc.xi32, code)
		default:
			k.count32(kc.x32, n, d, kc.om32, kc.xi32, cc, cs)
		}
	}
	rows := float64(b.N) * float64(n)
	sec := b.Elapsed().Seconds()
	b.ReportMetric(rows/sec, "rows/s")
	b.ReportMetric(sec*1e9/(rows*float64(m)), "ns/row·freq")
}
