package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/clkit/clkit/internal/dispatch/dispatchtest"
	"github.com/clkit/clkit/internal/fpmath"
)

func TestRequiredKernels(t *testing.T) { dispatchtest.Required(t, Kernels()) }

func TestKernelsList(t *testing.T) {
	ks := Kernels()
	if ks[len(ks)-1] != "go" {
		t.Errorf("pure-Go kernel must always be usable: %v", ks)
	}
	if os.Getenv("CLKIT_NOASM") == "1" && len(ks) != 1 {
		t.Errorf("CLKIT_NOASM=1 leaves %v", ks)
	}
	for _, k := range sgemmKernels {
		if k.mr%2 != 0 || k.nr%4 != 0 || k.mr < 2 || k.narrow%4 != 0 || k.narrow >= k.nr {
			t.Errorf("%s: tile %d×%d (narrow %d), the twin needs MR even and NR a multiple of 4", k.name, k.mr, k.nr, k.narrow)
		}
	}
}

// microFMA is the contract exactly as the assembly kernels evaluate it:
// fused steps in order from +0, one rounding for alpha, one FMA for beta.
func microFMA(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc, m, n int, alpha, beta float32) {
	for i := range m {
		for j := range n {
			var acc float32
			for p := range k {
				acc = fpmath.FMA32(a[p*lda+i], b[p*ldb+j], acc)
			}
			t := float32(alpha * acc)
			if beta != 0 {
				t = fpmath.FMA32(beta, c[i*ldc+j], t)
			}
			c[i*ldc+j] = t
		}
	}
}

func randF32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(2*r.Float64() - 1)
	}
	return s
}

const guard = float32(-12345.5) // in every element a product must not write

// TestMicroKernels runs every usable kernel on every tile corner m×n of
// its MR×NR, against the twin (to rounding) and, for the assembly, against
// the FMA evaluation bit for bit; nothing outside the corner may change.
func TestMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, kern := range sgemmKernels {
		MR, NR := kern.mr, kern.nr
		exact := kern.name != "go"
		for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 256} {
			for m := 1; m <= MR; m++ {
				for n := 1; n <= NR; n++ {
					alpha := []float32{1, -0.5, 3}[(m+n)%3]
					beta := []float32{0, 1, 2, -0.25}[(m*NR+n+k)%4]
					ldc := n + (m+k)%3
					lda, ldb := MR+(n%2)*(m%3), NR+(m%2)*(n%5) // packed, or strided
					if n <= kern.narrow && k%2 == 1 {
						ldb = kern.narrow // a narrow panel: the kernel reads no further
					}
					a, b := randF32(r, (k-1)*lda+MR), randF32(r, (k-1)*ldb+min(ldb, NR))
					c := make([]float32, MR*ldc+5)
					for i := range c {
						c[i] = guard
					}
					for i := range m {
						copy(c[i*ldc:i*ldc+n], randF32(r, n))
					}
					if beta == 0 {
						for i := range m {
							for j := range n {
								c[i*ldc+j] = float32(math.NaN()) // beta = 0 must not read C
							}
						}
					}
					got, twin, fma := slices.Clone(c), slices.Clone(c), slices.Clone(c)
					kern.run(k, a, lda, b, ldb, got, ldc, m, n, alpha, beta)
					sgemmMicroGo(MR, NR, k, a, lda, b, ldb, twin, ldc, m, n, alpha, beta)
					microFMA(k, a, lda, b, ldb, fma, ldc, m, n, alpha, beta)
					where := fmt.Sprintf("%s k=%d m=%d n=%d lda=%d ldb=%d alpha=%g beta=%g", kern.name, k, m, n, lda, ldb, alpha, beta)
					for idx := range c {
						i, j := idx/ldc, idx%ldc
						if i >= m || j >= n {
							if math.Float32bits(got[idx]) != math.Float32bits(c[idx]) {
								t.Fatalf("%s: wrote %g at row %d column %d, outside the corner", where, got[idx], i, j)
							}
							continue
						}
						var s float64 // bound on the rounding errors
						for p := range k {
							s += math.Abs(float64(a[p*lda+i]) * float64(b[p*ldb+j]))
						}
						s *= math.Abs(float64(alpha))
						if beta != 0 {
							s += math.Abs(float64(beta) * float64(c[idx]))
						}
						if d := math.Abs(float64(got[idx] - twin[idx])); !(d <= 4*float64(k+2)*0x1p-24*s) {
							t.Fatalf("%s: [%d][%d] = %g, twin %g", where, i, j, got[idx], twin[idx])
						}
						if exact && math.Float32bits(got[idx]) != math.Float32bits(fma[idx]) {
							t.Fatalf("%s: [%d][%d] = %g, fused evaluation %g", where, i, j, got[idx], fma[idx])
						}
					}
				}
			}
		}
	}
}

// TestMicroKernelsPack runs the packing form of every kernel that has
// one: the panel it writes must be packStrided's, bit for bit, and C as
// the kernel computes it from that panel.
func TestMicroKernelsPack(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, kern := range sgemmKernels {
		if kern.pack == nil {
			continue
		}
		MR, NR := kern.mr, kern.nr
		for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 256} {
			for n := 1; n <= NR; n++ {
				alpha, beta := []float32{1, -0.5}[n%2], []float32{0, 1, 2}[(n+k)%3]
				lda, ldb := k+n%3, NR+k%3
				a := randF32(r, (MR-1)*lda+k)
				b := randF32(r, (k-1)*ldb+NR)
				ldc := n + k%2
				c := make([]float32, MR*ldc+3)
				for i := range c {
					c[i] = guard
				}
				for i := range MR {
					copy(c[i*ldc:i*ldc+n], randF32(r, n))
				}
				pk := make([]float32, k*MR+4)
				for i := range pk {
					pk[i] = guard
				}
				want := slices.Clone(pk)
				packStrided(want, a, lda, MR, k, MR)
				gotC, wantC := slices.Clone(c), slices.Clone(c)
				kern.pack(k, a, lda, pk, b, ldb, gotC, ldc, n, alpha, beta)
				microFMA(k, want, MR, b, ldb, wantC, ldc, MR, n, alpha, beta)
				where := fmt.Sprintf("%s pack k=%d n=%d lda=%d ldb=%d", kern.name, k, n, lda, ldb)
				for i := range pk {
					if math.Float32bits(pk[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s: packed[%d] = %g, want %g", where, i, pk[i], want[i])
					}
				}
				for i := range c {
					if math.Float32bits(gotC[i]) != math.Float32bits(wantC[i]) {
						t.Fatalf("%s: C[%d] = %g, want %g", where, i, gotC[i], wantC[i])
					}
				}
			}
		}
	}
}

// TestPackChunks: every kernel's assembly chunk packer against the Go
// one, for every n ≤ w ≤ max(MR, NR); nothing past kc·w may change.
func TestPackChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, kern := range sgemmKernels {
		if kern.chunks == nil {
			continue
		}
		for w := 1; w <= max(kern.mr, kern.nr); w++ {
			for n := 1; n <= w; n++ {
				for _, kc := range []int{1, 2, 5, 17} {
					ld := n + (w+kc)%4
					src := randF32(r, (kc-1)*ld+n)
					got := make([]float32, kc*w+8)
					for i := range got {
						got[i] = guard
					}
					want := slices.Clone(got)
					kern.chunks(got[:kc*w], src, ld, n, kc, w)
					packChunks(want, src, ld, n, kc, w)
					if !slices.Equal(got, want) {
						t.Fatalf("%s: n=%d w=%d kc=%d ld=%d: packed %v, want %v", kern.name, n, w, kc, ld, got, want)
					}
				}
			}
		}
	}
}

// gemmCase is one product with strides larger than needed, minimal
// slices for A and B and a guarded C.
type gemmCase struct {
	tA, tB        bool
	m, n, k       int
	alpha, beta   float32
	lda, ldb, ldc int
	a, b, c       []float32
}

func newGemmCase(r *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32, pad int) *gemmCase {
	g := &gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	mat := func(rows, cols int) ([]float32, int) {
		ld := max(1, cols+r.IntN(pad+1))
		if rows == 0 || cols == 0 {
			return nil, ld
		}
		return randF32(r, (rows-1)*ld+cols), ld
	}
	if tA {
		g.a, g.lda = mat(k, m)
	} else {
		g.a, g.lda = mat(m, k)
	}
	if tB {
		g.b, g.ldb = mat(n, k)
	} else {
		g.b, g.ldb = mat(k, n)
	}
	g.ldc = max(1, n+r.IntN(pad+1))
	g.c = make([]float32, max(0, m*g.ldc)+7)
	for i := range g.c {
		g.c[i] = guard
	}
	for i := range m {
		copy(g.c[i*g.ldc:i*g.ldc+n], randF32(r, n))
	}
	return g
}

func (g *gemmCase) opA(i, p int) float32 {
	if g.tA {
		return g.a[p*g.lda+i]
	}
	return g.a[i*g.lda+p]
}

func (g *gemmCase) opB(p, j int) float32 {
	if g.tB {
		return g.b[j*g.ldb+p]
	}
	return g.b[p*g.ldb+j]
}

// check runs the product with kern and compares it with the naive triple
// loop in float64, element by element within a bound on float32 rounding;
// every element of C's buffer outside the m×n matrix must be untouched.
func (g *gemmCase) check(t testing.TB, kern *sgemmKernel) {
	t.Helper()
	got := slices.Clone(g.c)
	sgemm(kern, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got[:max(0, (g.m-1)*g.ldc+g.n)], g.ldc)
	for idx := range got {
		i, j := idx/g.ldc, idx%g.ldc
		if i >= g.m || j >= g.n {
			if math.Float32bits(got[idx]) != math.Float32bits(g.c[idx]) {
				t.Fatalf("%s %s: wrote %g at %d (row %d column %d), outside C", kern.name, g, got[idx], idx, i, j)
			}
			continue
		}
		var want, s float64
		if g.alpha != 0 {
			for p := range g.k {
				x := float64(g.opA(i, p)) * float64(g.opB(p, j))
				want += x
				s += math.Abs(x)
			}
			want *= float64(g.alpha)
			s *= math.Abs(float64(g.alpha))
		}
		if g.beta != 0 {
			want += float64(g.beta) * float64(g.c[idx])
			s += math.Abs(float64(g.beta) * float64(g.c[idx]))
		}
		if math.IsNaN(want) || math.IsInf(want, 0) {
			if v := float64(got[idx]); !(math.IsNaN(want) && math.IsNaN(v) || want == v) {
				t.Fatalf("%s %s: [%d][%d] = %g, want %g", kern.name, g, i, j, got[idx], want)
			}
			continue
		}
		if d := math.Abs(float64(got[idx]) - want); !(d <= 2*float64(g.k+4)*0x1p-24*s) {
			t.Fatalf("%s %s: [%d][%d] = %g, want %g (error %.3g, bound %.3g)", kern.name, g, i, j, got[idx], want, d, 2*float64(g.k+4)*0x1p-24*s)
		}
	}
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d",
		g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

var (
	testAlphas = []float32{0, 1, -0.5}
	testBetas  = []float32{0, 1, 2}
)

// TestSgemmSmall: every m, n in 0…40 (k cycling through a set), every k in
// 0…80 (m, n cycling), each in the four transpose forms, every kernel.
func TestSgemmSmall(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ks := []int{0, 1, 2, 3, 5, 8, 13, 17, 31, 40}
	sizes := []int{1, 2, 5, 6, 11, 12, 13, 17, 31, 32, 33, 40}
	for ki := range sgemmKernels {
		kern := &sgemmKernels[ki]
		for form := range 4 {
			tA, tB := form&1 != 0, form&2 != 0
			for m := 0; m <= 40; m++ {
				for n := 0; n <= 40; n++ {
					c := m*41 + n
					if testing.Short() && c%3 != form%3 {
						continue
					}
					k := ks[c%len(ks)]
					alpha, beta := testAlphas[c%3], testBetas[c/3%3]
					newGemmCase(r, tA, tB, m, n, k, alpha, beta, 3).check(t, kern)
				}
			}
			for k := 0; k <= 80; k++ {
				m, n := sizes[k%len(sizes)], sizes[(k*7+form)%len(sizes)]
				alpha, beta := testAlphas[k%3], testBetas[k/3%3]
				newGemmCase(r, tA, tB, m, n, k, alpha, beta, 3).check(t, kern)
			}
		}
	}
}

// TestSgemmLarge crosses the cache blocks (k > kcMax, n > ncMax) with
// random shapes, and runs every alpha, beta pair.
func TestSgemmLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := [][3]int{{1, 1, 700}, {3, 1030, 7}, {130, 520, 300}, {25, 513, 513}, {64, 256, 1024}, {100, 10, 10}}
	for range 6 {
		shapes = append(shapes, [3]int{1 + r.IntN(150), 1 + r.IntN(700), 1 + r.IntN(700)})
	}
	for ki := range sgemmKernels {
		kern := &sgemmKernels[ki]
		for si, s := range shapes {
			if testing.Short() && si%2 == 1 {
				continue
			}
			form := si % 4
			newGemmCase(r, form&1 != 0, form&2 != 0, s[0], s[1], s[2], testAlphas[si%3], testBetas[(si+1)%3], 5).check(t, kern)
		}
		for i, alpha := range testAlphas {
			for j, beta := range testBetas {
				form := (i + j) % 4
				newGemmCase(r, form&1 != 0, form&2 != 0, 29, 70, 300, alpha, beta, 2).check(t, kern)
			}
		}
	}
}

// NaN in C with beta = 0 is ignored; NaN or Inf in A reaches its row of C
// and no other.
func TestSgemmNaN(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for ki := range sgemmKernels {
		kern := &sgemmKernels[ki]
		for form := range 4 {
			tA, tB := form&1 != 0, form&2 != 0
			for _, s := range [][3]int{{13, 37, 9}, {40, 70, 300}, {1, 5, 1}} {
				m, n, k := s[0], s[1], s[2]
				g := newGemmCase(r, tA, tB, m, n, k, 1, 0, 2)
				for i := range m {
					for j := range n {
						g.c[i*g.ldc+j] = float32(math.NaN())
					}
				}
				g.check(t, kern) // every element finite, as the reference

				g = newGemmCase(r, tA, tB, m, n, k, -0.5, 1, 2)
				row, p := m/2, k-1
				bad := float32(math.NaN())
				if form == 1 {
					bad = float32(math.Inf(1)) // Inf·0 in the padding must not leak either
				}
				if tA {
					g.a[p*g.lda+row] = bad
				} else {
					g.a[row*g.lda+p] = bad
				}
				got := slices.Clone(g.c)
				sgemm(kern, tA, tB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc)
				for i := range m {
					for j := range n {
						v := float64(got[i*g.ldc+j])
						isBad := math.IsNaN(v) || math.IsInf(v, 0)
						if (i == row) != isBad {
							t.Fatalf("%s %s: bad value in A at row %d gives C[%d][%d] = %g", kern.name, g, row, i, j, v)
						}
					}
				}
				g.check(t, kern) // the reference agrees, NaN for NaN
			}
		}
	}
}

func TestSgemmBadArguments(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 12)
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"negative", func() { sgemm(&sgemmKernels[0], false, false, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2) }, "negative"},
		{"lda", func() { sgemm(&sgemmKernels[0], false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) }, "leading dimension of A"},
		{"short B", func() { sgemm(&sgemmKernels[0], false, true, 2, 5, 3, 1, a, 3, b, 3, 0, c, 5) }, "B too short"},
		{"short C", func() { sgemm(&sgemmKernels[0], true, false, 3, 4, 2, 1, a, 3, b, 4, 0, c, 5) }, "C too short"},
	} {
		func() {
			defer func() {
				if e := recover(); e == nil || !strings.Contains(fmt.Sprint(e), tc.want) {
					t.Errorf("%s: panic %v, want one containing %q", tc.name, e, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

// gemm with float32 goes to the packed SGEMM, float64 to gonum; both agree
// with the reference, through the exported Gemm too.
func TestGemmBothTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	g := newGemmCase(r, true, false, 33, 45, 70, -0.5, 2, 3)
	c64 := make([]float64, len(g.c))
	a64, b64 := make([]float64, len(g.a)), make([]float64, len(g.b))
	for i, v := range g.a {
		a64[i] = float64(v)
	}
	for i, v := range g.b {
		b64[i] = float64(v)
	}
	for i, v := range g.c {
		c64[i] = float64(v)
	}
	c32 := slices.Clone(g.c)
	Gemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c32, g.ldc)
	Gemm(g.tA, g.tB, g.m, g.n, g.k, float64(g.alpha), a64, g.lda, b64, g.ldb, float64(g.beta), c64, g.ldc)
	for i, v := range c32 {
		if d := math.Abs(float64(v) - c64[i]); d > 1e-5*(1+math.Abs(c64[i])) {
			t.Fatalf("element %d: float32 %g, float64 %g", i, v, c64[i])
		}
	}
}

// A float32 net gives the float64 net's outputs and gradients to float32
// rounding on layers wide enough for the kernels' full tiles and edges:
// the three products of Dense (forward x·Wᵀ, dW += dOutᵀ·x, dIn = dOut·W).
func TestDenseFloat32MatchesFloat64(t *testing.T) {
	n64, err := MLP[float64](37, []int{70, 33}, 5, Tanh, Identity)
	if err != nil {
		t.Fatal(err)
	}
	n64.Init(4)
	n32, _ := MLP[float32](37, []int{70, 33}, 5, Tanh, Identity)
	n32.Init(4)
	for i, v := range n32.Params() {
		n64.Params()[i] = float64(v) // the same weights exactly
	}
	const batch = 301
	r := rand.New(rand.NewPCG(11, 12))
	x32 := randF32(r, batch*37)
	dy32 := randF32(r, batch*5)
	x64, dy64 := make([]float64, len(x32)), make([]float64, len(dy32))
	for i, v := range x32 {
		x64[i] = float64(v)
	}
	for i, v := range dy32 {
		dy64[i] = float64(v)
	}
	ws32, ws64 := new(Workspace[float32]), new(Workspace[float64])
	y32 := n32.Forward(ws32, x32, batch)
	y64 := n64.Forward(ws64, x64, batch)
	g32, g64 := make([]float32, n32.NumParams()), make([]float64, n64.NumParams())
	d32, d64 := make([]float32, len(x32)), make([]float64, len(x64))
	n32.Backward(ws32, dy32, g32, d32)
	n64.Backward(ws64, dy64, g64, d64)
	cmp := func(what string, a []float32, b []float64) {
		var scale float64
		for _, v := range b {
			scale = max(scale, math.Abs(v))
		}
		for i, v := range b {
			if d := math.Abs(float64(a[i]) - v); d > 2e-5*scale {
				t.Fatalf("%s %d: float32 %g, float64 %g (largest %g)", what, i, a[i], v, scale)
			}
		}
	}
	cmp("output", y32, y64)
	cmp("gradient", g32, g64)
	cmp("input gradient", d32, d64)
}

// FuzzGemm: any shape, form, strides and alpha/beta, every kernel against
// the naive loop.
func FuzzGemm(f *testing.F) {
	f.Add(uint8(0), uint8(13), uint8(33), uint8(5), uint8(3), uint8(4), uint64(1))
	f.Add(uint8(3), uint8(1), uint8(64), uint8(200), uint8(0), uint8(8), uint64(2))
	f.Add(uint8(1), uint8(40), uint8(7), uint8(0), uint8(2), uint8(1), uint64(3))
	f.Fuzz(func(t *testing.T, form, m, n, k, pad, ab uint8, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 1))
		alpha, beta := testAlphas[int(ab)%3], testBetas[int(ab)/3%3]
		for ki := range sgemmKernels {
			g := newGemmCase(r, form&1 != 0, form&2 != 0, int(m)%80, int(n)%100, int(k)%300, alpha, beta, int(pad)%8)
			g.check(t, &sgemmKernels[ki])
		}
	})
}
