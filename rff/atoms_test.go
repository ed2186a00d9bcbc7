package rff

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"testing"
)

// atomSizes covers one frequency, partial and whole blocks, and d = 1.
var atomSizes = []struct{ d, m int }{{1, 1}, {1, 7}, {3, 16}, {3, 33}, {10, 200}, {17, 100}}

func atomFreqs(t testing.TB, d, m int) *Frequencies {
	t.Helper()
	f, err := NewFrequencies(Params{Law: AdaptedRadius, D: d, M: m, Sigma: []float64{1}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func atomRandVec(r *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * r.NormFloat64()
	}
	return v
}

func atomRandVariances(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 0.05 + 1.5*r.Float64()
	}
	return v
}

// atomRef is the Gaussian atom's sketch computed directly in complex128
// (the Dirac when s2 is nil), from the public accessors.
func atomRef(f *Frequencies, mu, s2 []float64) []complex128 {
	a := make([]complex128, f.M())
	for j := range a {
		w := f.Omega(j)
		t, q := f.Xi()[j], 0.0
		for k := range w {
			t += w[k] * mu[k]
			if s2 != nil {
				q += w[k] * w[k] * s2[k]
			}
		}
		a[j] = cmplx.Exp(complex(-q/2, t))
	}
	return a
}

func atomMaxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// atomMaxDiff is max_i |a_i − b_i|, NaN if any entry is NaN.
func atomMaxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		panic("atomMaxDiff: lengths differ")
	}
	var m float64
	for i := range a {
		e := math.Abs(a[i] - b[i])
		if e != e {
			return math.NaN()
		}
		m = max(m, e)
	}
	return m
}

func atomCheckClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if e := atomMaxDiff(got, want); !(e <= tol) {
		t.Errorf("%s: max error %.3g > %.3g", what, e, tol)
	}
}

func atomSplitComplex(a []complex128) (re, im []float64) {
	re, im = make([]float64, len(a)), make([]float64, len(a))
	for j, z := range a {
		re[j], im[j] = real(z), imag(z)
	}
	return
}

func TestAtomSketchValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range atomSizes {
		f := atomFreqs(t, sz.d, sz.m)
		for trial := 0; trial < 3; trial++ {
			c := atomRandVec(r, sz.d, 2)
			s2 := atomRandVariances(r, sz.d)
			re, im := make([]float64, sz.m), make([]float64, sz.m)
			if err := DiracSketch(f, c, re, im); err != nil {
				t.Fatal(err)
			}
			wr, wi := atomSplitComplex(atomRef(f, c, nil))
			atomCheckClose(t, fmt.Sprintf("d=%d m=%d dirac re", sz.d, sz.m), re, wr, 1e-13)
			atomCheckClose(t, fmt.Sprintf("d=%d m=%d dirac im", sz.d, sz.m), im, wi, 1e-13)
			if err := GaussianSketch(f, c, s2, re, im); err != nil {
				t.Fatal(err)
			}
			wr, wi = atomSplitComplex(atomRef(f, c, s2))
			atomCheckClose(t, fmt.Sprintf("d=%d m=%d gauss re", sz.d, sz.m), re, wr, 1e-13)
			atomCheckClose(t, fmt.Sprintf("d=%d m=%d gauss im", sz.d, sz.m), im, wi, 1e-13)
		}
	}
}

// Phases beyond fastLimit64 take math.Sincos; the result must still match.
func TestAtomLargePhases(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	f := atomFreqs(t, 4, 50)
	c := atomRandVec(r, 4, 1e6)
	re, im := make([]float64, 50), make([]float64, 50)
	if err := DiracSketch(f, c, re, im); err != nil {
		t.Fatal(err)
	}
	wr, wi := atomSplitComplex(atomRef(f, c, nil))
	// Phases of ~1e6 carry ~1e-10 rounding whatever the order of the sum.
	atomCheckClose(t, "re", re, wr, 1e-8)
	atomCheckClose(t, "im", im, wi, 1e-8)
	var big bool
	for j := range 50 {
		var tj float64
		for k, w := range f.Omega(j) {
			tj += w * c[k]
		}
		big = big || math.Abs(tj) > fastLimit64
	}
	if !big {
		t.Fatal("test does not reach the slow path")
	}
}

func TestAtomNaNPropagates(t *testing.T) {
	f := atomFreqs(t, 3, 20)
	re, im := make([]float64, 20), make([]float64, 20)
	if err := DiracSketch(f, []float64{0, math.NaN(), 1}, re, im); err != nil {
		t.Fatal(err)
	}
	for j := range re {
		if !math.IsNaN(re[j]) || !math.IsNaN(im[j]) {
			t.Fatalf("entry %d = %v%+vi, want NaN", j, re[j], im[j])
		}
	}
	grad := make([]float64, 3)
	v, err := DiracVJP(f, []float64{math.Inf(1), 0, 0}, re, im, grad)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(v) {
		t.Errorf("value %v, want NaN", v)
	}
}

// The sketch of a Dirac is the sketch of the data set {x}: the direct
// formula and the package's sketch kernels agree with it.
func TestDiracIsSinglePointSketch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range atomSizes {
		f := atomFreqs(t, sz.d, sz.m)
		x := atomRandVec(r, sz.d, 1.5)
		re, im := make([]float64, sz.m), make([]float64, sz.m)
		if err := DiracSketch(f, x, re, im); err != nil {
			t.Fatal(err)
		}
		for j := range sz.m {
			var dot float64
			for k, w := range f.Omega(j) {
				dot += w * x[k]
			}
			z := cmplx.Exp(complex(0, dot+f.Xi()[j]))
			if cmplx.Abs(z-complex(re[j], im[j])) > 1e-13 {
				t.Fatalf("d=%d m=%d j=%d: atom %v, data sketch %v", sz.d, sz.m, j, complex(re[j], im[j]), z)
			}
		}
		for _, k := range kernels {
			c, s := make([]float64, f.mp), make([]float64, f.mp)
			k.f64(x, []float64{1}, sz.d, f.om64, f.xi64, c, s)
			atomCheckClose(t, k.name+" kernel cos", c[:sz.m], re, 1e-13)
			atomCheckClose(t, k.name+" kernel sin", s[:sz.m], im, 1e-13)
		}
	}
}

// atomFDJacobian is the central finite-difference Jacobian (m×n, row-major) of
// the map θ ↦ (re, im) at θ.
func atomFDJacobian(m int, theta []float64, h float64, sketch func(th, re, im []float64)) (jRe, jIm []float64) {
	n := len(theta)
	jRe, jIm = make([]float64, m*n), make([]float64, m*n)
	rp, ip, rm, im := make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)
	th := append([]float64(nil), theta...)
	for p := range n {
		th[p] = theta[p] + h
		sketch(th, rp, ip)
		th[p] = theta[p] - h
		sketch(th, rm, im)
		th[p] = theta[p]
		for j := range m {
			jRe[j*n+p] = (rp[j] - rm[j]) / (2 * h)
			jIm[j*n+p] = (ip[j] - im[j]) / (2 * h)
		}
	}
	return
}

func atomRelErr(got, want []float64) float64 {
	return atomMaxDiff(got, want) / max(atomMaxAbs(want), 1e-300)
}

func TestAtomJacobianFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const h = 1e-5
	for _, sz := range atomSizes {
		d, m := sz.d, sz.m
		f := atomFreqs(t, d, m)
		c := atomRandVec(r, d, 1)
		jRe, jIm := make([]float64, m*d), make([]float64, m*d)
		if err := DiracJacobian(f, c, jRe, jIm); err != nil {
			t.Fatal(err)
		}
		fRe, fIm := atomFDJacobian(m, c, h, func(th, re, im []float64) {
			if err := DiracSketch(f, th, re, im); err != nil {
				t.Fatal(err)
			}
		})
		if e := max(atomRelErr(jRe, fRe), atomRelErr(jIm, fIm)); !(e < 1e-6) {
			t.Errorf("d=%d m=%d: Dirac Jacobian vs finite differences: relative error %.3g", d, m, e)
		}

		theta := append(atomRandVec(r, d, 1), atomRandVariances(r, d)...)
		gRe, gIm := make([]float64, 2*m*d), make([]float64, 2*m*d)
		if err := GaussianJacobian(f, theta[:d], theta[d:], gRe, gIm); err != nil {
			t.Fatal(err)
		}
		fRe, fIm = atomFDJacobian(m, theta, h, func(th, re, im []float64) {
			if err := GaussianSketch(f, th[:d], th[d:], re, im); err != nil {
				t.Fatal(err)
			}
		})
		if e := max(atomRelErr(gRe, fRe), atomRelErr(gIm, fIm)); !(e < 1e-6) {
			t.Errorf("d=%d m=%d: Gaussian Jacobian vs finite differences: relative error %.3g", d, m, e)
		}
	}
}

// atomJTv is Jᵀv for an m×n Jacobian (jRe, jIm): Σ_j jRe[j,p]·vRe_j + jIm[j,p]·vIm_j.
func atomJTv(jRe, jIm, vRe, vIm []float64, n int) []float64 {
	g := make([]float64, n)
	for j := range vRe {
		for p := range n {
			g[p] += jRe[j*n+p]*vRe[j] + jIm[j*n+p]*vIm[j]
		}
	}
	return g
}

func atomDot(re, im, vRe, vIm []float64) float64 {
	var s float64
	for j := range re {
		s += re[j]*vRe[j] + im[j]*vIm[j]
	}
	return s
}

func TestAtomVJPMatchesJacobian(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, sz := range atomSizes {
		d, m := sz.d, sz.m
		f := atomFreqs(t, d, m)
		vRe, vIm := atomRandVec(r, m, 1), atomRandVec(r, m, 1)
		scale := float64(m) * (1 + atomMaxAbs(f.OmegaMatrix())) * (1 + atomMaxAbs(f.OmegaMatrix()))
		tol := 1e-14 * scale

		c := atomRandVec(r, d, 1)
		re, im := make([]float64, m), make([]float64, m)
		jRe, jIm := make([]float64, m*d), make([]float64, m*d)
		grad := make([]float64, d)
		if err := DiracSketch(f, c, re, im); err != nil {
			t.Fatal(err)
		}
		if err := DiracJacobian(f, c, jRe, jIm); err != nil {
			t.Fatal(err)
		}
		val, err := DiracVJP(f, c, vRe, vIm, grad)
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(val - atomDot(re, im, vRe, vIm)); !(e <= tol) {
			t.Errorf("d=%d m=%d: Dirac VJP value off by %.3g", d, m, e)
		}
		atomCheckClose(t, fmt.Sprintf("d=%d m=%d Dirac VJP gradient", d, m), grad, atomJTv(jRe, jIm, vRe, vIm, d), tol)

		mu, s2 := atomRandVec(r, d, 1), atomRandVariances(r, d)
		gRe, gIm := make([]float64, 2*m*d), make([]float64, 2*m*d)
		gMu, gVar := make([]float64, d), make([]float64, d)
		if err := GaussianSketch(f, mu, s2, re, im); err != nil {
			t.Fatal(err)
		}
		if err := GaussianJacobian(f, mu, s2, gRe, gIm); err != nil {
			t.Fatal(err)
		}
		val, err = GaussianVJP(f, mu, s2, vRe, vIm, gMu, gVar)
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(val - atomDot(re, im, vRe, vIm)); !(e <= tol) {
			t.Errorf("d=%d m=%d: Gaussian VJP value off by %.3g", d, m, e)
		}
		want := atomJTv(gRe, gIm, vRe, vIm, 2*d)
		atomCheckClose(t, fmt.Sprintf("d=%d m=%d Gaussian VJP gradient wrt mu", d, m), gMu, want[:d], tol)
		atomCheckClose(t, fmt.Sprintf("d=%d m=%d Gaussian VJP gradient wrt variances", d, m), gVar, want[d:], tol)
	}
}

func TestGaussianZeroVarianceIsDirac(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range atomSizes {
		d, m := sz.d, sz.m
		f := atomFreqs(t, d, m)
		c, zero := atomRandVec(r, d, 1.5), make([]float64, d)
		vRe, vIm := atomRandVec(r, m, 1), atomRandVec(r, m, 1)
		dr, di := make([]float64, m), make([]float64, m)
		gr, gi := make([]float64, m), make([]float64, m)
		if err := DiracSketch(f, c, dr, di); err != nil {
			t.Fatal(err)
		}
		if err := GaussianSketch(f, c, zero, gr, gi); err != nil {
			t.Fatal(err)
		}
		atomCheckClose(t, "re", gr, dr, 1e-15)
		atomCheckClose(t, "im", gi, di, 1e-15)

		dg, gMu, gVar := make([]float64, d), make([]float64, d), make([]float64, d)
		dv, _ := DiracVJP(f, c, vRe, vIm, dg)
		gv, err := GaussianVJP(f, c, zero, vRe, vIm, gMu, gVar)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(dv-gv) > 1e-12 {
			t.Errorf("values %v vs %v", dv, gv)
		}
		atomCheckClose(t, "VJP gradient", gMu, dg, 1e-12)

		jr, ji := make([]float64, m*d), make([]float64, m*d)
		gjr, gji := make([]float64, 2*m*d), make([]float64, 2*m*d)
		if err := DiracJacobian(f, c, jr, ji); err != nil {
			t.Fatal(err)
		}
		if err := GaussianJacobian(f, c, zero, gjr, gji); err != nil {
			t.Fatal(err)
		}
		for j := range m {
			atomCheckClose(t, "Jacobian re", gjr[2*j*d:2*j*d+d], jr[j*d:(j+1)*d], 1e-15)
			atomCheckClose(t, "Jacobian im", gji[2*j*d:2*j*d+d], ji[j*d:(j+1)*d], 1e-15)
		}

		n2, err := GaussianSqNorm(f, zero, nil)
		if err != nil || n2 != float64(m) {
			t.Errorf("‖A‖² at zero variance = %v (err %v), want %d", n2, err, m)
		}
	}
}

func TestGaussianSqNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sz := range atomSizes {
		d, m := sz.d, sz.m
		f := atomFreqs(t, d, m)
		mu, s2 := atomRandVec(r, d, 1), atomRandVariances(r, d)
		re, im := make([]float64, m), make([]float64, m)
		if err := GaussianSketch(f, mu, s2, re, im); err != nil {
			t.Fatal(err)
		}
		g := make([]float64, d)
		n2, err := GaussianSqNorm(f, s2, g)
		if err != nil {
			t.Fatal(err)
		}
		if want := atomDot(re, im, re, im); math.Abs(n2-want) > 1e-13*float64(m) {
			t.Errorf("d=%d m=%d: ‖A‖² = %v, want %v", d, m, n2, want)
		}
		const h = 1e-5
		fd := make([]float64, d)
		for k := range d {
			s := append([]float64(nil), s2...)
			s[k] += h
			p, _ := GaussianSqNorm(f, s, nil)
			s[k] -= 2 * h
			q, _ := GaussianSqNorm(f, s, nil)
			fd[k] = (p - q) / (2 * h)
		}
		if e := atomRelErr(g, fd); !(e < 1e-6) {
			t.Errorf("d=%d m=%d: ‖A‖² gradient vs finite differences: relative error %.3g", d, m, e)
		}
	}
}

// atomWithProcs runs fn with GOMAXPROCS = n.
func atomWithProcs(n int, fn func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	fn()
}

// atomBatchOutputs is everything the batched functions return for one batch.
type atomBatchOutputs struct {
	dRe, dIm, gRe, gIm, mixDRe, mixDIm, mixGRe, mixGIm []float64
	dVal, dGrad, gVal, gMu, gVar                       []float64
	sdVal, sdGrad, sgVal, sgMu, sgVar                  []float64
}

func atomRunBatch(t *testing.T, f *Frequencies, K int, alpha, cs, s2, vRe, vIm []float64) *atomBatchOutputs {
	t.Helper()
	d, m := f.D(), f.M()
	o := &atomBatchOutputs{}
	mk := func(n int) []float64 { return make([]float64, n) }
	o.dRe, o.dIm, o.gRe, o.gIm = mk(K*m), mk(K*m), mk(K*m), mk(K*m)
	o.mixDRe, o.mixDIm, o.mixGRe, o.mixGIm = mk(m), mk(m), mk(m), mk(m)
	o.dVal, o.dGrad, o.gVal, o.gMu, o.gVar = mk(K), mk(K*d), mk(K), mk(K*d), mk(K*d)
	o.sdVal, o.sdGrad, o.sgVal, o.sgMu, o.sgVar = mk(K), mk(K*d), mk(K), mk(K*d), mk(K*d)
	for _, err := range []error{
		DiracSketches(f, cs, o.dRe, o.dIm),
		GaussianSketches(f, cs, s2, o.gRe, o.gIm),
		DiracMixture(f, alpha, cs, o.mixDRe, o.mixDIm),
		GaussianMixture(f, alpha, cs, s2, o.mixGRe, o.mixGIm),
		DiracVJPs(f, cs, vRe, vIm, o.dVal, o.dGrad),
		GaussianVJPs(f, cs, s2, vRe, vIm, o.gVal, o.gMu, o.gVar),
		DiracVJPsFromSketches(f, o.dRe, o.dIm, vRe, vIm, o.sdVal, o.sdGrad),
		GaussianVJPsFromSketches(f, o.gRe, o.gIm, vRe, vIm, o.sgVal, o.sgMu, o.sgVar),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func TestAtomBatchesMatchSingles(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	sizes := append([]struct{ d, m int }{{30, 1000}}, atomSizes...) // the first is split across goroutines
	for _, sz := range sizes {
		d, m := sz.d, sz.m
		K := 5
		if m == 1000 {
			K = 40
		}
		f := atomFreqs(t, d, m)
		alpha, cs, s2 := atomRandVec(r, K, 1), atomRandVec(r, K*d, 1.5), atomRandVariances(r, K*d)
		vRe, vIm := atomRandVec(r, m, 1), atomRandVec(r, m, 1)
		var o, o1 *atomBatchOutputs
		atomWithProcs(4, func() { o = atomRunBatch(t, f, K, alpha, cs, s2, vRe, vIm) })
		atomWithProcs(1, func() { o1 = atomRunBatch(t, f, K, alpha, cs, s2, vRe, vIm) })
		name := fmt.Sprintf("K=%d d=%d m=%d", K, d, m)
		// Bit-identical whatever the number of goroutines.
		for i, pair := range [][2][]float64{
			{o.dRe, o1.dRe}, {o.gIm, o1.gIm}, {o.mixDRe, o1.mixDRe}, {o.mixGIm, o1.mixGIm},
			{o.dGrad, o1.dGrad}, {o.gVar, o1.gVar}, {o.sgMu, o1.sgMu},
		} {
			if e := atomMaxDiff(pair[0], pair[1]); e != 0 {
				t.Errorf("%s: output %d depends on GOMAXPROCS (diff %g)", name, i, e)
			}
		}

		mixDRe, mixDIm, mixGRe, mixGIm := make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)
		re, im := make([]float64, m), make([]float64, m)
		g, gm, gv := make([]float64, d), make([]float64, d), make([]float64, d)
		for k := range K {
			c, v := cs[k*d:(k+1)*d], s2[k*d:(k+1)*d]
			// Sketches and VJPs: exactly the single-atom results.
			if err := DiracSketch(f, c, re, im); err != nil {
				t.Fatal(err)
			}
			for j := range m {
				if re[j] != o.dRe[k*m+j] || im[j] != o.dIm[k*m+j] {
					t.Fatalf("%s: DiracSketches atom %d differs", name, k)
				}
				mixDRe[j] += alpha[k] * re[j]
				mixDIm[j] += alpha[k] * im[j]
			}
			if err := GaussianSketch(f, c, v, re, im); err != nil {
				t.Fatal(err)
			}
			for j := range m {
				if re[j] != o.gRe[k*m+j] || im[j] != o.gIm[k*m+j] {
					t.Fatalf("%s: GaussianSketches atom %d differs", name, k)
				}
				mixGRe[j] += alpha[k] * re[j]
				mixGIm[j] += alpha[k] * im[j]
			}
			val, _ := DiracVJP(f, c, vRe, vIm, g)
			if val != o.dVal[k] || atomMaxDiff(g, o.dGrad[k*d:(k+1)*d]) != 0 {
				t.Errorf("%s: DiracVJPs atom %d differs", name, k)
			}
			val, _ = GaussianVJP(f, c, v, vRe, vIm, gm, gv)
			if val != o.gVal[k] || atomMaxDiff(gm, o.gMu[k*d:(k+1)*d]) != 0 || atomMaxDiff(gv, o.gVar[k*d:(k+1)*d]) != 0 {
				t.Errorf("%s: GaussianVJPs atom %d differs", name, k)
			}
		}
		tol := 1e-13 * float64(K)
		atomCheckClose(t, name+" DiracMixture re", o.mixDRe, mixDRe, tol)
		atomCheckClose(t, name+" DiracMixture im", o.mixDIm, mixDIm, tol)
		atomCheckClose(t, name+" GaussianMixture re", o.mixGRe, mixGRe, tol)
		atomCheckClose(t, name+" GaussianMixture im", o.mixGIm, mixGIm, tol)

		// From sketches: the same up to rounding.
		tol = 1e-13 * float64(m) * (1 + atomMaxAbs(f.OmegaMatrix()))
		atomCheckClose(t, name+" DiracVJPsFromSketches values", o.sdVal, o.dVal, tol)
		atomCheckClose(t, name+" DiracVJPsFromSketches grads", o.sdGrad, o.dGrad, tol)
		atomCheckClose(t, name+" GaussianVJPsFromSketches values", o.sgVal, o.gVal, tol)
		atomCheckClose(t, name+" GaussianVJPsFromSketches gradMus", o.sgMu, o.gMu, tol)
		atomCheckClose(t, name+" GaussianVJPsFromSketches gradVars", o.sgVar, o.gVar, tol)
	}
}

func TestAtomEmptyBatch(t *testing.T) {
	f := atomFreqs(t, 3, 20)
	re, im := atomRandVec(rand.New(rand.NewPCG(1, 1)), 20, 1), make([]float64, 20)
	if err := DiracSketches(f, nil, nil, nil); err != nil {
		t.Error(err)
	}
	if err := DiracMixture(f, nil, nil, re, im); err != nil {
		t.Error(err)
	}
	if atomMaxAbs(re) != 0 || atomMaxAbs(im) != 0 {
		t.Error("empty mixture is not zero")
	}
	if err := GaussianVJPs(f, nil, nil, re, im, nil, nil, nil); err != nil {
		t.Error(err)
	}
}

// Every function rejects wrong lengths, bad variances and a nil
// *Frequencies with an error, and writes nothing then.
func TestAtomBadArguments(t *testing.T) {
	const d, m, K = 3, 20, 2
	f := atomFreqs(t, d, m)
	good := func(n int) []float64 { return make([]float64, n) }
	D, M, KD, KM, MD, K1 := good(d), good(m), good(K*d), good(K*m), good(m*d), good(K)
	neg := []float64{1, -1, 1}
	nan := []float64{1, math.NaN(), 1}
	inf := []float64{1, math.Inf(1), 1}
	cases := []struct {
		name string
		call func(f *Frequencies) error
	}{
		{"DiracSketch c", func(f *Frequencies) error { return DiracSketch(f, good(d+1), M, M) }},
		{"DiracSketch re", func(f *Frequencies) error { return DiracSketch(f, D, good(m-1), M) }},
		{"DiracSketch im", func(f *Frequencies) error { return DiracSketch(f, D, M, good(m+16)) }},
		{"GaussianSketch mu", func(f *Frequencies) error { return GaussianSketch(f, good(d-1), D, M, M) }},
		{"GaussianSketch var", func(f *Frequencies) error { return GaussianSketch(f, D, good(d+1), M, M) }},
		{"GaussianSketch neg", func(f *Frequencies) error { return GaussianSketch(f, D, neg, M, M) }},
		{"GaussianSketch nan", func(f *Frequencies) error { return GaussianSketch(f, D, nan, M, M) }},
		{"GaussianSketch inf", func(f *Frequencies) error { return GaussianSketch(f, D, inf, M, M) }},
		{"GaussianSketch im", func(f *Frequencies) error { return GaussianSketch(f, D, D, M, nil) }},
		{"DiracVJP grad", func(f *Frequencies) error { _, err := DiracVJP(f, D, M, M, good(d+1)); return err }},
		{"DiracVJP v", func(f *Frequencies) error { _, err := DiracVJP(f, D, good(m-1), M, D); return err }},
		{"GaussianVJP gradVar", func(f *Frequencies) error { _, err := GaussianVJP(f, D, D, M, M, D, good(1)); return err }},
		{"GaussianVJP vIm", func(f *Frequencies) error { _, err := GaussianVJP(f, D, D, M, good(0), D, D); return err }},
		{"GaussianVJP neg", func(f *Frequencies) error { _, err := GaussianVJP(f, D, neg, M, M, D, D); return err }},
		{"GaussianSqNorm var", func(f *Frequencies) error { _, err := GaussianSqNorm(f, good(d+1), nil); return err }},
		{"GaussianSqNorm grad", func(f *Frequencies) error { _, err := GaussianSqNorm(f, D, good(1)); return err }},
		{"GaussianSqNorm nan", func(f *Frequencies) error { _, err := GaussianSqNorm(f, nan, D); return err }},
		{"DiracJacobian", func(f *Frequencies) error { return DiracJacobian(f, D, good(m*d-1), MD) }},
		{"GaussianJacobian", func(f *Frequencies) error { return GaussianJacobian(f, D, D, MD, MD) }},
		{"GaussianJacobian neg", func(f *Frequencies) error { return GaussianJacobian(f, D, neg, good(2*m*d), good(2*m*d)) }},
		{"DiracSketches centers", func(f *Frequencies) error { return DiracSketches(f, good(K*d+1), KM, KM) }},
		{"DiracSketches re", func(f *Frequencies) error { return DiracSketches(f, KD, M, KM) }},
		{"GaussianSketches var", func(f *Frequencies) error { return GaussianSketches(f, KD, D, KM, KM) }},
		{"GaussianSketches neg", func(f *Frequencies) error {
			return GaussianSketches(f, KD, append([]float64{0, 0, 0}, neg...), KM, KM)
		}},
		{"DiracMixture alpha", func(f *Frequencies) error { return DiracMixture(f, good(K+1), KD, M, M) }},
		{"DiracMixture re", func(f *Frequencies) error { return DiracMixture(f, K1, KD, KM, M) }},
		{"GaussianMixture var", func(f *Frequencies) error { return GaussianMixture(f, K1, KD, good(K*d-1), M, M) }},
		{"DiracVJPs values", func(f *Frequencies) error { return DiracVJPs(f, KD, M, M, good(K+1), KD) }},
		{"DiracVJPs grads", func(f *Frequencies) error { return DiracVJPs(f, KD, M, M, K1, D) }},
		{"GaussianVJPs gradVars", func(f *Frequencies) error { return GaussianVJPs(f, KD, KD, M, M, K1, KD, D) }},
		{"GaussianVJPs v", func(f *Frequencies) error { return GaussianVJPs(f, KD, KD, KM, M, K1, KD, KD) }},
		{"DiracVJPsFromSketches re", func(f *Frequencies) error { return DiracVJPsFromSketches(f, good(K*m+1), KM, M, M, K1, KD) }},
		{"DiracVJPsFromSketches im", func(f *Frequencies) error { return DiracVJPsFromSketches(f, KM, M, M, M, K1, KD) }},
		{"GaussianVJPsFromSketches grads", func(f *Frequencies) error {
			return GaussianVJPsFromSketches(f, KM, KM, M, M, K1, KD, good(d))
		}},
	}
	for _, c := range cases {
		if err := c.call(f); err == nil {
			t.Errorf("%s: accepted bad arguments", c.name)
		} else if testing.Verbose() {
			t.Logf("%s: %v", c.name, err)
		}
	}
	for _, buf := range [][]float64{D, M, KD, KM, MD, K1} {
		if atomMaxAbs(buf) != 0 {
			t.Errorf("an output was written despite an error")
		}
	}
	// The same calls with nil frequencies must fail too, not panic.
	for _, c := range cases {
		if err := c.call(nil); err == nil {
			t.Errorf("%s: accepted nil *Frequencies", c.name)
		}
	}
}

func TestAtomNoAllocations(t *testing.T) {
	const d, m, K = 10, 1000, 10
	f := atomFreqs(t, d, m)
	r := rand.New(rand.NewPCG(17, 18))
	cs, s2, alpha := atomRandVec(r, K*d, 1), atomRandVariances(r, K*d), atomRandVec(r, K, 1)
	vRe, vIm := atomRandVec(r, m, 1), atomRandVec(r, m, 1)
	re, im, val := make([]float64, K*m), make([]float64, K*m), make([]float64, K)
	g1, g2 := make([]float64, K*d), make([]float64, K*d)
	calls := map[string]func(){
		"DiracSketch":      func() { _ = DiracSketch(f, cs[:d], re[:m], im[:m]) },
		"GaussianVJP":      func() { _, _ = GaussianVJP(f, cs[:d], s2[:d], vRe, vIm, g1[:d], g2[:d]) },
		"DiracVJP":         func() { _, _ = DiracVJP(f, cs[:d], vRe, vIm, g1[:d]) },
		"GaussianSketches": func() { _ = GaussianSketches(f, cs, s2, re, im) },
		"GaussianMixture":  func() { _ = GaussianMixture(f, alpha, cs, s2, re[:m], im[:m]) },
		"DiracVJPs":        func() { _ = DiracVJPs(f, cs, vRe, vIm, val, g1) },
		"GaussianVJPsFromSketches": func() {
			_ = GaussianVJPsFromSketches(f, re, im, vRe, vIm, val, g1, g2)
		},
	}
	for name, call := range calls {
		if a := testing.AllocsPerRun(10, call); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
}

// The gradient of the refinement objective ‖z − Σ_k α_k A(θ_k)‖² assembled
// from the VJPs as the package documentation says matches finite
// differences of the objective, for Diracs and Gaussians.
func TestAtomObjectiveGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	const d, m, K = 3, 100, 3
	f := atomFreqs(t, d, m)
	zRe, zIm := atomRandVec(r, m, 0.3), atomRandVec(r, m, 0.3)
	alpha := []float64{0.2, 0.5, 0.3}
	for _, gauss := range []bool{false, true} {
		// θ = [c (K×d); s² (K×d) if gauss].
		theta := atomRandVec(r, K*d, 1)
		if gauss {
			theta = append(theta, atomRandVariances(r, K*d)...)
		}
		sketch := func(th, re, im []float64) {
			var err error
			if gauss {
				err = GaussianSketches(f, th[:K*d], th[K*d:], re, im)
			} else {
				err = DiracSketches(f, th, re, im)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		re, im := make([]float64, K*m), make([]float64, K*m)
		resid := func(th []float64) (rRe, rIm []float64, obj float64) {
			sketch(th, re, im)
			rRe, rIm = append([]float64(nil), zRe...), append([]float64(nil), zIm...)
			for k := range K {
				for j := range m {
					rRe[j] -= alpha[k] * re[k*m+j]
					rIm[j] -= alpha[k] * im[k*m+j]
				}
			}
			return rRe, rIm, atomDot(rRe, rIm, rRe, rIm)
		}
		rRe, rIm, _ := resid(theta)
		values, grad := make([]float64, K), make([]float64, len(theta))
		var err error
		if gauss {
			err = GaussianVJPsFromSketches(f, re, im, rRe, rIm, values, grad[:K*d], grad[K*d:])
		} else {
			err = DiracVJPsFromSketches(f, re, im, rRe, rIm, values, grad)
		}
		if err != nil {
			t.Fatal(err)
		}
		for p := range grad {
			grad[p] *= -2 * alpha[(p%(K*d))/d]
		}
		const h = 1e-6
		fd := make([]float64, len(theta))
		for p := range theta {
			th := append([]float64(nil), theta...)
			th[p] += h
			_, _, op := resid(th)
			th[p] -= 2 * h
			_, _, om := resid(th)
			fd[p] = (op - om) / (2 * h)
		}
		if e := atomRelErr(grad, fd); !(e < 1e-6) {
			t.Errorf("gauss=%v: objective gradient vs finite differences: relative error %.3g", gauss, e)
		}
	}
}

// One evaluation of CL-OMPR's global refinement objective
// ‖z − Σ_k α_k A(δ_{c_k})‖² and of its gradient, with one sincos per
// atom·frequency: the atoms' sketches give the residual r, then
// DiracVJPsFromSketches gives Re⟨A_k, r⟩ and its gradients.
func ExampleDiracVJPsFromSketches() {
	const d, m, K = 2, 64, 2
	f, err := NewFrequencies(Params{Law: AdaptedRadius, D: d, M: m, Sigma: []float64{1}, Seed: 1})
	if err != nil {
		panic(err)
	}
	// The "data" sketch z: two equally weighted points.
	alpha := []float64{0.5, 0.5}
	centers := []float64{-1, 0, 1, 0.5}
	zRe, zIm := make([]float64, m), make([]float64, m)
	if err := DiracMixture(f, alpha, centers, zRe, zIm); err != nil {
		panic(err)
	}

	// Evaluate at shifted centres.
	theta := []float64{-0.9, 0, 1, 0.4}
	re, im := make([]float64, K*m), make([]float64, K*m)
	if err := DiracSketches(f, theta, re, im); err != nil {
		panic(err)
	}
	rRe, rIm := append([]float64(nil), zRe...), append([]float64(nil), zIm...)
	for k := range K {
		for j := range m {
			rRe[j] -= alpha[k] * re[k*m+j]
			rIm[j] -= alpha[k] * im[k*m+j]
		}
	}
	var obj float64
	for j := range m {
		obj += rRe[j]*rRe[j] + rIm[j]*rIm[j]
	}
	values, grads := make([]float64, K), make([]float64, K*d)
	if err := DiracVJPsFromSketches(f, re, im, rRe, rIm, values, grads); err != nil {
		panic(err)
	}
	// ∂obj/∂c_k = −2α_k·∇Re⟨A_k, r⟩ and ∂obj/∂α_k = −2·Re⟨A_k, r⟩.
	for k := range K {
		fmt.Printf("atom %d: d/dα = %+.3f, d/dc = (%+.3f, %+.3f)\n", k,
			-2*values[k], -2*alpha[k]*grads[k*d], -2*alpha[k]*grads[k*d+1])
	}
	fmt.Printf("objective %.4f\n", obj)
	// Output:
	// atom 0: d/dα = +0.613, d/dc = (+4.241, -0.106)
	// atom 1: d/dα = +1.851, d/dc = (-0.797, -3.431)
	// objective 0.3864
}
