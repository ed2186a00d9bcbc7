package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The feature kernels (contract in rff/features.go): the sketch kernel's
// phases and sincos, stored per row instead of summed.
//
//	for each row:
//	    X_k = broadcast x[k]
//	    for each vector of frequencies: t = ξ + Σ_k X_k·ω_k
//	        out[row][j] = cos t;  out[row][mp + j] = sin t
//
// For d ≤ featRegDims the broadcasts X_k stay in registers (one variant per
// d, k unrolled); larger d broadcast x_k from memory in a loop over k.

func (k *kern) featRegDims() int {
	if k.evex {
		return 16
	}
	return 6
}

func (k *kern) featFuncName() string { return fmt.Sprintf("feat%s%s", k.elem.name, k.isa.name) }

// emitFeatures writes one feature kernel: a jump by d to its register
// variant, or the general one.
func (k *kern) emitFeatures(twin string) {
	TEXT(k.featFuncName(), NOSPLIT, fmt.Sprintf(
		"func(x *%[1]s, n, d int, om, xi *%[1]s, nb int, out *%[1]s, ld int)", k.goType))
	Doc(fmt.Sprintf("%s is the %s feature kernel on %s, its pure-Go twin %s", k.featFuncName(), k.isa.name, k.goType, twin),
		"(contract in features.go): n rows, nb = len(xi)/16 blocks, out rows ld elements apart.")
	Pragma("noescape")
	byDim(k.featRegDims(), k.featVariant)
}

// featVariant is the whole kernel for d = D, or any d when D = 0.
func (k *kern) featVariant(D int) {
	pfx := fmt.Sprintf("d%d_", D)
	Commentf("features, d = %d (0: any d)", D)
	xp, op, rem, obs := GP64(), GP64(), loadGP("n"), loadGP("d")
	Load(Param("x"), xp)
	SHLQ(Imm(uint64(log2(k.size)+4)), obs) // ω block stride: 16·d·size
	outp, lds, sinOff := loadGP("out"), loadGP("ld"), loadGP("nb")
	SHLQ(Imm(uint64(log2(k.size))), lds)
	SHLQ(Imm(uint64(log2(k.size)+4)), sinOff) // mp·size: where the sines start
	I := k.vjpInterleave()
	regs := 32
	if !k.evex {
		regs = 16
	}
	k.holdConsts(max(0, regs-D-6*I-1))

	Label(pfx + "row")
	var X []reg.VecVirtual
	for kk := range D {
		X = append(X, k.vec())
		k.bcast(Mem{Base: xp, Disp: kk * k.size}, X[kk])
	}
	lp, cnt, xi := GP64(), loadGP("nb"), loadGP("xi")
	Load(Param("om"), op)
	XORQ(lp, lp)
	main, tail := k.vjpGroups()
	group := func(grp vjpGroup) {
		for c := 0; c < len(grp.vecs); c += I {
			refs := grp.vecs[c:min(c+I, len(grp.vecs))]
			t := k.vecs(len(refs))
			for i, r := range refs {
				k.movu(Mem{Base: xi, Index: lp, Scale: 1, Disp: r.lin}, t[i])
			}
			om := func(r vjpRef, base reg.GPVirtual, kk int) Mem {
				m := Mem{Base: base, Disp: r.disp + kk*blockFreqs*k.size}
				if r.nextBlock {
					m.Index, m.Scale = obs, 1
				}
				return m
			}
			if D > 0 {
				for kk := range D {
					for i, r := range refs {
						k.fma231(om(r, op, kk), X[kk], t[i])
					}
				}
			} else {
				opk, kc, xk := GP64(), loadGP("d"), GP64()
				MOVQ(op, opk)
				MOVQ(xp, xk)
				k.loops++
				loop := fmt.Sprintf("%sk%d", pfx, k.loops)
				Label(loop)
				xb := k.vec()
				k.bcast(Mem{Base: xk}, xb)
				for i, r := range refs {
					k.fma231(om(r, opk, 0), xb, t[i])
				}
				ADDQ(U8(k.size), xk)
				ADDQ(U8(blockFreqs*k.size), opk)
				DECQ(kc)
				JNZ(LabelRef(loop))
			}
			qm := k.reduce(t)
			cs := k.poly(t)
			// Output of this group: out row + lp + lin (cos), + sinOff (sin).
			base := GP64()
			LEAQ(Mem{Base: outp, Index: lp, Scale: 1}, base)
			for i, r := range refs {
				s, c := k.fixQuadrant(qm[i], t[i], cs[i])
				k.movu(c, Mem{Base: base, Disp: r.lin})
				k.movu(s, Mem{Base: base, Index: sinOff, Scale: 1, Disp: r.lin})
			}
		}
		for range grp.blocks {
			ADDQ(obs, op)
		}
		ADDQ(Imm(uint64(grp.blocks*blockFreqs*k.size)), lp)
		SUBQ(Imm(uint64(grp.blocks)), cnt)
	}
	Label(pfx + "group")
	CMPQ(cnt, Imm(uint64(main.blocks)))
	JL(LabelRef(pfx + "tail"))
	group(main)
	JMP(LabelRef(pfx + "group"))
	Label(pfx + "tail")
	if tail != nil {
		TESTQ(cnt, cnt)
		JZ(LabelRef(pfx + "next"))
		group(*tail)
	}
	Label(pfx + "next")
	if D > 0 {
		ADDQ(U8(D*k.size), xp)
	} else {
		dd := loadGP("d")
		LEAQ(Mem{Base: xp, Index: dd, Scale: uint8(k.size)}, xp)
	}
	ADDQ(lds, outp)
	DECQ(rem)
	JNZ(LabelRef(pfx + "row"))
	VZEROUPPER()
	RET()
}
