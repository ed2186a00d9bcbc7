package rff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// runFeat calls k's feature kernel with the rows' outputs inside guard
// values (a row stride ld wider than the features) and returns them.
func (kc *kernelCase) runFeat(t testing.TB, k kernel, f64 bool) []float64 {
	n, mp := kc.n, kc.nb*blockFreqs
	ld := 2*mp + 3
	size := (n-1)*ld + 2*mp
	out := make([]float64, 0, n*2*mp)
	check := func(i int, changed bool) {
		r, c := i/ld, i%ld
		inside := c < 2*mp && r < n
		if !inside && changed {
			t.Fatalf("%s: feature kernel wrote outside its rows at %d (row %d, column %d, n=%d d=%d)", k.name, i, r, c, n, kc.d)
		}
	}
	if f64 {
		buf := make([]float64, size+8)
		for i := range buf {
			buf[i] = guard
		}
		k.feat64(kc.x64, kc.d, kc.om64, kc.xi64, buf[:size], ld)
		for i, v := range buf {
			check(i, v != guard)
		}
		for i := range n {
			out = append(out, buf[i*ld:i*ld+2*mp]...)
		}
		return out
	}
	buf := make([]float32, size+8)
	for i := range buf {
		buf[i] = guard
	}
	k.feat32(kc.x32, kc.d, kc.om32, kc.xi32, buf[:size], ld)
	for i, v := range buf {
		check(i, v != float32(guard))
	}
	for i := range n {
		for _, v := range buf[i*ld : i*ld+2*mp] {
			out = append(out, float64(v))
		}
	}
	return out
}

// featReference is cos and sin of the phases in float64, and each phase's
// magnitude bound for the float32 tolerance.
func (kc *kernelCase) featReference() (out, p []float64) {
	n, d, mp := kc.n, kc.d, kc.nb*blockFreqs
	out, p = make([]float64, n*2*mp), make([]float64, n*mp)
	for i := range n {
		for j := range mp {
			b, l := j/blockFreqs, j%blockFreqs
			t, a := kc.xi64[j], math.Abs(kc.xi64[j])
			for k := range d {
				o := kc.om64[(b*d+k)*blockFreqs+l]
				t += kc.x64[i*d+k] * o
				a += math.Abs(kc.x64[i*d+k] * o)
			}
			sn, cs := math.Sincos(t)
			out[i*2*mp+j], out[i*2*mp+mp+j] = cs, sn
			p[i*mp+j] = a
		}
	}
	return out, p
}

// TestFeatureKernelsSweep: every kernel against the reference and the twin
// (float32: within (d+2)·2⁻²⁴·p + 2⁻²² of the phase's cos and sin; float64:
// 1e-15) for row counts 1..300 and the test dimensions.
func TestFeatureKernelsSweep(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	for _, d := range testDims {
		for n := 1; n <= 300; n++ {
			if n > 40 && n%13 != 0 && n != 300 || d > 9 && n > 20 && n%39 != 0 {
				continue
			}
			kc := newKernelCase(r, n, d, 1+n%3, 3, false)
			checkFeatKernels(t, kc)
		}
	}
}

func checkFeatKernels(t testing.TB, kc *kernelCase) {
	t.Helper()
	ref, p := kc.featReference()
	mp := kc.nb * blockFreqs
	for _, f64 := range []bool{false, true} {
		tw := kc.runFeat(t, goKernel, f64)
		for _, k := range kernels {
			got := tw
			if k.name != goKernel.name {
				got = kc.runFeat(t, k, f64)
			}
			for i, v := range got {
				tol := 1e-15
				if !f64 {
					row, j := i/(2*mp), i%mp
					tol = float64(kc.d+2)*0x1p-24*p[row*mp+j] + 0x1p-22
				}
				if e := math.Abs(v - ref[i]); !(e <= tol) || math.Abs(v-tw[i]) > 2*tol {
					t.Fatalf("%s f64=%v n=%d d=%d nb=%d: feature %d = %v, reference %v, twin %v (tol %.3g)",
						k.name, f64, kc.n, kc.d, kc.nb, i, v, ref[i], tw[i], tol)
				}
			}
		}
	}
}

func FuzzFeatureKernels(f *testing.F) {
	f.Add(uint64(1), uint16(1), uint8(1), uint8(1))
	f.Add(uint64(2), uint16(299), uint8(9), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, n16 uint16, d8, nb8 uint8) {
		n, d, nb := 1+int(n16)%300, 1+int(d8)%80, 1+int(nb8)%4
		checkFeatKernels(t, newKernelCase(rand.New(rand.NewPCG(seed, 3)), n, d, nb, 1+float64(seed%6), false))
	})
}

// TestFeaturesAPI: FeaturesF32/F64 against math.Sincos for m with and
// without a partial block, rows beyond the fast range (exact path), any
// number of workers; and custom frequencies.
func TestFeaturesAPI(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 22))
	for _, c := range []struct{ d, m int }{{2, 64}, {3, 100}, {20, 128}, {1, 5}} {
		f := newTestFreq(t, c.d, c.m, 1)
		for _, n := range []int{0, 1, 7, 64, 65, 300} {
			x64 := randVec(r, n*c.d)
			if n > 5 {
				x64[4*c.d] = 4e5
			}
			x32 := make([]float32, len(x64))
			for i, v := range x64 {
				x32[i] = float32(v)
				x64[i] = float64(x32[i])
			}
			o32, o64 := make([]float32, 2*c.m*n), make([]float64, 2*c.m*n)
			if err := f.FeaturesF32(x32, o32, 0); err != nil {
				t.Fatal(err)
			}
			if err := f.FeaturesF64(x64, o64, 0); err != nil {
				t.Fatal(err)
			}
			o1 := make([]float64, len(o64))
			if err := f.FeaturesF64(x64, o1, 1); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				for j := range c.m {
					tt := f.Xi()[j]
					for k := range c.d {
						tt += f.Omega(j)[k] * x64[i*c.d+k]
					}
					sn, cs := math.Sincos(tt)
					at := i*2*c.m + j
					tol32 := 1e-5
					if i == 4 && n > 5 {
						tol32 = 1e-7
					}
					if math.Abs(o64[at]-cs) > 1e-13 || math.Abs(o64[at+c.m]-sn) > 1e-13 ||
						math.Abs(float64(o32[at])-cs) > tol32 || math.Abs(float64(o32[at+c.m])-sn) > tol32 {
						t.Fatalf("d=%d m=%d n=%d row %d freq %d: cos %v %v sin %v %v, want %v %v", c.d, c.m, n, i, j, o64[at], o32[at], o64[at+c.m], o32[at+c.m], cs, sn)
					}
				}
			}
			for i := range o1 {
				if o1[i] != o64[i] {
					t.Fatal("features depend on the number of workers")
				}
			}
		}
	}
	f := newTestFreq(t, 2, 20, 1)
	if err := f.FeaturesF64(make([]float64, 3), make([]float64, 40), 1); err == nil {
		t.Error("ragged rows: no error")
	}
	if err := f.FeaturesF64(make([]float64, 4), make([]float64, 40), 1); err == nil {
		t.Error("short output: no error")
	}
	err := f.FeaturesF32([]float32{0, 0, float32(math.NaN()), 1}, make([]float32, 80), 1)
	if re, ok := err.(*RowError); !ok || re.Row != 1 || re.Col != 0 {
		t.Errorf("NaN at row 1, column 0: %v", err)
	}
}

func TestCustomFrequencies(t *testing.T) {
	g := newTestFreq(t, 3, 40, 0.7)
	c, err := NewCustomFrequencies(g.OmegaMatrix(), g.Xi(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if c.Params().Law != Custom || c.M() != 40 || c.D() != 3 {
		t.Errorf("params %+v", c.Params())
	}
	// Same Ω and ξ: the same sketch, but it cannot be written.
	x := randVec(rand.New(rand.NewPCG(1, 1)), 300)
	sg, sc := NewSketch(g), NewSketch(c)
	if err := sg.AddF64(x, nil); err != nil {
		t.Fatal(err)
	}
	if err := sc.AddF64(x, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := sg.Sums()
	b, _ := sc.Sums()
	for j := range a {
		if a[j] != b[j] {
			t.Fatalf("custom copy of the frequencies sketches differently at %d", j)
		}
	}
	if _, err := sc.MarshalBinary(); err == nil {
		t.Error("marshalling a sketch over custom frequencies: no error")
	}
	if c.Fingerprint() == g.Fingerprint() {
		t.Error("custom frequencies share the fingerprint of drawn ones")
	}
	for _, bad := range []struct {
		om, xi []float64
		d      int
	}{{nil, nil, 2}, {make([]float64, 5), nil, 2}, {make([]float64, 4), make([]float64, 3), 2}, {[]float64{math.Inf(1), 0}, nil, 2}} {
		if _, err := NewCustomFrequencies(bad.om, bad.xi, bad.d); err == nil {
			t.Errorf("bad custom frequencies %v %v d=%d: no error", bad.om, bad.xi, bad.d)
		}
	}
}

// BenchmarkFeatures: per-row features against the sketch of the same rows.
func BenchmarkFeatures(b *testing.B) {
	for _, c := range []struct{ d, m int }{{2, 1000}, {20, 128}, {10, 1000}} {
		for _, k := range kernels {
			for _, prec := range []string{"f32", "f64"} {
				b.Run(fmt.Sprintf("%s/%s/d=%d/m=%d", k.name, prec, c.d, c.m), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					f := newTestFreq(b, c.d, c.m, math.Sqrt(float64(c.d))/3)
					const n = 1024
					x64 := randVec(r, n*c.d)
					x32 := make([]float32, len(x64))
					for i, v := range x64 {
						x32[i] = float32(v)
					}
					o32, o64 := make([]float32, 2*f.mp*n), make([]float64, 2*f.mp*n)
					b.SetBytes(int64(n * c.d * 4))
					for b.Loop() {
						if prec == "f32" {
							featRun(k, f, x32, o32, 2*f.mp)
						} else {
							featRun(k, f, x64, o64, 2*f.mp)
						}
					}
					rows := float64(b.N) * n
					b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
					b.ReportMetric(b.Elapsed().Seconds()*1e9/(rows*float64(c.m)), "ns/row·freq")
				})
			}
		}
	}
}
