package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clkit/clkit/internal/dispatch/dispatchtest"
	"github.com/clkit/clkit/internal/fpmath"
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
		{map[string]string{"NO_B": "1"}, []string{"a", "go"}},
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
	if DefaultKernel() != Kernels()[0] {
		t.Errorf("DefaultKernel %q, Kernels %v", DefaultKernel(), Kernels())
	}
	for _, name := range append(Kernels(), "", "auto") {
		if _, ok := lookupKernel(name); !ok {
			t.Errorf("lookupKernel(%q) failed", name)
		}
	}
	if _, ok := lookupKernel("nonesuch"); ok {
		t.Error("lookupKernel found an unknown kernel")
	}
}

// kernelCase is one kernel call's inputs, in the packed layout, in both
// precisions (drawn separately: the float64 values use all their bits).
type kernelCase struct {
	n, d, nb   int
	x32, om32  []float32
	xi32       []float32
	x64, om64  []float64
	xi64       []float64
	init       []uint32 // counters before the call (the kernels add)
	kind       dataKind
	seed       uint64
	fastLimits [2]float64 // |u| bound the case was built for (f32, f64)
}

// dataKind is how a case's values are drawn.
type dataKind int

const (
	// random: x ~ N(0,1), ω' ~ N(0, 9/d)/2π, ξ' ~ U[0,1): phases of a few
	// turns, the data of the benchmarks and the performance peers.
	kindRandom dataKind = iota
	// grid: small dyadic x, ω', ξ' (multiples of 1/4, 1/8, 1/8), so every
	// FMA is exact and u is a multiple of 1/32: u lands exactly on the
	// boundaries v = 0, ±1/4, ±1/2 (u an integer, a half-integer, k ± 1/4)
	// in about a quarter of the lanes.
	kindGrid
	// near: the grid with, in some lanes, a last term of 2^-e (e in
	// [8, 60]): u just off a boundary, where a doubly rounded FMA or a
	// sloppy comparison would flip a bit.
	kindNear
	// large: |u| up to just below the fast limit, half the lanes with u a
	// multiple of 1/4 (boundaries at magnitude), half arbitrary.
	kindLarge
	numKinds
)

func (k dataKind) String() string {
	return [...]string{"random", "grid", "near", "large"}[k]
}

// newKernelCase draws a case of n rows, d dimensions and nb blocks.
func newKernelCase(seed uint64, n, d, nb int, kind dataKind) *kernelCase {
	r := rand.New(rand.NewPCG(seed, uint64(n)<<32|uint64(d)<<8|uint64(nb)))
	kc := &kernelCase{n: n, d: d, nb: nb, kind: kind, seed: seed}
	mp := nb * blockFreqs
	kc.x32, kc.x64 = make([]float32, n*d), make([]float64, n*d)
	kc.om32, kc.om64 = make([]float32, mp*d), make([]float64, mp*d)
	kc.xi32, kc.xi64 = make([]float32, mp), make([]float64, mp)
	// grid values: i/den for i in [-lim, lim]
	grid := func(lim, den int) float64 { return float64(r.IntN(2*lim+1)-lim) / float64(den) }
	switch kind {
	case kindRandom:
		for i := range kc.x32 {
			kc.x32[i], kc.x64[i] = float32(r.NormFloat64()), r.NormFloat64()
		}
		sd := 3 / math.Sqrt(float64(d)) / (2 * math.Pi)
		for i := range kc.om32 {
			kc.om32[i], kc.om64[i] = float32(sd*r.NormFloat64()), sd*r.NormFloat64()
		}
		for i := range kc.xi32 {
			kc.xi32[i], kc.xi64[i] = float32(r.Float64()), r.Float64()
		}
	case kindGrid, kindNear:
		for i := range kc.x32 {
			v := grid(8, 4)
			kc.x32[i], kc.x64[i] = float32(v), v
		}
		for i := range kc.om32 {
			v := grid(8, 8)
			kc.om32[i], kc.om64[i] = float32(v), v
		}
		for i := range kc.xi32 {
			v := grid(16, 8)
			kc.xi32[i], kc.xi64[i] = float32(v), v
		}
		if kind == kindNear {
			// last dimension: x = ±1, ω' = ±2^-e in about half the lanes
			for i := 0; i < n; i++ {
				v := float64(1 - 2*r.IntN(2))
				kc.x32[i*d+d-1], kc.x64[i*d+d-1] = float32(v), v
			}
			for b := 0; b < nb; b++ {
				for l := 0; l < blockFreqs; l++ {
					if r.IntN(2) == 0 {
						continue
					}
					at := (b*d+d-1)*blockFreqs + l
					v := math.Ldexp(float64(1-2*r.IntN(2)), -8-r.IntN(53))
					kc.om32[at], kc.om64[at] = float32(v), v
				}
			}
		}
	case kindLarge:
		kc.fill(r, fastLimit32, true)
		kc.fill(r, fastLimit64, false)
	}
	kc.init = make([]uint32, 2*mp)
	for i := range kc.init {
		switch r.IntN(3) {
		case 0:
		case 1:
			kc.init[i] = r.Uint32()
		default:
			kc.init[i] = math.MaxUint32 - uint32(r.IntN(n+1)) // wraps
		}
	}
	return kc
}

// fill draws the large-phase data of one precision: row terms bounded so
// that |u| < 0.99·limit; lanes alternate between ω' a multiple of 1/4 with
// integer x (u on the quarter grid) and arbitrary values.
func (kc *kernelCase) fill(r *rand.Rand, limit float64, f32 bool) {
	d := kc.d
	xmax := math.Floor(0.99 * limit / float64(d+1)) // |x·ω'| ≤ xmax, |ξ'| ≤ xmax
	set := func(s32 []float32, s64 []float64, i int, v float64) {
		if f32 {
			s32[i] = float32(v)
		} else {
			s64[i] = v
		}
	}
	onGrid := func(l int) bool { return l%2 == 0 }
	for i := 0; i < kc.n*d; i++ {
		// integers: exact in either precision (xmax < 2^24 for float32)
		set(kc.x32, kc.x64, i, math.Floor(xmax*(2*r.Float64()-1)))
	}
	for b := 0; b < kc.nb; b++ {
		for l := 0; l < blockFreqs; l++ {
			for k := 0; k < d; k++ {
				at := (b*d+k)*blockFreqs + l
				if onGrid(l) {
					set(kc.om32, kc.om64, at, float64(r.IntN(9)-4)/4)
				} else {
					set(kc.om32, kc.om64, at, 2*r.Float64()-1)
				}
			}
			j := b*blockFreqs + l
			if onGrid(l) {
				set(kc.xi32, kc.xi64, j, float64(r.IntN(4*int(min(xmax, 1e6)))-2*int(min(xmax, 1e6)))/4)
			} else {
				set(kc.xi32, kc.xi64, j, xmax*(2*r.Float64()-1))
			}
		}
	}
}

// Sentinels around the output slices: must survive every kernel call.
const (
	sentinel32 = 0x5a5a5a5a
	sentinel64 = 0xa5a5a5a5a5a5a5a5
	garbage64  = 0x0123456789abcdef // initial code words: overwritten
	guardLen   = 8
)

// count runs k's count kernel on counters starting at kc.init, inside
// sentinel regions, and returns them; it fails t on a write outside.
func (kc *kernelCase) count(t testing.TB, k kernel, f64 bool) (cc, cs []uint32) {
	mp := kc.nb * blockFreqs
	buf := make([]uint32, 2*mp+3*guardLen)
	for i := range buf {
		buf[i] = sentinel32
	}
	cc = buf[guardLen : guardLen+mp : guardLen+mp]
	cs = buf[2*guardLen+mp : 2*guardLen+2*mp : 2*guardLen+2*mp]
	copy(cc, kc.init[:mp])
	copy(cs, kc.init[mp:])
	if f64 {
		k.count64(kc.x64, kc.n, kc.d, kc.om64, kc.xi64, cc, cs)
	} else {
		k.count32(kc.x32, kc.n, kc.d, kc.om32, kc.xi32, cc, cs)
	}
	for i, v := range buf {
		out := (i >= guardLen && i < guardLen+mp) || (i >= 2*guardLen+mp && i < 2*guardLen+2*mp)
		if !out && v != sentinel32 {
			t.Fatalf("%s count f64=%v n=%d d=%d nb=%d: wrote outside cc, cs at buffer index %d", k.name, f64, kc.n, kc.d, kc.nb, i)
		}
	}
	return cc, cs
}

// codes runs k's codes kernel on code words holding garbage, inside
// sentinel regions, and returns them; it fails t on a write outside.
func (kc *kernelCase) codes(t testing.TB, k kernel, f64 bool) []uint64 {
	nw := kc.n * codeWords(kc.nb)
	buf := make([]uint64, nw+2*guardLen)
	for i := range buf {
		buf[i] = sentinel64
	}
	code := buf[guardLen : guardLen+nw : guardLen+nw]
	for i := range code {
		code[i] = garbage64
	}
	if f64 {
		k.codes64(kc.x64, kc.n, kc.d, kc.om64, kc.xi64, code)
	} else {
		k.codes32(kc.x32, kc.n, kc.d, kc.om32, kc.xi32, code)
	}
	for i, v := range buf {
		if (i < guardLen || i >= guardLen+nw) && v != sentinel64 {
			t.Fatalf("%s codes f64=%v n=%d d=%d nb=%d: wrote outside code at buffer index %d", k.name, f64, kc.n, kc.d, kc.nb, i)
		}
	}
	return code
}

// phase is the twin's u for row i and frequency j, for error messages.
func (kc *kernelCase) phase(f64 bool, i, j int) float64 {
	b, l := j/blockFreqs, j%blockFreqs
	if f64 {
		return phase64(kc.x64[i*kc.d:(i+1)*kc.d], kc.om64[b*kc.d*blockFreqs:], kc.xi64[j], l)
	}
	return float64(phase32(kc.x32[i*kc.d:(i+1)*kc.d], kc.om32[b*kc.d*blockFreqs:], kc.xi32[j], l))
}

func (kc *kernelCase) String() string {
	return fmt.Sprintf("n=%d d=%d nb=%d %v seed=%d", kc.n, kc.d, kc.nb, kc.kind, kc.seed)
}

// twinResults are the pure-Go kernels' outputs for a case, per precision.
type twinResults struct {
	cc, cs [2][]uint32
	code   [2][]uint64
}

func (kc *kernelCase) twin(t testing.TB) *twinResults {
	var tr twinResults
	for p, f64 := range []bool{false, true} {
		tr.cc[p], tr.cs[p] = kc.count(t, goKernel, f64)
		tr.code[p] = kc.codes(t, goKernel, f64)
	}
	return &tr
}

// checkKernel compares every output of kernel k with the twin's, exactly.
func checkKernel(t testing.TB, k kernel, kc *kernelCase, tr *twinResults) {
	t.Helper()
	mp := kc.nb * blockFreqs
	w := codeWords(kc.nb)
	for p, f64 := range []bool{false, true} {
		cc, cs := kc.count(t, k, f64)
		for j := 0; j < mp; j++ {
			if cc[j] != tr.cc[p][j] || cs[j] != tr.cs[p][j] {
				t.Fatalf("%s count f64=%v %v: j=%d: cos %d sin %d, twin %d %d (from %d %d)",
					k.name, f64, kc, j, cc[j]-kc.init[j], cs[j]-kc.init[mp+j],
					tr.cc[p][j]-kc.init[j], tr.cs[p][j]-kc.init[mp+j], kc.init[j], kc.init[mp+j])
			}
		}
		code := kc.codes(t, k, f64)
		for i := 0; i < kc.n; i++ {
			for wi := 0; wi < w; wi++ {
				got, want := code[i*w+wi], tr.code[p][i*w+wi]
				if got == want {
					continue
				}
				diff := got ^ want
				bit := 0
				for diff>>bit&1 == 0 {
					bit++
				}
				j := (2*wi+bit/32)*blockFreqs + bit%16
				what := "cos"
				if bit%32 >= 16 {
					what = "sin"
				}
				msg := fmt.Sprintf("%s codes f64=%v %v: row %d word %d = %#016x, twin %#016x: first difference bit %d",
					k.name, f64, kc, i, wi, got, want, bit)
				if j < mp {
					msg += fmt.Sprintf(" (%s bit of j=%d, u=%v)", what, j, kc.phase(f64, i, j))
				} else {
					msg += " (padding of odd nb)"
				}
				t.Fatal(msg)
			}
		}
	}
}

// checkAll compares every usable kernel with the twin on kc.
func checkAll(t testing.TB, kc *kernelCase) {
	t.Helper()
	tr := kc.twin(t)
	for _, k := range kernels[:len(kernels)-1] {
		checkKernel(t, k, kc, tr)
	}
}

var testDims = []int{1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 33, 64}

const maxTestRows = 300

// TestKernelsSweep compares every kernel with the twin, bit for bit, on
// every row count 1…300 (tiles and tails), the listed dimensions, and 1…5
// blocks (group passes, odd and even nb for the code word layout), the
// data kinds in turn. Large d takes a thinner sweep of n.
func TestKernelsSweep(t *testing.T) {
	if len(kernels) == 1 {
		t.Skip("no assembly kernel usable")
	}
	for di, d := range testDims {
		t.Run(fmt.Sprintf("d=%d", d), func(t *testing.T) {
			for n := 1; n <= maxTestRows; n++ {
				if d > 8 && n > 40 && n%7 != 0 && n != maxTestRows {
					continue
				}
				if d > 20 && n > 40 && n%21 != 0 && n != maxTestRows {
					continue
				}
				nb := 1 + (n+di)%5
				kind := dataKind((n/5 + di) % int(numKinds))
				checkAll(t, newKernelCase(uint64(n), n, d, nb, kind))
			}
		})
	}
}

// TestKernelsBoundaries puts phases exactly on every boundary of the bits
// and one float step either side of it, for small and large |u|: u = c + e
// with c in {0, ±1/4, ±1/2, ±3/4, ±1, ±3/2, ±2} plus an integer offset,
// e ∈ {0, ±ulp}, built as u = fma(x0, ω'0, ξ') (+ a zero term for d > 1).
func TestKernelsBoundaries(t *testing.T) {
	for _, d := range []int{1, 2, 3} {
		for _, big := range []float64{0, 1, 1 << 10, 1 << 20} {
			kc := boundaryCase(d, big)
			for _, f64 := range []bool{false, true} {
				if !unfusedDiffers(kc, f64) {
					t.Fatalf("boundary case d=%d off=%v f64=%v cannot tell fused from unfused", d, big, f64)
				}
			}
			tr := kc.twin(t)
			// the twin's bits here are the contract's, spelled out
			checkBoundaryTwin(t, kc, tr)
			for _, k := range kernels[:len(kernels)-1] {
				checkKernel(t, k, kc, tr)
			}
		}
	}
}

// boundaryCase: lane j has ξ' = c_j (+ off, negated in block 1), row i has
// x0 = s_i·(1+a), s_i ∈ {±1, ±2, ±3}, a = 2⁻¹³ (float32) or 2⁻²⁷ (float64),
// and the other dimensions are 0.
//
//   - Blocks 0 and 1 have ω' = 0, so u = c_j exactly.
//   - Block 2 has ω'0 = e_j/2, e_j the step from c_j to its neighbour above
//     (even lanes) or below (odd lanes) in the precision at hand, so u =
//     c_j + s_i·(1+a)·e_j/2 rounded once: about half a step (just past the
//     tie), one step, one and a half steps off the boundary.
//   - Block 3 tells a fused multiply-add from a multiply then an add:
//     ξ' = c_j − e_j (one step past the boundary, e_j = 2h) and ω'0 =
//     h·(1−a), so in row 0 (s = 1) u = c_j − e_j + h·(1 − a²). Fused, that
//     rounds back to ξ'; with the product rounded first (to h) the sum is
//     a tie, which rounds to the boundary c_j (its last bit is even).
func boundaryCase(d int, off float64) *kernelCase {
	cs := []float64{0, 0.25, -0.25, 0.5, -0.5, 0.75, -0.75, 1, -1, 1.5, -1.5, 2, -2, 1.25, -1.75, 0.125}
	const a32, a64 = 0x1p-13, 0x1p-27
	n, nb := 6, 4
	kc := &kernelCase{n: n, d: d, nb: nb, kind: kindGrid}
	mp := nb * blockFreqs
	kc.x32, kc.x64 = make([]float32, n*d), make([]float64, n*d)
	kc.om32, kc.om64 = make([]float32, mp*d), make([]float64, mp*d)
	kc.xi32, kc.xi64 = make([]float32, mp), make([]float64, mp)
	kc.init = make([]uint32, 2*mp)
	for i := 0; i < n; i++ {
		s := float64((1 + i/2) * (1 - 2*(i%2)))
		kc.x32[i*d], kc.x64[i*d] = float32(s*(1+a32)), s*(1+a64)
	}
	for j := 0; j < mp; j++ {
		b, l := j/blockFreqs, j%blockFreqs
		c := cs[l] + off
		if b == 1 {
			c = -c
		}
		if float64(float32(c)) != c {
			panic("boundary not exact in float32")
		}
		kc.xi32[j], kc.xi64[j] = float32(c), c
		dir := 1.0
		if l%2 == 1 {
			dir = -1
		}
		at := (b*d)*blockFreqs + l
		e32 := math.Nextafter32(float32(c), float32(dir*math.Inf(1))) - float32(c)
		e64 := math.Nextafter(c, dir*math.Inf(1)) - c
		switch {
		case b == 2:
			if h := e32 / 2; h != 0 {
				e32 = h // else the smallest subnormal: a whole step
			}
			if h := e64 / 2; h != 0 {
				e64 = h
			}
			kc.om32[at], kc.om64[at] = e32, e64
		case b == 3 && c != 0:
			kc.xi32[j], kc.xi64[j] = float32(c)-e32, c-e64
			kc.om32[at], kc.om64[at] = e32/2*(1-a32), e64/2*(1-a64)
		}
	}
	return kc
}

// unfusedDiffers reports whether, for row 0 of block 3 of a boundaryCase,
// rounding the product before the add changes some bit: the guard that
// the case can tell a fused kernel from an unfused one.
func unfusedDiffers(kc *kernelCase, f64 bool) bool {
	for l := 0; l < blockFreqs; l++ {
		j := 3*blockFreqs + l
		at := (3*kc.d)*blockFreqs + l
		var c0, s0, c1, s1 uint32
		if f64 {
			c0, s0 = bits64(math.FMA(kc.x64[0], kc.om64[at], kc.xi64[j]))
			c1, s1 = bits64(float64(kc.x64[0]*kc.om64[at]) + kc.xi64[j])
		} else {
			c0, s0 = bits32(fpmath.FMA32(kc.x32[0], kc.om32[at], kc.xi32[j]))
			c1, s1 = bits32(float32(kc.x32[0]*kc.om32[at]) + kc.xi32[j])
		}
		if c0 != c1 || s0 != s1 {
			return true
		}
	}
	return false
}

// checkBoundaryTwin verifies the twin's bits on boundaryCase blocks 0 and 1
// against the contract's table: v = 0 → cos 1, sin 0; |v| = 1/4 → cos 0,
// sin = v > 0; v = ±1/2 → cos 0, sin = v > 0 (rint rounds half to even).
func checkBoundaryTwin(t *testing.T, kc *kernelCase, tr *twinResults) {
	w := codeWords(kc.nb)
	for p, f64 := range []bool{false, true} {
		for j := 0; j < 2*blockFreqs; j++ {
			u := float64(kc.xi64[j])
			v := u - math.RoundToEven(u)
			wantC := uint64(0)
			if math.Abs(v) < 0.25 {
				wantC = 1
			}
			wantS := uint64(0)
			if v > 0 {
				wantS = 1
			}
			for i := 0; i < kc.n; i++ {
				half := tr.code[p][i*w+j/32] >> (32 * (j / 16 % 2))
				if half>>(j%16)&1 != wantC || half>>(16+j%16)&1 != wantS {
					t.Fatalf("twin f64=%v: u=%v: bits cos %d sin %d, want %d %d", f64, u, half>>(j%16)&1, half>>(16+j%16)&1, wantC, wantS)
				}
			}
		}
	}
}

// TestKernelsPhaseRange puts |u| up to just below the fast limits, for
// every tile shape (rows 1…17) and several d.
func TestKernelsPhaseRange(t *testing.T) {
	if len(kernels) == 1 {
		t.Skip("no assembly kernel usable")
	}
	for _, d := range []int{1, 2, 3, 8, 17} {
		for n := 1; n <= 17; n++ {
			checkAll(t, newKernelCase(uint64(1000+n), n, d, 1+n%5, kindLarge))
		}
	}
}

// The twin's bits are the signs of cos 2πu and sin 2πu wherever these are
// not within rounding of zero.
func TestTwinBitsAreSigns(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		u := (r.Float64()*2 - 1) * math.Ldexp(1, r.IntN(12))
		s, c := math.Sincos(2 * math.Pi * u)
		cb, sb := bits64(u)
		if math.Abs(c) > 1e-9 && (cb == 1) != (c > 0) {
			t.Fatalf("u=%v: cos bit %d, cos %v", u, cb, c)
		}
		if math.Abs(s) > 1e-9 && (sb == 1) != (s > 0) {
			t.Fatalf("u=%v: sin bit %d, sin %v", u, sb, s)
		}
		u32 := float32(u)
		s, c = math.Sincos(2 * math.Pi * float64(u32))
		cb, sb = bits32(u32)
		if math.Abs(c) > 1e-6 && (cb == 1) != (c > 0) {
			t.Fatalf("u=%v: cos bit %d, cos %v", u32, cb, c)
		}
		if math.Abs(s) > 1e-6 && (sb == 1) != (s > 0) {
			t.Fatalf("u=%v: sin bit %d, sin %v", u32, sb, s)
		}
	}
}

func FuzzKernels(f *testing.F) {
	f.Add(uint64(1), uint16(1), uint8(1), uint8(1), uint8(0))
	f.Add(uint64(2), uint16(299), uint8(9), uint8(3), uint8(1))
	f.Add(uint64(3), uint16(17), uint8(64), uint8(2), uint8(2))
	f.Add(uint64(4), uint16(8), uint8(2), uint8(5), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, n16 uint16, d8, nb8, kind8 uint8) {
		n := 1 + int(n16)%maxTestRows
		d := 1 + int(d8)%80
		nb := 1 + int(nb8)%6
		checkAll(t, newKernelCase(seed, n, d, nb, dataKind(kind8)%numKinds))
	})
}

func ExampleKernels() {
	ks := Kernels()
	fmt.Println(ks[len(ks)-1])
	// Output: go
}
