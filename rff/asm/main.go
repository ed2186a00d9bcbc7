// Command asm generates the amd64 kernels of package rff:
//
//	go run . -out ../kernel_amd64.s -stubs ../kernel_amd64_stubs.go -pkg rff
//
// (see rff/gen.go). Four kernels: AVX-512 and AVX2+FMA, float32 and
// float64, each the same algorithm as its pure-Go twin in
// rff/kernel_generic.go.
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

// Tiles by dimension, chosen by measurement (BenchmarkKernel).
var (
	tilesAVX512F32 = []tileFor{{8, tile{R: 8, F: 2}}, {1, tile{R: 2, F: 2}}}
	tilesAVX512F64 = []tileFor{{8, tile{R: 8, F: 2}}, {1, tile{R: 2, F: 2}}}
	tilesAVX2F32   = []tileFor{{8, tile{R: 4, F: 2}}, {1, tile{R: 2, F: 2}}}
	tilesAVX2F64   = []tileFor{{8, tile{R: 2, F: 2}}, {1, tile{R: 2, F: 2}}}
)

func main() {
	ConstraintExpr("!purego")
	f32.sc, f64.sc = consts32, consts64
	emitConsts(&f32, consts32)
	emitConsts(&f64, consts64)

	newKern(avx512, f32).emitKernel("sketchF32Go", tilesAVX512F32)
	newKern(avx512, f64).emitKernel("sketchF64Go", tilesAVX512F64)
	newKern(avx2, f32).emitKernel("sketchF32Go", tilesAVX2F32)
	newKern(avx2, f64).emitKernel("sketchF64Go", tilesAVX2F64)
	Generate()
}
