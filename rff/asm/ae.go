package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The bit kernels of package quant/ae (contract in quant/ae/kernel.go,
// pure-Go twins in quant/ae/kernel_generic.go), generated with -kernels ae:
//
//	packSign, packNonzero   y (rows×n float32) → code bits, ⌈n/64⌉ words a row
//	unpack, unpackTernary   code bits → ±1 (0 where the nz bit is clear)
//
// Both sit between a GEMM and memory, so they are a few instructions per
// 16 (AVX-512) or 8 (AVX2) values. Pack compares 0 with y, so that y can be
// the memory operand:
//
//	packSign     !(0 > y)   VCMPPS predicate NGT_UQ: +1 for y ≥ 0, −0 and NaN
//	packNonzero  0 ≠ y      VCMPPS predicate NEQ_UQ
//
// AVX-512 compares into an opmask, moved out by KMOVW; four make a code
// word. AVX2 compares into lane masks, moved out by VMOVMSKPS; eight make a
// word. A row's last, partial word loads only its lanes (zero-masked
// loads; VMASKMOVPS on AVX2, whose masked-off lanes compare as zero and are
// cleared from the word afterwards), so no row is read past its end.
// packSign also reports whether every y is finite: it accumulates y·0 by
// FMA into four vectors (0 for finite y, NaN for ±Inf and NaN, and NaN
// stays), which the encoder checks instead of scanning its input.
//
// Unpack reads a row's bits 16 (KMOVW into an opmask, then VBLENDMPS of +1
// and −1) or 8 at a time (VPBROADCASTB of a byte, a test against the lane
// weights 2^l by VPAND and VPCMPEQD, then VBLENDVPS), and stores the last
// n mod 16 (8) values with a mask. The ternary form then zeroes the lanes
// whose nz bit is clear.
const (
	aePredNGT   = 0x1a // NGT_UQ: !(a > b), true when unordered
	aePredNEQ   = 0x04 // NEQ_UQ: a ≠ b, true when unordered
	aePredUNORD = 0x03 // UNORD_Q: a or b is NaN
)

// Byte offsets in the constant table aeConsts.
const (
	aeOne      = 0  // +1.0 ×8
	aeMinusOne = 32 // −1.0 ×8
	aeWeights  = 64 // int32 2^l, l = 0…7
	aeMaskTab  = 96 // 64 int32 all ones, then 64 zeros: window at 64−t has t ones
)

func emitAEKernels() {
	tab := GLOBL("aeConsts", RODATA|NOPTR)
	for l := range 8 {
		DATA(aeOne+4*l, U32(math.Float32bits(1)))
	}
	for l := range 8 {
		DATA(aeMinusOne+4*l, U32(math.Float32bits(-1)))
	}
	for l := range 8 {
		DATA(aeWeights+4*l, U32(1<<l))
	}
	for i := range 128 {
		v := uint32(0)
		if i < 64 {
			v = 0xffffffff
		}
		DATA(aeMaskTab+4*i, U32(v))
	}
	for _, i := range []isa{avx512, avx2} {
		emitAEPack(i, "packSign", aePredNGT, "!(y_j < 0)", true, tab)
		emitAEPack(i, "packNonzero", aePredNEQ, "!(y_j == 0)", false, tab)
		emitAEUnpack(i, false, tab)
		emitAEUnpack(i, true, tab)
	}
}

// emitAEPack writes name+ISA: the code bits of rows×n values, bit j of a
// row set when the predicate pred holds for 0 against y_j; with finite, it
// returns whether every y_j is finite.
func emitAEPack(i isa, name string, pred uint8, what string, finite bool, tab Mem) {
	fn := name + i.name
	sig, ret := "func(y *float32, rows, n int, code *uint64)", ""
	if finite {
		sig, ret = sig+" bool", "; returns whether every y_j is finite"
	}
	TEXT(fn, NOSPLIT, sig)
	Doc(fmt.Sprintf("%s is %sGo (contract in kernel.go) in %s: bit j of a row's", fn, name, i.name),
		fmt.Sprintf("⌈n/64⌉ code words is %s%s; 1 ≤ rows, 1 ≤ n.", what, ret))
	Pragma("noescape")
	y, rows, n, code := GP64(), GP64(), GP64(), GP64()
	Load(Param("y"), y)
	Load(Param("rows"), rows)
	Load(Param("n"), n)
	Load(Param("code"), code)
	full, rem, remMask := GP64(), GP64(), GP64()
	MOVQ(n, full)
	SHRQ(U8(6), full)
	MOVQ(n, rem)
	ANDQ(U8(63), rem)
	// remMask = 2^rem − 1: the lanes of the last word
	MOVQ(rem, reg.RCX)
	MOVQ(U32(1), remMask)
	SHLQ(reg.CL, remMask)
	DECQ(remMask)
	g := []reg.GPVirtual{GP64(), GP64(), GP64(), GP64()}
	var acc []reg.VecPhysical // the y·0 sums, if finite
	if i.evex {
		if finite {
			acc = zmm[28:32]
		}
		emitAEPack512(y, rows, code, full, rem, remMask, g, pred, acc)
	} else {
		if finite {
			acc = ymm[4:8]
		}
		emitAEPack256(y, rows, code, full, rem, remMask, g, pred, acc, tab)
	}
	if finite {
		// NaN in any lane of the sums: some y_j was not finite
		VADDPS(acc[1], acc[0], acc[0])
		VADDPS(acc[3], acc[2], acc[2])
		VADDPS(acc[2], acc[0], acc[0])
		ok := GP8()
		if i.evex {
			VCMPPS(U8(aePredUNORD), acc[0], acc[0], reg.K1)
			KORTESTW(reg.K1, reg.K1)
		} else {
			VCMPPS(U8(aePredUNORD), acc[0], acc[0], acc[0])
			VMOVMSKPS(acc[0], g[0].As32())
			TESTL(g[0].As32(), g[0].As32())
		}
		SETEQ(ok)
		Store(ok, ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}

// emitAEPack512: zero in Z0; the last word's lane masks in K1–K4, one per
// 16 lanes; compares into K5–K7; the y·0 sums in acc (if any).
func emitAEPack512(y, rows, code, full, rem, remMask reg.GPVirtual, g []reg.GPVirtual, pred uint8, acc []reg.VecPhysical) {
	zero := reg.Z0
	VXORPS(zero, zero, zero)
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	tails := []reg.OpmaskPhysical{reg.K1, reg.K2, reg.K3, reg.K4}
	cmps := []reg.OpmaskPhysical{reg.K5, reg.K6, reg.K7, reg.K5}
	t := GP64()
	MOVQ(remMask, t)
	for q, k := range tails {
		if q > 0 {
			SHRQ(U8(16), t)
		}
		KMOVW(t.As32(), k)
	}
	// combine ORs g[1..3] shifted into g[0] and stores the word
	combine := func() {
		for q := 1; q < 4; q++ {
			SHLQ(U8(16*q), g[q])
			ORQ(g[q], g[0])
		}
		MOVQ(g[0], Mem{Base: code})
		ADDQ(U8(8), code)
	}
	cnt := GP64()
	Label("row")
	MOVQ(full, cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef("tail"))
	Label("word")
	for q := range 4 {
		VCMPPS(U8(pred), Mem{Base: y, Disp: 64 * q}, zero, cmps[q])
		KMOVW(cmps[q], g[q].As32())
		if acc != nil {
			VFMADD231PS(Mem{Base: y, Disp: 64 * q}, zero, acc[q])
		}
	}
	combine()
	ADDQ(U32(256), y)
	DECQ(cnt)
	JNZ(LabelRef("word"))
	Label("tail")
	TESTQ(rem, rem)
	JZ(LabelRef("next"))
	for q := range 4 {
		v := reg.Z1
		VMOVUPS_Z(Mem{Base: y, Disp: 64 * q}, tails[q], v)
		VCMPPS(U8(pred), v, zero, tails[q], cmps[q])
		KMOVW(cmps[q], g[q].As32())
		if acc != nil {
			VFMADD231PS(v, zero, acc[q])
		}
	}
	combine()
	LEAQ(Mem{Base: y, Index: rem, Scale: 4}, y)
	Label("next")
	DECQ(rows)
	JNZ(LabelRef("row"))
}

// emitAEPack256: zero in Y0; the last word's lane masks in Y8–Y15, one per
// 8 lanes; compares in Y1–Y3 (Y1–Y7 without acc); the y·0 sums in acc
// (Y4–Y7, if any).
func emitAEPack256(y, rows, code, full, rem, remMask reg.GPVirtual, g []reg.GPVirtual, pred uint8, acc []reg.VecPhysical, tab Mem) {
	zero := reg.Y0
	VXORPS(zero, zero, zero)
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	tmps := ymm[1:8]
	if acc != nil {
		tmps = ymm[1:4]
	}
	tails := []reg.VecPhysical{reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}
	off, base := GP64(), GP64()
	MOVQ(U32(64), off)
	SUBQ(rem, off)
	LEAQ(tab.Offset(aeMaskTab), base)
	for q, m := range tails {
		VMOVDQU(Mem{Base: base, Index: off, Scale: 4, Disp: 32 * q}, m)
	}
	// eight bytes of lane bits into g[0], stored
	bits := func(lanes func(q int) reg.VecPhysical) {
		for q := range 8 {
			v := lanes(q)
			dst := g[0]
			if q > 0 {
				dst = g[1+q%3]
			}
			VMOVMSKPS(v, dst.As32())
			if q > 0 {
				SHLQ(U8(8*q), dst)
				ORQ(dst, g[0])
			}
		}
	}
	cnt := GP64()
	Label("row")
	MOVQ(full, cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef("tail"))
	Label("word")
	bits(func(q int) reg.VecPhysical {
		v := tmps[q%len(tmps)]
		if acc != nil {
			VFMADD231PS(Mem{Base: y, Disp: 32 * q}, zero, acc[q%4])
		}
		VCMPPS(U8(pred), Mem{Base: y, Disp: 32 * q}, zero, v)
		return v
	})
	MOVQ(g[0], Mem{Base: code})
	ADDQ(U8(8), code)
	ADDQ(U32(256), y)
	DECQ(cnt)
	JNZ(LabelRef("word"))
	Label("tail")
	TESTQ(rem, rem)
	JZ(LabelRef("next"))
	bits(func(q int) reg.VecPhysical {
		v := tmps[q%len(tmps)]
		VMASKMOVPS(Mem{Base: y, Disp: 32 * q}, tails[q], v)
		if acc != nil {
			VFMADD231PS(v, zero, acc[q%4])
		}
		VCMPPS(U8(pred), v, zero, v)
		return v
	})
	ANDQ(remMask, g[0]) // masked-off lanes loaded as 0
	MOVQ(g[0], Mem{Base: code})
	ADDQ(U8(8), code)
	LEAQ(Mem{Base: y, Index: rem, Scale: 4}, y)
	Label("next")
	DECQ(rows)
	JNZ(LabelRef("row"))
}

// emitAEUnpack writes unpack (or unpackTernary) for the ISA.
func emitAEUnpack(i isa, ternary bool, tab Mem) {
	name, twin := "unpack", "unpackGo"
	sig := "func(code *uint64, rows, n int, out *float32)"
	what := "out_j = +1 if bit j of the row's code is set, else −1"
	if ternary {
		name, twin = "unpackTernary", "unpackTernaryGo"
		sig = "func(code, nz *uint64, rows, n int, out *float32)"
		what = "out_j = 0 if bit j of nz is clear, else ±1 as unpack"
	}
	fn := name + i.name
	TEXT(fn, NOSPLIT, sig)
	Doc(fmt.Sprintf("%s is %s (contract in kernel.go) in %s:", fn, twin, i.name),
		what+"; 1 ≤ rows, 1 ≤ n.")
	Pragma("noescape")
	code, rows, n, out := GP64(), GP64(), GP64(), GP64()
	Load(Param("code"), code)
	Load(Param("rows"), rows)
	Load(Param("n"), n)
	Load(Param("out"), out)
	var nz reg.GPVirtual
	if ternary {
		nz = GP64()
		Load(Param("nz"), nz)
	}
	// row stride of the codes in bytes: 8·⌈n/64⌉
	stride := GP64()
	LEAQ(Mem{Base: n, Disp: 63}, stride)
	SHRQ(U8(6), stride)
	SHLQ(U8(3), stride)
	lanes := i.vbytes / 4
	full, rem := GP64(), GP64()
	MOVQ(n, full)
	SHRQ(U8(log2(lanes)), full)
	MOVQ(n, rem)
	ANDQ(U8(lanes-1), rem)
	cp, zp, cnt := GP64(), GP64(), GP64()
	// one group of lanes: the bits at (cp) and (zp) to values in v
	var group func(v reg.VecPhysical)
	var storeTail func(v reg.VecPhysical)
	if i.evex {
		plus, minus := reg.Z30, reg.Z31
		VBROADCASTSS(tab.Offset(aeOne), plus)
		VBROADCASTSS(tab.Offset(aeMinusOne), minus)
		t := GP64()
		MOVQ(rem, reg.RCX)
		MOVQ(U32(1), t)
		SHLQ(reg.CL, t)
		DECQ(t)
		KMOVW(t.As32(), reg.K7)
		group = func(v reg.VecPhysical) {
			KMOVW(Mem{Base: cp}, reg.K1)
			VBLENDMPS(plus, minus, reg.K1, v)
			if ternary {
				KMOVW(Mem{Base: zp}, reg.K2)
				VMOVUPS_Z(v, reg.K2, v)
			}
		}
		storeTail = func(v reg.VecPhysical) { VMOVUPS(v, reg.K7, Mem{Base: out}) }
	} else {
		plus, minus, weights, tail := reg.Y13, reg.Y14, reg.Y15, reg.Y12
		VMOVUPS(tab.Offset(aeOne), plus)
		VMOVUPS(tab.Offset(aeMinusOne), minus)
		VMOVDQU(tab.Offset(aeWeights), weights)
		off, base := GP64(), GP64()
		MOVQ(U32(64), off)
		SUBQ(rem, off)
		LEAQ(tab.Offset(aeMaskTab), base)
		VMOVDQU(Mem{Base: base, Index: off, Scale: 4}, tail)
		group = func(v reg.VecPhysical) {
			m := reg.Y0
			VPBROADCASTB(Mem{Base: cp}, m)
			VPAND(weights, m, m)
			VPCMPEQD(weights, m, m)
			VBLENDVPS(m, plus, minus, v)
			if ternary {
				VPBROADCASTB(Mem{Base: zp}, m)
				VPAND(weights, m, m)
				VPCMPEQD(weights, m, m)
				VANDPS(m, v, v)
			}
		}
		storeTail = func(v reg.VecPhysical) { VMASKMOVPS(v, tail, Mem{Base: out}) }
	}
	step := lanes / 8 // bytes of bits a group
	v := reg.Y1
	if i.evex {
		v = reg.Z1
	}
	Label("row")
	MOVQ(code, cp)
	if ternary {
		MOVQ(nz, zp)
	}
	MOVQ(full, cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef("tail"))
	Label("group")
	group(v)
	VMOVUPS(v, Mem{Base: out})
	ADDQ(U8(i.vbytes), out)
	ADDQ(U8(step), cp)
	if ternary {
		ADDQ(U8(step), zp)
	}
	DECQ(cnt)
	JNZ(LabelRef("group"))
	Label("tail")
	TESTQ(rem, rem)
	JZ(LabelRef("next"))
	group(v)
	storeTail(v)
	LEAQ(Mem{Base: out, Index: rem, Scale: 4}, out)
	Label("next")
	ADDQ(stride, code)
	if ternary {
		ADDQ(stride, nz)
	}
	DECQ(rows)
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}
