package rff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clkit/clkit/internal/dispatch/dispatchtest"
)

func TestRequiredKernels(t *testing.T) { dispatchtest.Required(t, Kernels()) }

func TestUsableKernelsEnv(t *testing.T) {
	arch := []kernel{{name: "a", env: "NO_A"}, {name: "b", env: "NO_B"}}
	names := func(ks []kernel) (s []string) {
		for _, k := range ks {
			s = append(s, k.name)
		}
		return
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		env  map[string]string
		want []string
	}{
		{nil, []string{"a", "b", "go"}},
		{map[string]string{"NO_A": "1"}, []string{"b", "go"}},
		{map[string]string{"NO_A": "0"}, []string{"a", "b", "go"}},
		{map[string]string{"CLKIT_NOASM": "1"}, []string{"go"}},
	}
	for _, c := range cases {
		if got := names(usableKernels(arch, env(c.env))); !slices.Equal(got, c.want) {
			t.Errorf("env %v: kernels %v, want %v", c.env, got, c.want)
		}
	}
	if Kernels()[len(Kernels())-1] != "go" {
		t.Errorf("pure-Go kernel must always be usable: %v", Kernels())
	}
}

// kernelCase is one kernel call's inputs, in the packed layout.
type kernelCase struct {
	n, d, nb int
	x32, w32 []float32
	x64, w64 []float64
	om32     []float32
	xi32     []float32
	om64     []float64
	xi64     []float64
	sumW     float64
}

// newKernelCase draws rows x ~ N(0,1) and ω ~ N(0, (scale²)/d), so phases
// are a few units, exercising every quadrant; weights are positive and
// uneven when weighted, else 1. Phases stay within the fast limits.
func newKernelCase(r *rand.Rand, n, d, nb int, scale float64, weighted bool) *kernelCase {
	kc := &kernelCase{n: n, d: d, nb: nb}
	mp := nb * blockFreqs
	kc.x32, kc.x64 = make([]float32, n*d), make([]float64, n*d)
	for i := range kc.x32 {
		kc.x32[i] = float32(r.NormFloat64())
		kc.x64[i] = float64(kc.x32[i])
	}
	kc.w32, kc.w64 = make([]float32, n), make([]float64, n)
	for i := range kc.w32 {
		w := float32(1)
		if weighted {
			w = float32(r.ExpFloat64())
		}
		kc.w32[i], kc.w64[i] = w, float64(w)
		kc.sumW += float64(w)
	}
	kc.om32, kc.om64 = make([]float32, mp*d), make([]float64, mp*d)
	for i := range kc.om32 {
		kc.om32[i] = float32(r.NormFloat64() * scale / math.Sqrt(float64(d)))
		kc.om64[i] = float64(kc.om32[i])
	}
	kc.xi32, kc.xi64 = make([]float32, mp), make([]float64, mp)
	for i := range kc.xi32 {
		kc.xi32[i] = float32(2 * math.Pi * r.Float64())
		kc.xi64[i] = float64(kc.xi32[i])
	}
	return kc
}

const guard = 12345.678 // value around the output slices, must survive

// run calls the kernel on sums that start at `init` and sit inside guard
// regions, and returns the outputs; it fails t if a guard was overwritten.
func (kc *kernelCase) run(t testing.TB, k kernel, f64 bool, init float64) (c, s []float64) {
	mp := kc.nb * blockFreqs
	buf := make([]float64, 2*mp+24)
	for i := range buf {
		buf[i] = guard
	}
	c, s = buf[8:8+mp:8+mp], buf[16+mp:16+2*mp:16+2*mp]
	for i := range c {
		c[i], s[i] = init, -init
	}
	if f64 {
		k.f64(kc.x64, kc.w64, kc.d, kc.om64, kc.xi64, c, s)
	} else {
		k.f32(kc.x32, kc.w32, kc.d, kc.om32, kc.xi32, c, s)
	}
	for i, v := range buf {
		if (i < 8 || (i >= 8+mp && i < 16+mp) || i >= 16+2*mp) && v != guard {
			t.Fatalf("%s: kernel wrote outside its output at buffer index %d (mp=%d)", k.name, i, mp)
		}
	}
	for i := range c {
		c[i] -= init
		s[i] += init
	}
	return c, s
}

// reference computes the sums in float64 with math.Sincos, from the same
// (float32-rounded, for f32) inputs: the accuracy yardstick.
func (kc *kernelCase) reference(f64 bool) (c, s []float64) {
	mp := kc.nb * blockFreqs
	c, s = make([]float64, mp), make([]float64, mp)
	for j := 0; j < mp; j++ {
		b, l := j/blockFreqs, j%blockFreqs
		for i := 0; i < kc.n; i++ {
			t := kc.xi64[j]
			for k := 0; k < kc.d; k++ {
				t += kc.x64[i*kc.d+k] * kc.om64[(b*kc.d+k)*blockFreqs+l]
			}
			sn, cs := math.Sincos(t)
			c[j] += kc.w64[i] * cs
			s[j] += kc.w64[i] * sn
		}
	}
	return c, s
}

// bound32 is the float32 kernels' error bound per normalised entry. A
// row's phase t = ξ + Σ_k ω_k x_k is a float32 dot product of d+1 terms, so
// (the classic recursive-summation bound, products rounded or fused) it is
// off by at most about (d+2)·2⁻²⁴·p, p = |ξ| + Σ|ω_k x_k|, and so are cos t
// and sin t; add ~2e-7 for the polynomial and the float32 sums. Typical
// errors are far smaller and average out over rows (TestAccuracyClaim).
func (kc *kernelCase) bound32() float64 {
	var worst float64
	for j := 0; j < kc.nb*blockFreqs; j++ {
		b, l := j/blockFreqs, j%blockFreqs
		var e float64
		for i := 0; i < kc.n; i++ {
			p := math.Abs(kc.xi64[j])
			for k := 0; k < kc.d; k++ {
				p += math.Abs(kc.x64[i*kc.d+k] * kc.om64[(b*kc.d+k)*blockFreqs+l])
			}
			e += kc.w64[i] * (2e-7 + float64(kc.d+2)*0x1p-24*p)
		}
		worst = max(worst, e/kc.sumW)
	}
	return worst
}

func maxDiff(a, b []float64) (float64, int) {
	var m float64
	at := -1
	for i := range a {
		if d := math.Abs(a[i] - b[i]); d > m || math.IsNaN(d) {
			m, at = d, i
			if math.IsNaN(d) {
				return math.NaN(), i
			}
		}
	}
	return m, at
}

// Tolerances, per sketch entry of the normalised sums (Σ w·cos / Σ w):
// kernel vs its pure-Go twin, and kernel vs the float64 reference.
const (
	tolTwin32, tolTwin64 = 2e-6, 1e-13
	tolRef32, tolRef64   = 1e-6, 1e-12
)

func checkKernel(t testing.TB, k kernel, kc *kernelCase, init float64) {
	t.Helper()
	for _, f64 := range []bool{false, true} {
		tw, tr := tolTwin32, tolRef32
		if f64 {
			tw, tr = tolTwin64, tolRef64
		}
		c, s := kc.run(t, k, f64, init)
		gc, gs := kc.run(t, goKernel, f64, init)
		rc, rs := kc.reference(f64)
		if !f64 {
			// Kernel and twin each stay within bound32 of the exact value,
			// but round their phases differently (fused or not).
			b := kc.bound32()
			tw, tr = max(tw, 2*b), max(tr, b)
		}
		for _, p := range []struct {
			what      string
			got, want []float64
			tol       float64
		}{{"cos vs twin", c, gc, tw}, {"sin vs twin", s, gs, tw}, {"cos vs reference", c, rc, tr}, {"sin vs reference", s, rs, tr}} {
			if e, j := maxDiff(p.got, p.want); !(e <= p.tol*kc.sumW) {
				t.Fatalf("%s f64=%v n=%d d=%d nb=%d: %s: |Δ|/Σw = %.3g at j=%d (got %v want %v), tol %.1g",
					k.name, f64, kc.n, kc.d, kc.nb, p.what, e/kc.sumW, j, p.got[j], p.want[j], p.tol)
			}
		}
	}
}

var testDims = []int{1, 2, 3, 7, 8, 9, 16, 17, 64, 65}

// TestKernelsSweep compares every usable kernel with the twin and the
// reference on every row count of a block and the listed dimensions. Each
// kernel sees the same cases, whichever kernels the CPU has.
func TestKernelsSweep(t *testing.T) {
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 7))
			for _, d := range testDims {
				for n := 1; n <= maxBlockRows; n++ {
					if d > 9 && n%7 != 0 && n > 40 && n != maxBlockRows {
						continue // large d: a thinner sweep keeps the test quick
					}
					nb := 1 + n%3
					kc := newKernelCase(r, n, d, nb, 3, n%2 == 0)
					checkKernel(t, k, kc, float64(n%5)*0.25)
				}
			}
		})
	}
}

// TestKernelsPhaseRange puts phases near the fast limits, where the range
// reduction must still be right.
func TestKernelsPhaseRange(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, k := range kernels {
		for _, f64 := range []bool{false, true} {
			limit := float64(fastLimit32)
			if f64 {
				limit = fastLimit64
			}
			kc := newKernelCase(r, 64, 1, 2, 1, true)
			for i := range kc.x32 {
				// |x·ω| up to 0.99·limit − 2π: t stays under the limit.
				kc.x32[i] = float32((limit*0.99 - 7) * (2*r.Float64() - 1))
				kc.x64[i] = float64(kc.x32[i])
			}
			for i := range kc.om32 {
				kc.om32[i] = float32(2*r.Float64() - 1)
				kc.om64[i] = float64(kc.om32[i])
			}
			c, s := kc.run(t, k, f64, 0)
			rc, rs := kc.reference(f64)
			// The phase itself is rounded at these magnitudes (ulp(8192) in
			// float32 is 1e-3), so compare with the twin tightly and the
			// reference only loosely for float32.
			gc, gs := kc.run(t, goKernel, f64, 0)
			tolT, tolR := 2e-3, 2e-3
			if f64 {
				tolT, tolR = 1e-9, 1e-9
			}
			ec, _ := maxDiff(c, gc)
			es, _ := maxDiff(s, gs)
			if !(ec <= tolT*kc.sumW && es <= tolT*kc.sumW) {
				t.Errorf("%s f64=%v: near limit, vs twin %.3g %.3g", k.name, f64, ec/kc.sumW, es/kc.sumW)
			}
			ec, _ = maxDiff(c, rc)
			es, _ = maxDiff(s, rs)
			if !(ec <= tolR*kc.sumW && es <= tolR*kc.sumW) {
				t.Errorf("%s f64=%v: near limit, vs reference %.3g %.3g", k.name, f64, ec/kc.sumW, es/kc.sumW)
			}
		}
	}
}

func FuzzKernels(f *testing.F) {
	f.Add(uint64(1), uint16(1), uint8(1), uint8(1), true)
	f.Add(uint64(2), uint16(255), uint8(9), uint8(3), false)
	f.Add(uint64(3), uint16(17), uint8(65), uint8(2), true)
	f.Fuzz(func(t *testing.T, seed uint64, n16 uint16, d8, nb8 uint8, weighted bool) {
		n := 1 + int(n16)%maxBlockRows
		d := 1 + int(d8)%80
		nb := 1 + int(nb8)%4
		kc := newKernelCase(rand.New(rand.NewPCG(seed, 1)), n, d, nb, 1+float64(seed%6), weighted)
		for _, k := range kernels {
			checkKernel(t, k, kc, 0)
		}
	})
}

func ExampleKernels() {
	ks := Kernels()
	fmt.Println(ks[len(ks)-1])
	// Output: go
}
