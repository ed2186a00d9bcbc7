package nn

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/blas32"
)

// peakLoop is an FMA throughput loop: run(n) does n rounds of flops each.
type peakLoop struct {
	run   func(n int)
	flops int
}

// corePeak is the core's float32 FMA peak in GFLOP/s, measured once with
// the register-only FMA loops (the best of the ISAs, the best of 5 runs):
// the clock of a shared VM is not documented, so the fraction of peak is
// taken against what the FMA units deliver in the same process.
// CLKIT_PEAK_GFLOPS sets it instead, e.g. to FMA pipes × lanes × 2 × GHz
// from a data sheet (Zen 5, 2 × 16 × 2 × 4.2 = 268.8).
var corePeak = sync.OnceValue(func() float64 {
	if p, err := strconv.ParseFloat(os.Getenv("CLKIT_PEAK_GFLOPS"), 64); err == nil && p > 0 {
		return p
	}
	best := 0.0
	for _, l := range fmaPeakLoops() {
		for range 5 {
			const n = 2_000_000
			t := time.Now()
			l.run(n)
			best = max(best, float64(n)*float64(l.flops)/time.Since(t).Seconds()/1e9)
		}
	}
	return best
})

// BenchmarkFMAPeak reports the FMA loops' throughput: the peak the other
// benchmarks' "%peak" refers to.
func BenchmarkFMAPeak(b *testing.B) {
	for name, l := range fmaPeakLoops() {
		b.Run(name, func(b *testing.B) {
			const n = 100_000
			for b.Loop() {
				l.run(n)
			}
			b.ReportMetric(float64(b.N)*n*float64(l.flops)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func reportFlops(b *testing.B, flops float64) {
	g := flops * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(g, "GFLOP/s")
	if p := corePeak(); p > 0 {
		b.ReportMetric(100*g/p, "%peak")
	}
}

// gonumSgemm is the product nn made before its own SGEMM: gonum's Sgemm,
// tiled to stay serial (see dgemm).
func gonumSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	const bs = 64
	cn := min(n, 3*bs)
	rm := bs * (3 / ((cn + bs - 1) / bs))
	for i := 0; i < m; i += rm {
		mi := min(rm, m-i)
		aOff := i * lda
		if tA {
			aOff = i
		}
		for j := 0; j < n; j += cn {
			nj := min(cn, n-j)
			bOff := j
			if tB {
				bOff = j * ldb
			}
			blas32.Implementation().Sgemm(trans(tA), trans(tB), mi, nj, k,
				alpha, a[aOff:], lda, b[bOff:], ldb, beta, c[i*ldc+j:], ldc)
		}
	}
}

// benchShape is one product as a layer makes it.
type benchShape struct {
	name    string
	tA, tB  bool
	m, n, k int
	beta    float32
}

// layerShapes are the three products of a Dense(in→out) layer on a batch:
// forward y = x·Wᵀ, backward dIn = dOut·W and dW += dOutᵀ·x.
func layerShapes(name string, batch, out, in int) []benchShape {
	return []benchShape{
		{fmt.Sprintf("%s/fwd_%dx%dx%d", name, batch, out, in), false, true, batch, out, in, 1},
		{fmt.Sprintf("%s/dIn_%dx%dx%d", name, batch, in, out), false, false, batch, in, out, 0},
		{fmt.Sprintf("%s/dW_%dx%dx%d", name, out, in, batch), true, false, out, in, batch, 1},
	}
}

func benchShapes() []benchShape {
	var s []benchShape
	s = append(s, layerShapes("meta288", 1024, 256, 288)...)
	s = append(s, layerShapes("meta256", 1024, 256, 256)...)
	s = append(s, layerShapes("meta64", 1024, 64, 256)...)
	s = append(s, layerShapes("clgn", 1000, 10, 10)...)
	return append(s, benchShape{"square/512x512x512", false, false, 512, 512, 512, 0})
}

// BenchmarkSgemm runs every shape with every usable kernel and with gonum,
// packing included: compare ratios within one run.
func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes() {
		ar, ac := s.m, s.k
		if s.tA {
			ar, ac = s.k, s.m
		}
		br, bc := s.k, s.n
		if s.tB {
			br, bc = s.n, s.k
		}
		a, bm, c := randF32(r, ar*ac), randF32(r, br*bc), randF32(r, s.m*s.n)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		run := func(b *testing.B, f func()) {
			b.SetBytes(int64(4 * (len(a) + len(bm) + len(c))))
			f()
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
			reportFlops(b, flops)
		}
		for ki := range sgemmKernels {
			kern := &sgemmKernels[ki]
			b.Run(s.name+"/"+kern.name, func(b *testing.B) {
				run(b, func() { sgemm(kern, s.tA, s.tB, s.m, s.n, s.k, 1, a, ac, bm, bc, s.beta, c, s.n) })
			})
		}
		b.Run(s.name+"/gonum", func(b *testing.B) {
			run(b, func() { gonumSgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, ac, bm, bc, s.beta, c, s.n) })
		})
	}
}

// BenchmarkMicroKernel is the kernel alone on in-cache data: one A panel
// (L1) against the B panels of a 256×256 block (L2), as sgemm's inner
// loop runs them, k = 256.
func BenchmarkMicroKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, kern := range sgemmKernels {
		b.Run(kern.name, func(b *testing.B) {
			const k, nc = 256, 256
			MR, NR := kern.mr, kern.nr
			ncr := (nc + NR - 1) / NR * NR
			a, bp := randF32(r, k*MR), randF32(r, k*ncr)
			c := randF32(r, MR*ncr)
			flops := float64(2 * MR * ncr * k)
			b.SetBytes(int64(4 * (len(a) + len(bp) + len(c))))
			for b.Loop() {
				for jr := 0; jr < ncr; jr += NR {
					kern.run(k, a, MR, bp[jr*k:], NR, c[jr:], ncr, MR, NR, 1, 1)
				}
			}
			reportFlops(b, flops)
		})
	}
}
