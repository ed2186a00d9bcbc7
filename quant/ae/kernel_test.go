package ae

import (
	"math"
	"slices"
	"testing"

	"github.com/clkit/clkit/internal/dispatch/dispatchtest"
	"github.com/clkit/clkit/internal/prng"
)

func TestRequiredKernels(t *testing.T) { dispatchtest.Required(t, Kernels()) }

func TestUsableKernelsEnv(t *testing.T) {
	arch := []kernel{{name: "a", env: "NO_A"}, {name: "b", env: "NO_B"}}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		env  map[string]string
		want []string
	}{
		{nil, []string{"a", "b", "go"}},
		{map[string]string{"NO_A": "1"}, []string{"b", "go"}},
		{map[string]string{"CLKIT_NOASM": "1"}, []string{"go"}},
	} {
		got := make([]string, 0)
		for _, k := range usableKernels(arch, env(c.env)) {
			got = append(got, k.name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("env %v: kernels %v, want %v", c.env, got, c.want)
		}
	}
	if ks := Kernels(); ks[len(ks)-1] != "go" {
		t.Errorf("pure-Go kernel must always be usable: %v", ks)
	}
	if _, ok := lookupKernel("nonesuch"); ok {
		t.Error("lookupKernel found an unknown kernel")
	}
}

// special values at the comparisons' edges: both zeros, NaNs of both
// signs, the smallest subnormals, infinities.
var specials = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), -float32(math.NaN()),
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1}

// kernelInput is rows×n values: normals, a third of them replaced by
// specials, and random bits of codes for unpack.
func kernelInput(seed uint64, rows, n int) ([]float32, []uint64, []uint64) {
	r := prng.New(seed, uint64(rows)<<20|uint64(n))
	y := make([]float32, rows*n)
	for i := range y {
		if r.IntN(3) == 0 {
			y[i] = specials[r.IntN(len(specials))]
		} else {
			y[i] = float32(r.Normal())
		}
	}
	w := words(n)
	code, nz := make([]uint64, rows*w), make([]uint64, rows*w)
	for i := range code {
		code[i], nz[i] = r.Uint64(), r.Uint64()
	}
	return y, code, nz
}

// testSizes are the row lengths n the kernels are checked at: every one
// from 1 to 300 (all the tails of the 8- and 16-lane loops and of the
// 64-bit words), and 400. n = 0 is not a valid call (a code has bits).
var testSizes = func() []int {
	s := make([]int, 0, 301)
	for n := 1; n <= 300; n++ {
		s = append(s, n)
	}
	return append(s, 400)
}()

// TestKernelsMatchTwin: every kernel gives the twin's bits and values, for
// every size of row around the vector and word widths, and writes nothing
// past the block.
func TestKernelsMatchTwin(t *testing.T) {
	for _, k := range kernels {
		for _, n := range testSizes {
			for _, rows := range []int{1, 2, 3, 5} {
				y, code, nz := kernelInput(uint64(n), rows, n)
				w := words(n)
				sign := func(f packSignFunc) packFunc {
					return func(y []float32, rows, n int, code []uint64) { f(y, rows, n, code) }
				}
				for p, f := range []packFunc{sign(k.packSign), k.packNonzero} {
					want := make([]uint64, rows*w)
					[]packFunc{sign(packSignGo), packNonzeroGo}[p](y, rows, n, want)
					got := make([]uint64, rows*w+1)
					got[rows*w] = 0x5a5a
					f(y, rows, n, got[:rows*w])
					if !slices.Equal(got[:rows*w], want) || got[rows*w] != 0x5a5a {
						t.Fatalf("%s pack %d, rows %d n %d: %x, want %x", k.name, p, rows, n, got, want)
					}
				}
				// the finiteness flag: every value finite, or one bad value
				// anywhere (the specials' NaNs and infinities)
				fin := slices.Clone(y)
				for i, v := range fin {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						fin[i] = 1
					}
				}
				pc := make([]uint64, rows*w)
				if !k.packSign(fin, rows, n, pc) || !packSignGo(fin, rows, n, pc) {
					t.Fatalf("%s rows %d n %d: finite values reported non-finite", k.name, rows, n)
				}
				for _, at := range []int{0, len(fin) / 2, len(fin) - 1} {
					for _, bad := range specials[2:8] {
						if math.Abs(float64(bad)) <= math.MaxFloat32 {
							continue
						}
						v := fin[at]
						fin[at] = bad
						if k.packSign(fin, rows, n, pc) || packSignGo(fin, rows, n, pc) {
							t.Fatalf("%s rows %d n %d: %v at %d reported finite", k.name, rows, n, bad, at)
						}
						fin[at] = v
					}
				}
				// unpack: random bits, including the padding bits, which
				// must be ignored
				want, got := make([]float32, rows*n), make([]float32, rows*n+1)
				for ternary := range 2 {
					got[rows*n] = 7
					if ternary == 0 {
						unpackGo(code, rows, n, want)
						k.unpack(code, rows, n, got[:rows*n])
					} else {
						unpackTernaryGo(code, nz, rows, n, want)
						k.unpackTernary(code, nz, rows, n, got[:rows*n])
					}
					if !bitsEqual(got[:rows*n], want) || got[rows*n] != 7 {
						t.Fatalf("%s unpack ternary=%d, rows %d n %d: %v, want %v", k.name, ternary, rows, n, got, want)
					}
				}
			}
		}
	}
}

func bitsEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestTwinSpec checks the twin itself against the contract, bit by bit.
func TestTwinSpec(t *testing.T) {
	n, rows := 70, 3
	y, code, nz := kernelInput(9, rows, n)
	w := words(n)
	ps, pz := make([]uint64, rows*w), make([]uint64, rows*w)
	packSignGo(y, rows, n, ps)
	packNonzeroGo(y, rows, n, pz)
	out, out3 := make([]float32, rows*n), make([]float32, rows*n)
	unpackGo(code, rows, n, out)
	unpackTernaryGo(code, nz, rows, n, out3)
	for r := range rows {
		for j := range 64 * w {
			bit := func(c []uint64) bool { return c[r*w+j/64]>>(j%64)&1 == 1 }
			if j >= n {
				if bit(ps) || bit(pz) {
					t.Fatalf("row %d: padding bit %d set", r, j)
				}
				continue
			}
			v := y[r*n+j]
			if bit(ps) != !(v < 0) || bit(pz) != (v != 0) {
				t.Fatalf("row %d bit %d of %v: sign %v nonzero %v", r, j, v, bit(ps), bit(pz))
			}
			want := float32(-1)
			if bit(code) {
				want = 1
			}
			if out[r*n+j] != want {
				t.Fatalf("unpack row %d bit %d: %v, want %v", r, j, out[r*n+j], want)
			}
			if !bit(nz) {
				want = 0
			}
			if out3[r*n+j] != want || math.Signbit(float64(out3[r*n+j])) != (want < 0) {
				t.Fatalf("unpackTernary row %d bit %d: %v, want %v", r, j, out3[r*n+j], want)
			}
		}
	}
}
