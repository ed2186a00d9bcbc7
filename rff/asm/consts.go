package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// The sincos constants, the same values as the pure-Go twin
// (rff/kernel_generic.go). Each sits in a 32-byte slot replicated across
// the slot, so AVX2 reads the whole slot as a ymm operand and AVX-512
// broadcasts its first element.
type konst int

const (
	cTwoOverPi konst = iota
	cMagic           // round-to-nearest magic number
	cPio2a           // π/2 in three pieces
	cPio2b
	cPio2c
	cSin1 // sin polynomial, z¹ … z⁶ coefficients (float32 uses three)
	cSin2
	cSin3
	cSin4
	cSin5
	cSin6
	cCos1 // cos polynomial, z² … z⁷ coefficients (float32 uses three)
	cCos2
	cCos3
	cCos4
	cCos5
	cCos6
	cMinusHalf
	cOne
	cIntOne  // integer 1: quadrant parity bit
	cIntTwo  // integer 2: quadrant bit 1
	cSignBit // the sign bit alone
	numKonst
)

const constStride = 32

// sincosConsts are the float32 and float64 constant values; sinDeg/cosDeg
// count the polynomial coefficients used.
type sincosConsts struct {
	twoOverPi, magic, pio2a, pio2b, pio2c float64
	sin, cos                              []float64
}

var consts32 = sincosConsts{
	twoOverPi: 0.636619772367581343,
	magic:     12582912, // 1.5·2²³
	pio2a:     1.5703125,
	pio2b:     4.837512969970703125e-4,
	pio2c:     7.54978995489188216e-8,
	sin:       []float64{-1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4},
	cos:       []float64{4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5},
}

var consts64 = sincosConsts{
	twoOverPi: 6.36619772367581382433e-01,
	magic:     6755399441055744, // 1.5·2⁵²
	pio2a:     1.57079632673412561417e+00,
	pio2b:     6.07710050630396597660e-11,
	pio2c:     2.02226624871116645580e-21,
	sin: []float64{-1.66666666666666324348e-01, 8.33333333332248946124e-03,
		-1.98412698298579493134e-04, 2.75573137070700676789e-06,
		-2.50507602534068634195e-08, 1.58969099521155010221e-10},
	cos: []float64{4.16666666666666019037e-02, -1.38888888888741095749e-03,
		2.48015872894767294178e-05, -2.75573143513906633035e-07,
		2.08757232129817482790e-09, -1.13596475577881948265e-11},
}

func (sc sincosConsts) sinDeg() int { return len(sc.sin) }
func (sc sincosConsts) cosDeg() int { return len(sc.cos) }

// emitConsts writes the constant table of e and records it in e.tab.
func emitConsts(e *elem, sc sincosConsts) {
	e.tab = GLOBL("sincos"+e.name, RODATA|NOPTR)
	vals := make([]float64, numKonst)
	vals[cTwoOverPi], vals[cMagic] = sc.twoOverPi, sc.magic
	vals[cPio2a], vals[cPio2b], vals[cPio2c] = sc.pio2a, sc.pio2b, sc.pio2c
	copy(vals[cSin1:], sc.sin)
	copy(vals[cCos1:], sc.cos)
	vals[cMinusHalf], vals[cOne] = -0.5, 1
	for id := konst(0); id < numKonst; id++ {
		for off := 0; off < constStride; off += e.size {
			at := int(id)*constStride + off
			switch {
			case e.size == 4 && id >= cIntOne:
				DATA(at, U32(intBits32(id)))
			case e.size == 4:
				DATA(at, U32(math.Float32bits(float32(vals[id]))))
			case id >= cIntOne:
				DATA(at, U64(intBits64(id)))
			default:
				DATA(at, U64(math.Float64bits(vals[id])))
			}
		}
	}
}

func intBits32(id konst) uint32 {
	switch id {
	case cIntOne:
		return 1
	case cIntTwo:
		return 2
	}
	return 1 << 31
}

func intBits64(id konst) uint64 {
	switch id {
	case cIntOne:
		return 1
	case cIntTwo:
		return 2
	}
	return 1 << 63
}
