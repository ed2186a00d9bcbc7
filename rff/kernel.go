package rff

import (
	"os"

	"github.com/clkit/clkit/internal/dispatch"
)

// The hot path. A kernel adds one block of rows to the running cos/sin sums:
//
//	for every packed frequency j and row i < n = len(w):
//	    t    = xi[j] + Σ_k x[i·d+k]·ω_jk,   ω_jk = om[(j/16·d + k)·16 + j%16]
//	    c[j] += w[i]·cos(t)
//	    s[j] += w[i]·sin(t)
//
// sketchF32Go / sketchF64Go (kernel_generic.go) are the executable spec.
// Caller guarantees (kernels do not check):
//   - 1 ≤ n ≤ maxBlockRows (float32 kernels sum in float32 registers over
//     the block and flush into c, s once per block);
//   - len(x) = n·d, d ≥ 1, len(om) = len(xi)·d, len(c) = len(s) = len(xi),
//     and len(xi) a positive multiple of blockFreqs;
//   - every |t| ≤ fastLimit32 / fastLimit64 (rows that could exceed it go to
//     the exact path, sketchExact), and all inputs are finite.
type (
	kernelF32 func(x, w []float32, d int, om, xi []float32, c, s []float64)
	kernelF64 func(x, w []float64, d int, om, xi []float64, c, s []float64)
)

const (
	blockFreqs   = 16  // frequencies per packed block
	maxBlockRows = 256 // rows per kernel call
	// Phases up to these magnitudes are reduced exactly enough by the
	// three-constant Cody–Waite reduction of the fast kernels.
	fastLimit32 = 8192
	fastLimit64 = 1 << 18
)

// kernel is one implementation of the hot path, by ISA: the sketch, its
// backward (the VJP, vjp.go) and the per-row features (features.go).
type kernel struct {
	name   string
	f32    kernelF32
	f64    kernelF64
	vjp32  vjpKernelF32
	vjp64  vjpKernelF64
	feat32 featKernelF32
	feat64 featKernelF64
	env    string // variable that switches it off at run time ("" = none)
}

// goKernel is the portable implementation, present in every build.
var goKernel = kernel{name: "go", f32: sketchF32Go, f64: sketchF64Go, vjp32: vjpF32Go, vjp64: vjpF64Go, feat32: featF32Go, feat64: featF64Go}

// kernels lists the implementations usable in this process, best first:
// what the CPU supports (archKernels), minus what the environment switches
// off (CLKIT_NOASM=1 removes every assembly kernel), then the pure-Go one.
// Decided once at start-up.
var kernels = usableKernels(archKernels(), os.Getenv)

func usableKernels(arch []kernel, getenv func(string) string) []kernel {
	return dispatch.Usable(arch, func(k kernel) string { return k.env }, goKernel, getenv)
}

// Kernels returns the names of the kernels usable in this process, the
// default first: some of "avx512", "avx2", "neon", and always "go".
func Kernels() []string { return dispatch.Names(kernels, kernelName) }

func kernelName(k kernel) string { return k.name }

// DefaultKernel is the name of the kernel sketches use unless told otherwise.
func DefaultKernel() string { return kernels[0].name }

func lookupKernel(name string) (kernel, bool) { return dispatch.Lookup(kernels, kernelName, name) }
