package ae

import (
	"os"

	"github.com/clkit/clkit/internal/dispatch"
)

// The bit kernels: the step between a float32 GEMM and packed codes, both
// ways. A block holds rows rows of n values, contiguous (row r at
// y[r·n : (r+1)·n]); row r's code is the W = ⌈n/64⌉ words
// code[r·W : (r+1)·W], code bit j in word j/64 at bit j%64 (so byte j/8,
// bit j%8 of the little-endian words: numpy's packbits with
// bitorder="little"), and bits n…64W−1 are zero.
//
//	packSign:     bit j = !(y_j < 0)   sign(y) = +1, with sign(±0) = +1
//	                                   (and NaN → 1); returns whether every
//	                                   y_j is finite, so that the encoder
//	                                   need not scan its input (a NaN or
//	                                   infinite input coordinate makes its
//	                                   row's every y_j NaN or infinite)
//	packNonzero:  bit j = !(y_j == 0)  the support plane of the ternary
//	                                   code of TieZero
//	unpack:       out_j = +1 if bit j else −1
//	unpackTernary out_j = 0 if nz bit j is 0, else unpack's ±1
//
// Every kernel computes exactly this (comparisons and constants: no
// rounding), so all agree with the pure-Go twin (kernel_generic.go) bit
// for bit. Caller guarantees (kernels do not check): rows ≥ 1, n ≥ 1,
// len(y) = len(out) = rows·n, len(code) = len(nz) = rows·W.
type (
	packSignFunc      func(y []float32, rows, n int, code []uint64) (finite bool)
	packFunc          func(y []float32, rows, n int, code []uint64)
	unpackFunc        func(code []uint64, rows, n int, out []float32)
	unpackTernaryFunc func(code, nz []uint64, rows, n int, out []float32)
)

// words is W, the uint64 words of a code of n bits.
func words(n int) int { return (n + 63) / 64 }

// kernel is one implementation of the bit kernels, by ISA.
type kernel struct {
	name          string
	packSign      packSignFunc
	packNonzero   packFunc
	unpack        unpackFunc
	unpackTernary unpackTernaryFunc
	env           string // variable that switches it off at run time ("" = none)
}

// goKernel is the portable implementation, present in every build.
var goKernel = kernel{name: "go", packSign: packSignGo, packNonzero: packNonzeroGo,
	unpack: unpackGo, unpackTernary: unpackTernaryGo}

// kernels lists the implementations usable in this process, best first:
// what the CPU supports, minus what the environment switches off
// (CLKIT_NOASM=1 every assembly kernel; CLKIT_NOAVX512, CLKIT_NOAVX2,
// CLKIT_NONEON one each, as in rff and quant), then pure Go.
var kernels = usableKernels(archKernels(), os.Getenv)

func usableKernels(arch []kernel, getenv func(string) string) []kernel {
	return dispatch.Usable(arch, func(k kernel) string { return k.env }, goKernel, getenv)
}

// Kernels returns the names of the bit kernels usable in this process, the
// default first: some of "avx512", "avx2", "neon", and always "go". The
// matrix products around them are nn's (nn.Kernels).
func Kernels() []string { return dispatch.Names(kernels, kernelName) }

func kernelName(k kernel) string { return k.name }

func lookupKernel(name string) (kernel, bool) { return dispatch.Lookup(kernels, kernelName, name) }
