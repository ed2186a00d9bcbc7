package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa is a vector instruction set: AVX2+FMA (16 ymm registers, no masks)
// or AVX-512 (32 zmm registers, opmasks, embedded broadcast).
type isa struct {
	name   string // suffix of the Go function names: "AVX512", "AVX2"
	evex   bool   // AVX-512: embedded-broadcast constants and opmasks
	vbytes int    // vector width in bytes
}

var (
	avx512 = isa{name: "AVX512", evex: true, vbytes: 64}
	avx2   = isa{name: "AVX2", evex: false, vbytes: 32}
)

// elem is a floating-point element type and its instruction forms.
type elem struct {
	name   string // "F32", "F64"
	goType string
	size   int          // bytes
	tab    Mem          // constant table, see consts.go
	sc     sincosConsts // its values

	movu, bcast, sub, mul   func(...Op)
	fma231, fma213, fnma231 func(...Op)
	blendm, xor, and, shl   func(...Op)
	blendv                  func(mask, a, b, dst Op) // dst = mask ? a : b
	// AVX-512 forms with a broadcast scalar memory operand
	subB, fma231B, fma213B, fnma231B, testmB, xorB func(...Op)
	testm, xorI                                    func(...Op) // AVX-512 integer forms
}

var f32 = elem{
	name: "F32", goType: "float32", size: 4,
	movu: VMOVUPS, bcast: VBROADCASTSS, sub: VSUBPS, mul: VMULPS,
	fma231: VFMADD231PS, fma213: VFMADD213PS, fnma231: VFNMADD231PS,
	blendv: VBLENDVPS, blendm: VBLENDMPS, xor: VXORPS, and: VANDPS, shl: VPSLLD,
	subB: VSUBPS_BCST, fma231B: VFMADD231PS_BCST, fma213B: VFMADD213PS_BCST,
	fnma231B: VFNMADD231PS_BCST, testmB: VPTESTMD_BCST, xorB: VPXORD_BCST,
	testm: VPTESTMD, xorI: VPXORD,
}

var f64 = elem{
	name: "F64", goType: "float64", size: 8,
	movu: VMOVUPD, bcast: VBROADCASTSD, sub: VSUBPD, mul: VMULPD,
	fma231: VFMADD231PD, fma213: VFMADD213PD, fnma231: VFNMADD231PD,
	blendv: VBLENDVPD, blendm: VBLENDMPD, xor: VXORPD, and: VANDPD, shl: VPSLLQ,
	subB: VSUBPD_BCST, fma231B: VFMADD231PD_BCST, fma213B: VFMADD213PD_BCST,
	fnma231B: VFNMADD231PD_BCST, testmB: VPTESTMQ_BCST, xorB: VPXORQ_BCST,
	testm: VPTESTMQ, xorI: VPXORQ,
}

// kern emits one kernel: an ISA and an element type. Its methods hide the
// differences between the two ISAs so that the sincos and the tile loop
// are written once.
type kern struct {
	isa
	elem
	lanes int                      // elements per vector
	loops int                      // k loops emitted so far, to name their labels
	held  map[konst]reg.VecVirtual // constants held in registers
}

func newKern(i isa, e elem) *kern { return &kern{isa: i, elem: e, lanes: i.vbytes / e.size} }

func (k *kern) funcName() string { return fmt.Sprintf("sketch%s%s", k.elem.name, k.isa.name) }

// vec is a fresh vector register of the kernel's width.
func (k *kern) vec() reg.VecVirtual {
	if k.evex {
		return ZMM()
	}
	return YMM()
}

// c is constant id as a memory operand: a scalar to broadcast for AVX-512,
// a whole vector for AVX2 (the table holds both, see consts.go).
func (k *kern) c(id konst) Mem { return k.tab.Offset(int(id) * constStride) }

// holdConsts loads the first n constants of hotConsts (all if fewer) into
// registers for the code that follows (until the next call).
func (k *kern) holdConsts(n int) {
	k.held = map[konst]reg.VecVirtual{}
	hot := k.hotConsts()
	for _, id := range hot[:min(n, len(hot))] {
		r := k.vec()
		k.bcast(k.c(id), r)
		k.held[id] = r
	}
}

// hotConsts are the constants the sincos uses, most used first.
func (k *kern) hotConsts() []konst {
	ids := []konst{cMagic, cTwoOverPi, cPio2a, cPio2b, cPio2c}
	for i := range k.sc.sinDeg() {
		ids = append(ids, cSin1+konst(i))
	}
	for i := range k.sc.cosDeg() {
		ids = append(ids, cCos1+konst(i))
	}
	return append(ids, cMinusHalf, cOne, cSignBit, cIntOne, cIntTwo)
}

// form is the operand for constant id, and of the two forms of an
// instruction the one that takes it: its register if held, else memory
// (AVX-512: the embedded-broadcast form).
func (k *kern) form(id konst, plain, bcst func(...Op)) (func(...Op), Op) {
	if r, ok := k.held[id]; ok {
		return plain, r
	}
	if k.evex {
		return bcst, k.c(id)
	}
	return plain, k.c(id)
}

// setC sets dst to constant id in every lane.
func (k *kern) setC(id konst, dst reg.VecVirtual) {
	if r, ok := k.held[id]; ok {
		k.movu(r, dst)
		return
	}
	k.bcast(k.c(id), dst)
}

// fmaC: dst = a·C + dst.
func (k *kern) fmaC(id konst, a, dst reg.VecVirtual) {
	f, c := k.form(id, k.fma231, k.fma231B)
	f(c, a, dst)
}

// hornerC: dst = dst·a + C.
func (k *kern) hornerC(id konst, a, dst reg.VecVirtual) {
	f, c := k.form(id, k.fma213, k.fma213B)
	f(c, a, dst)
}

// fnmaC: dst = dst − a·C.
func (k *kern) fnmaC(id konst, a, dst reg.VecVirtual) {
	f, c := k.form(id, k.fnma231, k.fnma231B)
	f(c, a, dst)
}

// subC: dst = a − C.
func (k *kern) subC(id konst, a, dst reg.VecVirtual) {
	f, c := k.form(id, k.sub, k.subB)
	f(c, a, dst)
}

// testC: opmask dst = lanes where a & C ≠ 0 (AVX-512).
func (k *kern) testC(id konst, a reg.VecVirtual, dst Op) {
	f, c := k.form(id, k.testm, k.testmB)
	f(c, a, dst)
}

// xorMaskedC: dst ^= C in the lanes of mask (AVX-512).
func (k *kern) xorMaskedC(id konst, mask Op, dst reg.VecVirtual) {
	f, c := k.form(id, k.xorI, k.xorB)
	f(c, dst, mask, dst)
}

// zero clears v. VXORPS is a zeroing idiom for the CPU and for avo's
// liveness analysis (zmm: AVX512DQ, which the dispatcher requires).
func (k *kern) zero(v reg.VecVirtual) { VXORPS(v, v, v) }
