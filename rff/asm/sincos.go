package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The vector sincos, in three steps shared by both ISAs and both element
// types: reduce, polynomials, fixQuadrant. At most four vector registers
// are live at any point, counting t (AVX2 has only sixteen).

// reduce replaces t by r = t − q·π/2, q = round(t·2/π), and returns qm, the
// sum t·2/π + magic whose low mantissa bits hold q (two's complement).
func (k *kern) reduce(t reg.VecVirtual) (qm reg.VecVirtual) {
	qm = k.vec()
	k.setC(cMagic, qm)
	k.fmaC(cTwoOverPi, t, qm) // qm = t·2/π + magic: rounds to an integer
	q := k.vec()
	k.subC(cMagic, qm, q) // q = round(t·2/π), exactly
	k.fnmaC(cPio2a, q, t) // Cody–Waite: the first two products are exact
	k.fnmaC(cPio2b, q, t)
	k.fnmaC(cPio2c, q, t)
	return qm
}

// poly evaluates the minimax polynomials on r ∈ [−π/4, π/4]: sn (in place
// of r) = r + r·z·P(z), and cs = 1 + z·(−½ + z·Q(z)), z = r². Same
// coefficients as the twin; the cos is Horner all the way (one FMA fewer
// than 1 − z/2 + z²·Q), within an ulp of the twin's form.
func (k *kern) poly(r reg.VecVirtual) (cs reg.VecVirtual) {
	z := k.vec()
	k.mul(r, r, z)

	p := k.vec()
	k.horner(cSin1, k.sc.sinDeg(), z, p)
	k.mul(z, p, p)    // p = z·P(z)
	k.fma231(p, r, r) // sn = r·(z·P) + r

	cs = k.vec()
	k.horner(cCos1, k.sc.cosDeg(), z, cs)
	k.hornerC(cMinusHalf, z, cs)
	k.hornerC(cOne, z, cs)
	return cs
}

// horner sets p = c[0] + z·(c[1] + z·(… + z·c[deg−1])), the constants at
// c0, c0+1, ….
func (k *kern) horner(c0 konst, deg int, z, p reg.VecVirtual) {
	top := c0 + konst(deg) - 1
	k.setC(top-1, p)
	k.fmaC(top, z, p)
	for id := top - 2; id >= c0; id-- {
		k.hornerC(id, z, p)
	}
}

// fixQuadrant turns sin and cos of r into sin and cos of t = r + q·π/2:
// odd q swaps them, bit 1 of q negates sin, bit 1 of q+1 negates cos. The
// results are returned in new registers (the inputs may be clobbered).
func (k *kern) fixQuadrant(qm, sn, cs reg.VecVirtual) (s, c reg.VecVirtual) {
	if k.evex {
		return k.fixQuadrantMasks(qm, sn, cs)
	}
	return k.fixQuadrantBlendv(qm, sn, cs)
}

// fixQuadrantMasks: AVX-512, the quadrant bits as opmasks. The results go
// to qm and cs: avo takes a blend's destination for an input, so it must
// hold a value already.
func (k *kern) fixQuadrantMasks(qm, sn, cs reg.VecVirtual) (s, c reg.VecVirtual) {
	odd, neg, negC := reg.K1, reg.K2, reg.K3
	k.testC(cIntOne, qm, odd) // q odd
	k.testC(cIntTwo, qm, neg) // bit 1 of q
	KXORW(odd, neg, negC)     // bit 1 of q+1 = bit 1 ⊕ bit 0
	s, c = qm, cs
	k.blendm(cs, sn, odd, s)       // s = odd ? cs : sn
	k.blendm(sn, cs, odd, c)       // c = odd ? sn : cs
	k.xorMaskedC(cSignBit, neg, s) // merge-masked: flip where neg
	k.xorMaskedC(cSignBit, negC, c)
	return s, c
}

// fixQuadrantBlendv: AVX2, the quadrant bits shifted into sign bits. The
// signs are fixed before the swap: sin takes bit 1 of q+1 and cos bit 1 of
// q, which after an odd-q swap is what each result needs.
func (k *kern) fixQuadrantBlendv(qm, sn, cs reg.VecVirtual) (s, c reg.VecVirtual) {
	signBits := k.elem.size*8 - 1
	neg := k.vec()
	k.shl(Imm(uint64(signBits-1)), qm, neg) // bit 1 of q → sign bit
	and, sign := k.form(cSignBit, k.and, nil)
	and(sign, neg, neg)
	k.xor(neg, cs, cs)
	k.shl(Imm(uint64(signBits)), qm, qm) // bit 0 → sign bit, rest zero
	k.xor(qm, neg, neg)                  // bit 1 of q+1
	k.xor(neg, sn, sn)
	k.blendv(qm, cs, sn, neg) // s = odd ? cs : sn
	k.blendv(qm, sn, cs, qm)  // c = odd ? sn : cs
	return neg, qm
}

// sincos consumes t and returns sin t and cos t.
func (k *kern) sincos(t reg.VecVirtual) (s, c reg.VecVirtual) {
	qm := k.reduce(t)
	cs := k.poly(t)
	return k.fixQuadrant(qm, t, cs)
}
