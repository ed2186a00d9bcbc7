// Command asm generates the amd64 kernels of package rff:
//
//	go run . -out ../kernel_amd64.s -stubs ../kernel_amd64_stubs.go -pkg rff
//
// (see rff/gen.go). Twelve kernels: the sketch, its backward (the VJP) and
// the per-row features, each in AVX-512 and AVX2+FMA, float32 and float64,
// each the same algorithm as its pure-Go twin in rff/kernel_generic.go,
// rff/vjp_generic.go and rff/features_generic.go.
//
// With -kernels quant it generates the 1-bit kernels of package quant
// instead (see quant/gen.go and quant.go): count and codes, float32 and
// float64, AVX-512 and AVX2+FMA, each bit for bit its twin in
// quant/kernel_generic.go.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	. "github.com/mmcloughlin/avo/build"
)

// Tiles by dimension, chosen by measurement (BenchmarkKernel and
// neighbouring d on Zen 5). Large tiles won even at small d, except where
// a smaller one frees registers for constants and interleaving. AVX2 has
// registers for only 8 phases: 8 rows × 1 vector (half a float32 block,
// a quarter of a float64 one).
var (
	tilesAVX512F32 = []tileFor{{8, tile{R: 8, F: 2, Consts: 6, I: 2}}, {1, tile{R: 4, F: 2, Consts: 12, I: 2}}}
	tilesAVX512F64 = []tileFor{{32, tile{R: 8, F: 2, Consts: 6, I: 2}}, {1, tile{R: 4, F: 2, Consts: 8, I: 4}}}
	tilesAVX2F32   = []tileFor{{4, tile{R: 8, F: 1, Consts: 2, I: 1}}, {1, tile{R: 4, F: 1, Consts: 3, I: 2}}}
	tilesAVX2F64   = []tileFor{{4, tile{R: 8, F: 1, Consts: 2, I: 1}}, {1, tile{R: 4, F: 1, Consts: 3, I: 2}}}
)

var kernels = flag.String("kernels", "rff", "which kernels to generate: rff, quant, gemm or ae")

func main() {
	flag.Parse()
	ConstraintExpr("!purego")
	switch *kernels {
	case "rff":
		emitRFFKernels()
	case "quant":
		emitQuantKernels()
	case "gemm":
		emitGemmKernels() // nn's SGEMM microkernels, see gemm.go
	case "ae":
		emitAEKernels() // quant/ae's bit packing, see ae.go
	default:
		fmt.Fprintf(os.Stderr, "unknown -kernels %q\n", *kernels)
		os.Exit(2)
	}
	Generate()
	if err := checkVEX(flag.Lookup("out").Value.String()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// emitRFFKernels writes the kernels of package rff: sketch, VJP and
// features, each for both ISAs and element types.
func emitRFFKernels() {
	f32.sc, f64.sc = consts32, consts64
	emitConsts(&f32, consts32)
	emitConsts(&f64, consts64)

	newKern(avx512, f32).emitKernel("sketchF32Go", tilesAVX512F32)
	newKern(avx512, f64).emitKernel("sketchF64Go", tilesAVX512F64)
	newKern(avx2, f32).emitKernel("sketchF32Go", tilesAVX2F32)
	newKern(avx2, f64).emitKernel("sketchF64Go", tilesAVX2F64)

	newKern(avx512, f32).emitVJP("vjpF32Go")
	newKern(avx512, f64).emitVJP("vjpF64Go")
	newKern(avx2, f32).emitVJP("vjpF32Go")
	newKern(avx2, f64).emitVJP("vjpF64Go")

	newKern(avx512, f32).emitFeatures("featF32Go")
	newKern(avx512, f64).emitFeatures("featF64Go")
	newKern(avx2, f32).emitFeatures("featF32Go")
	newKern(avx2, f64).emitFeatures("featF64Go")
}

// checkVEX fails if an AVX2 function uses a register or an instruction
// that needs an EVEX encoding: such code would need AVX-512 to run. avo
// allocates from all 32 vector registers, and its "Requires" line does not
// count the upper sixteen.
func checkVEX(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	evexOnly := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b|\.BCST|^\s*(K|VPTESTM|VBLENDM|VPXOR[DQ]|VPTERNLOG|VEXTRACT[FI](32|64)X)`)
	fn := ""
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if name, ok := strings.CutPrefix(text, "TEXT ·"); ok {
			fn, _, _ = strings.Cut(name, "(")
		}
		if strings.HasSuffix(fn, avx2.name) && evexOnly.MatchString(text) {
			return fmt.Errorf("%s:%d: %s needs EVEX: %s", path, line, fn, strings.TrimSpace(text))
		}
	}
	return sc.Err()
}
