package ae

import (
	"fmt"
	"testing"

	"github.com/clkit/clkit/nn"
)

// benchRows is the block encoded per call: large enough that the call's
// fixed costs vanish, small enough to stay in L2 with B.
const benchRows = 4096

func benchModel(b *testing.B, d int, r float64) (*Model, []float32) {
	n := int(r * float64(d))
	m, err := RotationModel(d, min(n, d), 1)
	if err != nil {
		b.Fatal(err)
	}
	x, err := Source{Law: Gaussian}.Sample(benchRows, d, 2)
	if err != nil {
		b.Fatal(err)
	}
	return m, x
}

// reportRates reports rows/s and input coordinates × code bits per
// coordinate per second, rows·D·r/s = rows·N/s: the issue's
// "coordinates·bits per second". MB/s (b.SetBytes) counts the float32
// input rows read (Encode) or written (Decode).
func reportRates(b *testing.B, rows, n int) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*rows)/s, "rows/s")
	b.ReportMetric(float64(b.N*rows*n)/s/1e6, "Mcoord·bits/s")
}

// BenchmarkEncode: the public path, GEMM + sign-and-pack, one core.
func BenchmarkEncode(b *testing.B) {
	for _, d := range []int{256, 400} {
		m, x := benchModel(b, d, 1)
		c, _ := m.Encode(x)
		for _, k := range Kernels() {
			b.Run(fmt.Sprintf("%s/d=%d/r=1", k, d), func(b *testing.B) {
				if err := m.SetKernel(k); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(4 * len(x)))
				for range b.N {
					if err := m.EncodeTo(x, c); err != nil {
						b.Fatal(err)
					}
				}
				reportRates(b, benchRows, m.n)
			})
		}
	}
}

// BenchmarkEncodeParts times the two halves of Encode apart: the GEMM and
// the bit kernel on its output (and the input check).
func BenchmarkEncodeParts(b *testing.B) {
	d := 256
	m, x := benchModel(b, d, 1)
	n := m.n
	y := make([]float32, blockRows*n)
	code := make([]uint64, blockRows*words(n))
	b.Run(fmt.Sprintf("gemm-%s/d=%d", nn.Kernels()[0], d), func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for range b.N {
			for r0 := 0; r0 < benchRows; r0 += blockRows {
				rows := min(blockRows, benchRows-r0)
				nn.Gemm(false, false, rows, n, d, 1, x[r0*d:(r0+rows)*d], d, m.bt, n, 0, y[:rows*n], n)
			}
		}
		reportRates(b, benchRows, n)
	})
	b.Run(fmt.Sprintf("check/d=%d", d), func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for range b.N {
			if err := checkRows(x, d); err != nil {
				b.Fatal(err)
			}
		}
		reportRates(b, benchRows, n)
	})
	for _, k := range kernels {
		b.Run(fmt.Sprintf("pack-%s/d=%d", k.name, d), func(b *testing.B) {
			b.SetBytes(int64(4 * benchRows * n))
			for range b.N {
				for r0 := 0; r0 < benchRows; r0 += blockRows {
					rows := min(blockRows, benchRows-r0)
					k.packSign(y[:rows*n], rows, n, code[:rows*words(n)])
				}
			}
			reportRates(b, benchRows, n)
		})
	}
}

// BenchmarkDecode: unpack + GEMM with Aᵀ (linear decoder).
func BenchmarkDecode(b *testing.B) {
	d := 256
	m, x := benchModel(b, d, 1)
	c, _ := m.Encode(x)
	out := make([]float32, len(x))
	for _, k := range Kernels() {
		b.Run(fmt.Sprintf("%s/d=%d/r=1", k, d), func(b *testing.B) {
			if err := m.SetKernel(k); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(4 * len(out)))
			for range b.N {
				if err := m.DecodeTo(c, out); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, benchRows, m.n)
		})
	}
}
