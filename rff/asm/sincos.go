package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The vector sincos, in three steps shared by both ISAs and both element
// types: reduce, poly, fixQuadrant. Each works on several independent
// vectors at once, one instruction for each in turn, so that their
// dependency chains overlap without relying on a deep out-of-order window.
// At most four vector registers per vector are live at any point, counting
// its phase.

// vecs is a set of independent vectors processed together.
type vecs []reg.VecVirtual

func (k *kern) vecs(n int) vecs {
	v := make(vecs, n)
	for i := range v {
		v[i] = k.vec()
	}
	return v
}

// reduce replaces t by r = t − q·π/2, q = round(t·2/π), and returns qm, the
// sum t·2/π + magic whose low mantissa bits hold q (two's complement).
func (k *kern) reduce(t vecs) (qm vecs) {
	qm, q := k.vecs(len(t)), k.vecs(len(t))
	for i := range t {
		k.setC(cMagic, qm[i])
	}
	for i := range t {
		k.fmaC(cTwoOverPi, t[i], qm[i]) // qm = t·2/π + magic: rounds to an integer
	}
	for i := range t {
		k.subC(cMagic, qm[i], q[i]) // q = round(t·2/π), exactly
	}
	// Cody–Waite: the first two products are exact.
	for _, c := range []konst{cPio2a, cPio2b, cPio2c} {
		for i := range t {
			k.fnmaC(c, q[i], t[i])
		}
	}
	return qm
}

// poly evaluates the minimax polynomials on r ∈ [−π/4, π/4]: sn (in place
// of r) = r + r·z·P(z), and cs = 1 + z·(−½ + z·Q(z)), z = r². Same
// coefficients as the twin; the cos is Horner all the way (one FMA fewer
// than 1 − z/2 + z²·Q), within an ulp of the twin's form.
func (k *kern) poly(r vecs) (cs vecs) {
	z, p := k.vecs(len(r)), k.vecs(len(r))
	for i := range r {
		k.mul(r[i], r[i], z[i])
	}
	k.horner(cSin1, k.sc.sinDeg(), z, p)
	for i := range r {
		k.mul(z[i], p[i], p[i]) // p = z·P(z)
	}
	for i := range r {
		k.fma231(p[i], r[i], r[i]) // sn = r·(z·P) + r
	}
	cs = k.vecs(len(r))
	k.horner(cCos1, k.sc.cosDeg(), z, cs)
	for _, c := range []konst{cMinusHalf, cOne} {
		for i := range r {
			k.hornerC(c, z[i], cs[i])
		}
	}
	return cs
}

// horner sets p = c[0] + z·(c[1] + z·(… + z·c[deg−1])), the constants at
// c0, c0+1, ….
func (k *kern) horner(c0 konst, deg int, z, p vecs) {
	top := c0 + konst(deg) - 1
	for i := range p {
		k.setC(top-1, p[i])
	}
	for i := range p {
		k.fmaC(top, z[i], p[i])
	}
	for id := top - 2; id >= c0; id-- {
		for i := range p {
			k.hornerC(id, z[i], p[i])
		}
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
	odd, neg, negC := K(), K(), K()
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

// sincosAcc consumes the phases t and adds w·sin t, w·cos t to the sums:
// accS[i] += w(i)·sin t[i], accC[i] likewise, w(i) a scalar in memory.
func (k *kern) sincosAcc(t vecs, w func(i int) Mem, accS, accC vecs) {
	qm := k.reduce(t)
	cs := k.poly(t)
	for i := range t {
		s, c := k.fixQuadrant(qm[i], t[i], cs[i])
		if k.evex {
			k.fma231B(w(i), s, accS[i])
			k.fma231B(w(i), c, accC[i])
			continue
		}
		wv := k.vec()
		k.bcast(w(i), wv)
		k.fma231(wv, s, accS[i])
		k.fma231(wv, c, accC[i])
	}
}
