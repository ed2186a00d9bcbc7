package quant

import (
	"os"

	"github.com/clkit/clkit/internal/dispatch"
)

// The hot path. For one block of n rows and every packed frequency j, the
// kernels compute the phase in turns (phase/2π)
//
//	u = fma(x[i·d+d−1], ω'_j,d−1, … fma(x[i·d+1], ω'_j1, fma(x[i·d], ω'_j0, ξ'_j)))
//
// with ω' = ω/2π and ξ' = ξ/2π packed as in rff (16 frequencies per block,
// ω'_jk at om[(j/16·d + k)·16 + j%16]), one fused multiply-add per
// dimension in ascending k, each rounded to the input precision. Then
//
//	v       = u − rint(u)        (round half to even; exact)
//	cos bit = |v| < 1/4          sign(cos 2πu) = +1 (ties cos = 0 → 0 bit)
//	sin bit = v > 0              sign(sin 2πu) = +1 (ties sin = 0: v = ±0 and
//	                             −1/2 → 0 bit, v = +1/2 → 1 bit)
//
// rint may be the magic-number add or a round instruction: both give the
// same bits while |u| < 2²² (float32) or 2⁵¹ (float64). Because every step
// is specified to the rounding, every kernel agrees with the pure-Go twin
// (kernel_generic.go) bit for bit.
//
// Two kernels per precision:
//
//   - count: cc[j] += cos bit, cs[j] += sin bit, summed over the n rows
//     (uint32, wrapping; the caller flushes long before 2³² rows).
//   - codes: writes each row's bits, packed, to code[i·W : (i+1)·W] with
//     W = (nb+1)/2 words for nb = len(xi)/16 blocks. Block b lives in word
//     b/2 at bit offset 32·(b%2): bits 0..15 are the cos bits of its 16
//     frequencies (lane l at bit l), bits 16..31 the sin bits. When nb is
//     odd the last word's high 32 bits are 0. Padding frequencies (ω' = 0,
//     ξ' = 0) are computed like any other: cos bit 1, sin bit 0; the public
//     API clears them.
//
// Caller guarantees (kernels do not check): n ≥ 1, d ≥ 1, len(x) = n·d,
// len(om) = len(xi)·d, len(xi) a positive multiple of blockFreqs,
// len(cc) = len(cs) = len(xi), len(code) = n·W, all inputs finite and
// every |u| < fastLimit32 / fastLimit64.
type (
	countF32 func(x []float32, n, d int, om, xi []float32, cc, cs []uint32)
	countF64 func(x []float64, n, d int, om, xi []float64, cc, cs []uint32)
	codesF32 func(x []float32, n, d int, om, xi []float32, code []uint64)
	codesF64 func(x []float64, n, d int, om, xi []float64, code []uint64)
)

const (
	blockFreqs = 16
	// Bounds on |u| within which rint by the magic number is exact.
	fastLimit32 = 1 << 22
	fastLimit64 = 1 << 51
)

// codeWords is W, the uint64 words of one row's code for nb blocks.
func codeWords(nb int) int { return (nb + 1) / 2 }

// kernel is one implementation of the hot path, by ISA.
type kernel struct {
	name    string
	count32 countF32
	count64 countF64
	codes32 codesF32
	codes64 codesF64
	env     string // variable that switches it off at run time ("" = none)
}

// goKernel is the portable implementation, present in every build.
var goKernel = kernel{name: "go", count32: countF32Go, count64: countF64Go, codes32: codesF32Go, codes64: codesF64Go}

// kernels lists the implementations usable in this process, best first:
// what the CPU supports (archKernels), minus what the environment switches
// off (CLKIT_NOASM=1 removes every assembly kernel; CLKIT_NOAVX512,
// CLKIT_NOAVX2, CLKIT_NONEON one each, as in rff), then pure Go.
var kernels = usableKernels(archKernels(), os.Getenv)

func usableKernels(arch []kernel, getenv func(string) string) []kernel {
	return dispatch.Usable(arch, func(k kernel) string { return k.env }, goKernel, getenv)
}

// Kernels returns the names of the quantized kernels usable in this
// process, the default first: some of "avx512", "avx2", "neon", and "go".
func Kernels() []string { return dispatch.Names(kernels, kernelName) }

func kernelName(k kernel) string { return k.name }

// DefaultKernel is the name of the kernel used unless told otherwise.
func DefaultKernel() string { return kernels[0].name }

func lookupKernel(name string) (kernel, bool) { return dispatch.Lookup(kernels, kernelName, name) }
