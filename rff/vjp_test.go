package rff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vjpCase is a VJP kernel call's inputs in the packed layout: rows x, a
// frequency chunk (om, xi), the vector a + ib (zero past m).
type vjpCase struct {
	*kernelCase
	m        int // real frequencies; the rest of the chunk is padding
	a32, b32 []float32
	a64, b64 []float64
}

func newVJPCase(r *rand.Rand, n, d, nb, m int, scale float64) *vjpCase {
	vc := &vjpCase{kernelCase: newKernelCase(r, n, d, nb, scale, false), m: m}
	mp := nb * blockFreqs
	vc.a32, vc.b32 = make([]float32, mp), make([]float32, mp)
	vc.a64, vc.b64 = make([]float64, mp), make([]float64, mp)
	for j := range m {
		vc.a32[j], vc.b32[j] = float32(r.NormFloat64()), float32(r.NormFloat64())
		vc.a64[j], vc.b64[j] = float64(vc.a32[j]), float64(vc.b32[j])
	}
	// Padding frequencies have ω = 0 and ξ = 0 in Frequencies.
	for j := m; j < mp; j++ {
		vc.xi32[j], vc.xi64[j] = 0, 0
		b, l := j/blockFreqs, j%blockFreqs
		for k := range d {
			vc.om32[(b*d+k)*blockFreqs+l], vc.om64[(b*d+k)*blockFreqs+l] = 0, 0
		}
	}
	return vc
}

// run calls k's VJP kernel with outputs starting at init inside guard
// regions and returns what it added.
func (vc *vjpCase) run(t testing.TB, k kernel, f64 bool, init float64) (v, g []float64) {
	n, d := vc.n, vc.d
	buf := make([]float64, n+n*d+24)
	for i := range buf {
		buf[i] = guard
	}
	v, g = buf[8:8+n:8+n], buf[16+n:16+n+n*d:16+n+n*d]
	for i := range v {
		v[i] = init
	}
	for i := range g {
		g[i] = -init
	}
	if f64 {
		gs := make([]float64, d*blockFreqs)
		k.vjp64(vc.x64, d, vc.om64, vc.xi64, vc.a64, vc.b64, gs, v, g)
	} else {
		gs := make([]float32, d*blockFreqs)
		k.vjp32(vc.x32, d, vc.om32, vc.xi32, vc.a32, vc.b32, gs, v, g)
	}
	for i, x := range buf {
		if (i < 8 || (i >= 8+n && i < 16+n) || i >= 16+n+n*d) && x != guard {
			t.Fatalf("%s: VJP kernel wrote outside its output at buffer index %d (n=%d d=%d)", k.name, i, n, d)
		}
	}
	for i := range v {
		v[i] -= init
	}
	for i := range g {
		g[i] += init
	}
	return v, g
}

// reference computes values and gradients in float64 with math.Sincos,
// and a scale per row for tolerances: Σ_j (|a_j|+|b_j|)·(1 + p_ij·(d+2)·2⁻²⁴)
// for float32 (a phase error of p·(d+2)·2⁻²⁴ moves cos and sin by as much),
// with p the phase's magnitude bound; the gradient's scale also carries
// |ω_jk|.
func (vc *vjpCase) reference() (v, g, sv, sg []float64) {
	n, d, mp := vc.n, vc.d, vc.nb*blockFreqs
	v, g = make([]float64, n), make([]float64, n*d)
	sv, sg = make([]float64, n), make([]float64, n*d)
	for i := range n {
		for j := range mp {
			b, l := j/blockFreqs, j%blockFreqs
			t, p := vc.xi64[j], math.Abs(vc.xi64[j])
			for k := range d {
				o := vc.om64[(b*d+k)*blockFreqs+l]
				t += vc.x64[i*d+k] * o
				p += math.Abs(vc.x64[i*d+k] * o)
			}
			sn, cs := math.Sincos(t)
			v[i] += vc.a64[j]*cs + vc.b64[j]*sn
			h := vc.b64[j]*cs - vc.a64[j]*sn
			e := (math.Abs(vc.a64[j]) + math.Abs(vc.b64[j])) * (1 + p*float64(d+2))
			sv[i] += e
			for k := range d {
				o := vc.om64[(b*d+k)*blockFreqs+l]
				g[i*d+k] += h * o
				sg[i*d+k] += e * math.Abs(o)
			}
		}
	}
	return v, g, sv, sg
}

// checkVJPKernels compares every kernel with the twin and the reference:
// within tol·scale per output, tol = 4·2⁻²⁴ for float32 (the scale carries
// the phase rounding) and 1e-13 for float64. The reference and the twin
// are computed once for all kernels (they dominate the cost under qemu).
func checkVJPKernels(t testing.TB, ks []kernel, vc *vjpCase, init float64) {
	t.Helper()
	rv, rg, sv, sg := vc.reference()
	for _, f64 := range []bool{false, true} {
		tol := 4 * 0x1p-24
		if f64 {
			tol = 1e-13
		}
		tv, tg := vc.run(t, goKernel, f64, init)
		for _, k := range ks {
			v, g := tv, tg
			if k.name != goKernel.name {
				v, g = vc.run(t, k, f64, init)
			}
			for _, c := range []struct {
				what            string
				got, want, scal []float64
				tol             float64
			}{
				{"value vs reference", v, rv, sv, tol}, {"gradient vs reference", g, rg, sg, tol},
				{"value vs twin", v, tv, sv, 2 * tol}, {"gradient vs twin", g, tg, sg, 2 * tol},
			} {
				for i := range c.got {
					if e := math.Abs(c.got[i] - c.want[i]); !(e <= c.tol*(c.scal[i]+1)) {
						t.Fatalf("%s f64=%v n=%d d=%d nb=%d m=%d: %s: output %d = %v, want %v (|Δ| %.3g, tol %.3g)",
							k.name, f64, vc.n, vc.d, vc.nb, vc.m, c.what, i, c.got[i], c.want[i], e, c.tol*(c.scal[i]+1))
					}
				}
			}
		}
	}
}

// TestVJPKernelsSweep: every usable kernel against the twin and the
// reference for row counts 1..300 (all up to 40, then a thinner sweep),
// the test dimensions, and chunks of one to vjpChunk/16 blocks with
// partial last blocks.
func TestVJPKernelsSweep(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for _, d := range testDims {
		for n := 1; n <= 300; n++ {
			if n > 40 && n%13 != 0 && n != 300 || d > 9 && n > 20 && n%39 != 0 {
				continue
			}
			nb := 1 + n%(vjpChunk/blockFreqs)
			if d > 9 {
				nb = 1 + n%3
			}
			m := nb*blockFreqs - n%blockFreqs
			checkVJPKernels(t, kernels, newVJPCase(r, n, d, nb, m, 3), float64(n%5)*0.25)
		}
	}
}

// TestVJPPhaseRange: phases near the fast limits.
func TestVJPPhaseRange(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	for _, k := range kernels {
		for _, f64 := range []bool{false, true} {
			limit := float64(fastLimit32)
			if f64 {
				limit = fastLimit64
			}
			vc := newVJPCase(r, 40, 1, 2, 32, 1)
			for i := range vc.x32 {
				vc.x32[i] = float32((limit*0.99 - 7) * (2*r.Float64() - 1))
				vc.x64[i] = float64(vc.x32[i])
			}
			for i := range vc.om32 {
				vc.om32[i] = float32(2*r.Float64() - 1)
				vc.om64[i] = float64(vc.om32[i])
			}
			v, g := vc.run(t, k, f64, 0)
			tv, tg := vc.run(t, goKernel, f64, 0)
			// At these magnitudes the float32 phase itself is rounded
			// (ulp(8192) = 1e-3): compare kernel and twin loosely there.
			tol := 1e-9
			if !f64 {
				tol = 0.1
			}
			ev, _ := maxDiff(v, tv)
			eg, _ := maxDiff(g, tg)
			if !(ev <= tol*32 && eg <= tol*32) {
				t.Errorf("%s f64=%v: near the fast limit, vs twin: values %.3g, gradients %.3g", k.name, f64, ev, eg)
			}
		}
	}
}

// newTestFreq draws frequencies for API-level tests.
func newTestFreq(t testing.TB, d, m int, sigma float64) *Frequencies {
	t.Helper()
	f, err := NewFrequencies(Params{Law: Gaussian, D: d, M: m, Sigma: []float64{sigma}, Seed: uint64(7*d + m)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFeatureVJPFiniteDifferences: the gradient is the derivative of the
// value, through the public API, in float64 (central differences).
func TestFeatureVJPFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	for _, d := range []int{1, 2, 5, 10} {
		for _, m := range []int{1, 17, 300} {
			f := newTestFreq(t, d, m, 1.5)
			re, im := randVec(r, m), randVec(r, m)
			p := NewFeatureVJP(f)
			if err := p.SetVector(re, im); err != nil {
				t.Fatal(err)
			}
			x := randVec(r, 3*d)
			val, grad := make([]float64, 3), make([]float64, 3*d)
			if err := p.ApplyF64(x, val, grad, 1); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				for k := range d {
					const h = 1e-5
					xp := append([]float64(nil), x[i*d:(i+1)*d]...)
					xm := append([]float64(nil), xp...)
					xp[k] += h
					xm[k] -= h
					fd := (exactValue(f, xp, re, im) - exactValue(f, xm, re, im)) / (2 * h)
					if e := math.Abs(fd - grad[i*d+k]); e > 1e-6*(1+math.Abs(fd)) {
						t.Errorf("d=%d m=%d row %d dim %d: gradient %v, finite difference %v", d, m, i, k, grad[i*d+k], fd)
					}
				}
				if e := math.Abs(val[i] - exactValue(f, x[i*d:(i+1)*d], re, im)); e > 1e-11*float64(m) {
					t.Errorf("d=%d m=%d row %d: value %v, exact %v", d, m, i, val[i], exactValue(f, x[i*d:(i+1)*d], re, im))
				}
			}
		}
	}
}

func randVec(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// exactValue is Re⟨Φ(x), re + i·im⟩ with math.Sincos.
func exactValue(f *Frequencies, x, re, im []float64) float64 {
	d := f.D()
	var s float64
	for j := range f.M() {
		t := f.Xi()[j]
		for k := range d {
			t += f.Omega(j)[k] * x[k]
		}
		sn, cs := math.Sincos(t)
		s += re[j]*cs + im[j]*sn
	}
	return s
}

// TestFeatureVJPAPI: every kernel through ApplyF32/F64 against the exact
// float64 values, for row counts 0..300 and several m (partial blocks,
// several chunks), with some rows beyond the fast range (the exact path);
// workers do not change a bit of the result.
func TestFeatureVJPAPI(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 14))
	for _, k := range kernels {
		for _, c := range []struct{ d, m int }{{2, 1000}, {3, 257}, {10, 40}, {1, 5}} {
			f := newTestFreq(t, c.d, c.m, 1)
			p := NewFeatureVJP(f)
			if err := p.SetKernel(k.name); err != nil {
				t.Fatal(err)
			}
			re, im := randVec(r, c.m), randVec(r, c.m)
			if err := p.SetVector(re, im); err != nil {
				t.Fatal(err)
			}
			for n := 0; n <= 300; n += 1 + n/10 {
				x64 := randVec(r, n*c.d)
				if n > 5 {
					x64[3*c.d] = 3e5 // beyond both fast ranges
				}
				x32 := make([]float32, len(x64))
				for i, v := range x64 {
					x32[i] = float32(v)
					x64[i] = float64(x32[i])
				}
				v64, g64 := make([]float64, n), make([]float64, n*c.d)
				v32, g32 := make([]float64, n), make([]float32, n*c.d)
				if err := p.ApplyF64(x64, v64, g64, 0); err != nil {
					t.Fatal(err)
				}
				if err := p.ApplyF32(x32, v32, g32, 0); err != nil {
					t.Fatal(err)
				}
				v1, g1 := make([]float64, n), make([]float64, n*c.d)
				if err := p.ApplyF64(x64, v1, g1, 1); err != nil {
					t.Fatal(err)
				}
				for i := range n {
					row := x64[i*c.d : (i+1)*c.d]
					ev, eg := exactVJP(f, row, re, im)
					scale := 0.0
					for j := range c.m {
						scale += math.Abs(re[j]) + math.Abs(im[j])
					}
					tol64, tol32 := 1e-13*scale, 5e-6*scale
					if i == 3 && n > 5 {
						tol32 = 1e-13 * scale // exact path for both
					}
					if math.Abs(v64[i]-ev) > tol64 || math.Abs(v32[i]-ev) > tol32 {
						t.Fatalf("%s d=%d m=%d n=%d row %d: values f64 %v f32 %v, exact %v", k.name, c.d, c.m, n, i, v64[i], v32[i], ev)
					}
					for kk := range c.d {
						gs := scale * (1 + math.Abs(eg[kk]))
						if math.Abs(g64[i*c.d+kk]-eg[kk]) > 1e-13*gs*10 || math.Abs(float64(g32[i*c.d+kk])-eg[kk]) > 5e-6*gs*10 {
							t.Fatalf("%s d=%d m=%d n=%d row %d dim %d: gradients f64 %v f32 %v, exact %v", k.name, c.d, c.m, n, i, kk, g64[i*c.d+kk], g32[i*c.d+kk], eg[kk])
						}
					}
				}
				for i := range v1 {
					if v1[i] != v64[i] {
						t.Fatalf("%s: result depends on the number of workers (row %d)", k.name, i)
					}
				}
				for i := range g1 {
					if g1[i] != g64[i] {
						t.Fatalf("%s: gradient depends on the number of workers", k.name)
					}
				}
			}
		}
	}
}

func exactVJP(f *Frequencies, x, re, im []float64) (float64, []float64) {
	d := f.D()
	g := make([]float64, d)
	var v float64
	for j := range f.M() {
		t := f.Xi()[j]
		for k := range d {
			t += f.Omega(j)[k] * x[k]
		}
		sn, cs := math.Sincos(t)
		v += re[j]*cs + im[j]*sn
		h := im[j]*cs - re[j]*sn
		for k := range d {
			g[k] += h * f.Omega(j)[k]
		}
	}
	return v, g
}

func TestFeatureVJPErrors(t *testing.T) {
	f := newTestFreq(t, 2, 20, 1)
	p := NewFeatureVJP(f)
	if err := p.ApplyF64(make([]float64, 4), nil, nil, 1); err == nil {
		t.Error("apply before SetVector: no error")
	}
	if err := p.SetVector(make([]float64, 19), make([]float64, 20)); err == nil {
		t.Error("short vector: no error")
	}
	bad := make([]float64, 20)
	bad[7] = math.NaN()
	if err := p.SetVector(bad, make([]float64, 20)); err == nil {
		t.Error("NaN in vector: no error")
	}
	if err := p.SetVector(make([]float64, 20), make([]float64, 20)); err != nil {
		t.Fatal(err)
	}
	if err := p.ApplyF64(make([]float64, 3), nil, nil, 1); err == nil {
		t.Error("ragged rows: no error")
	}
	if err := p.ApplyF64(make([]float64, 4), make([]float64, 3), nil, 1); err == nil {
		t.Error("wrong value length: no error")
	}
	if err := p.ApplyF32(make([]float32, 4), nil, make([]float32, 3), 1); err == nil {
		t.Error("wrong gradient length: no error")
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		x := []float64{0, 0, 1, v}
		err := p.ApplyF64(x, nil, make([]float64, 4), 1)
		re, ok := err.(*RowError)
		if !ok || re.Row != 1 || re.Col != 1 {
			t.Errorf("value %v at row 1, column 1: error %v", v, err)
		}
		err = p.ApplyF32([]float32{0, 0, 1, float32(v)}, make([]float64, 2), nil, 1)
		if re, ok := err.(*RowError); !ok || re.Row != 1 || re.Col != 1 {
			t.Errorf("float32 value %v at row 1, column 1: error %v", v, err)
		}
	}
}

func FuzzVJPKernels(f *testing.F) {
	f.Add(uint64(1), uint16(1), uint8(1), uint8(1), uint8(0))
	f.Add(uint64(2), uint16(299), uint8(9), uint8(16), uint8(5))
	f.Add(uint64(3), uint16(17), uint8(65), uint8(2), uint8(15))
	f.Fuzz(func(t *testing.T, seed uint64, n16 uint16, d8, nb8, pad8 uint8) {
		n := 1 + int(n16)%300
		d := 1 + int(d8)%80
		nb := 1 + int(nb8)%(vjpChunk/blockFreqs)
		m := nb*blockFreqs - int(pad8)%blockFreqs
		vc := newVJPCase(rand.New(rand.NewPCG(seed, 2)), n, d, nb, m, 1+float64(seed%6))
		checkVJPKernels(t, kernels, vc, 0)
	})
}

// BenchmarkVJP measures the fused VJP against the forward sketch of the
// same rows: rows/s and ns per row·frequency.
func BenchmarkVJP(b *testing.B) {
	for _, c := range []struct{ d, m int }{{2, 10000}, {2, 1000}, {10, 1000}, {64, 2048}} {
		for _, k := range kernels {
			for _, prec := range []string{"f32", "f64"} {
				b.Run(fmt.Sprintf("%s/%s/d=%d/m=%d", k.name, prec, c.d, c.m), func(b *testing.B) {
					benchVJP(b, k, prec == "f64", c.d, c.m)
				})
			}
		}
	}
}

func benchVJP(b *testing.B, k kernel, f64 bool, d, m int) {
	r := rand.New(rand.NewPCG(1, 2))
	f, err := NewFrequencies(Params{Law: Gaussian, D: d, M: m, Sigma: []float64{math.Sqrt(float64(d)) / 3}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	p := NewFeatureVJP(f)
	if err := p.SetKernel(k.name); err != nil {
		b.Fatal(err)
	}
	if err := p.SetVector(randVec(r, m), randVec(r, m)); err != nil {
		b.Fatal(err)
	}
	const n = 1024
	x64 := randVec(r, n*d)
	x32 := make([]float32, len(x64))
	for i, v := range x64 {
		x32[i] = float32(v)
	}
	val, g64, g32 := make([]float64, n), make([]float64, n*d), make([]float32, n*d)
	size := 4
	if f64 {
		size = 8
	}
	b.SetBytes(int64(n * d * size))
	b.ResetTimer()
	for b.Loop() {
		if f64 {
			err = p.ApplyF64(x64, val, g64, 1)
		} else {
			err = p.ApplyF32(x32, val, g32, 1)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	rows := float64(b.N) * n
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/(rows*float64(m)), "ns/row·freq")
}
