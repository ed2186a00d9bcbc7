package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The VJP kernels (contract in rff/vjp.go), frequencies in lanes like the
// sketch kernels:
//
//	for each row:
//	    X_k = broadcast x[k]; V = 0; G_k = 0
//	    for each vector of frequencies (ω packed in blocks of 16):
//	        t = ξ + Σ_k X_k·ω_k;  s, c = sincos(t)
//	        V += a·c + b·s;  h = b·c − a·s;  G_k += h·ω_k
//	    v[row] += Σ lanes of V;  g[row][k] += Σ lanes of G_k   (in float64)
//
// For d ≤ vjpRegDims the broadcasts X_k and the sums G_k stay in registers,
// with the loops unrolled over k (one variant per d); larger d keep G_k in
// the caller's scratch gs and loop over k.

// vjpRegDims is the largest d with register sums, by ISA: 2d+1 registers
// for X, G and V, the rest for the sincos of vjpInterleave vectors.
func (k *kern) vjpRegDims() int {
	if k.evex {
		return 8
	}
	return 4
}

// vjpInterleave is the number of frequency vectors whose sincos run
// together.
func (k *kern) vjpInterleave() int {
	if k.evex {
		return 2
	}
	return 1
}

func (k *kern) vjpFuncName() string { return fmt.Sprintf("vjp%s%s", k.elem.name, k.isa.name) }

// vjpRef is one vector of frequencies within a group: its ω at the group's
// ω pointer + disp (+ the block stride when nextBlock), its ξ, a and b at
// the group's offset + lin.
type vjpRef struct {
	disp      int
	nextBlock bool
	lin       int
}

// vjpGroup is the unit of the frequency loop: the vectors it covers, and
// how far it advances ω (in blocks) and ξ, a, b (in bytes).
type vjpGroup struct {
	vecs   []vjpRef
	blocks int
}

// vjpGroups returns the main group and, for AVX-512 float32 (one vector is
// a whole block, and pairs of blocks interleave), the tail group for an
// odd block count.
func (k *kern) vjpGroups() (main vjpGroup, tail *vjpGroup) {
	perBlock := blockFreqs / k.lanes
	if perBlock == 1 {
		main = vjpGroup{vecs: []vjpRef{{0, false, 0}, {0, true, k.vbytes}}, blocks: 2}
		return main, &vjpGroup{vecs: []vjpRef{{0, false, 0}}, blocks: 1}
	}
	main.blocks = 1
	for u := range perBlock {
		main.vecs = append(main.vecs, vjpRef{u * k.vbytes, false, u * k.vbytes})
	}
	return main, nil
}

// vjpRegs are the general-purpose registers of the loops.
type vjpRegs struct {
	xp, vp, gp, rem reg.GPVirtual // current row of x, v, g; rows left
	op, lp, cnt     reg.GPVirtual // ω of the group, byte offset into ξ/a/b, blocks left
	obs             reg.GPVirtual // block stride of ω: 16·d·size
	xi, a, b        reg.GPVirtual
}

// emitVJP writes one VJP kernel: a jump by d to its register variant, or
// the general one.
func (k *kern) emitVJP(twin string) {
	TEXT(k.vjpFuncName(), NOSPLIT, fmt.Sprintf(
		"func(x *%[1]s, n, d int, om, xi, a, b *%[1]s, nb int, gs *%[1]s, v, gr *float64)", k.goType))
	Doc(fmt.Sprintf("%s is the %s VJP kernel on %s, its pure-Go twin %s", k.vjpFuncName(), k.isa.name, k.goType, twin),
		"(contract in vjp.go): n rows, nb = len(xi)/16 blocks, gs scratch of d·16.")
	Pragma("noescape")
	byDim(k.vjpRegDims(), k.vjpVariant)
}

// byDim jumps by the argument d to variant(d) for d ≤ maxD, whose code it
// emits under the labels d1…, and otherwise to variant(0), the general one.
func byDim(maxD int, variant func(D int)) {
	d := Load(Param("d"), GP64())
	for D := 1; D <= maxD; D++ {
		CMPQ(d, Imm(uint64(D)))
		JEQ(LabelRef(fmt.Sprintf("d%d", D)))
	}
	variant(0)
	for D := 1; D <= maxD; D++ {
		Label(fmt.Sprintf("d%d", D))
		variant(D)
	}
}

// vjpVariant is the whole kernel for d = D (register sums), or for any d
// when D = 0.
func (k *kern) vjpVariant(D int) {
	pfx := fmt.Sprintf("d%d_", D)
	Commentf("VJP, d = %d (0: any d, sums in gs)", D)
	g := &vjpRegs{xp: GP64(), vp: GP64(), gp: GP64(), rem: GP64(), obs: GP64()}
	Load(Param("x"), g.xp)
	Load(Param("v"), g.vp)
	Load(Param("gr"), g.gp)
	Load(Param("n"), g.rem)
	Load(Param("d"), g.obs)
	SHLQ(Imm(uint64(log2(k.size)+4)), g.obs)
	I := k.vjpInterleave()
	regs := 32
	if !k.evex {
		regs = 16
	}
	if D > 0 {
		k.holdConsts(max(0, regs-(2*D+1)-6*I-1))
	} else {
		k.holdConsts(max(0, regs-1-6*I-2))
	}

	Label(pfx + "row")
	var X, G []reg.VecVirtual
	for kk := range D {
		X = append(X, k.vec())
		k.bcast(Mem{Base: g.xp, Disp: kk * k.size}, X[kk])
	}
	for range D {
		gk := k.vec()
		k.zero(gk)
		G = append(G, gk)
	}
	V := k.vec()
	k.zero(V)
	if D == 0 {
		k.vjpClearScratch(pfx)
	}

	g.op, g.lp, g.cnt = GP64(), GP64(), GP64()
	Load(Param("om"), g.op)
	XORQ(g.lp, g.lp)
	Load(Param("nb"), g.cnt)
	g.xi, g.a, g.b = loadGP("xi"), loadGP("a"), loadGP("b")

	main, tail := k.vjpGroups()
	Label(pfx + "group")
	CMPQ(g.cnt, Imm(uint64(main.blocks)))
	JL(LabelRef(pfx + "tail"))
	k.vjpGroup(pfx, g, main, X, G, V, D)
	JMP(LabelRef(pfx + "group"))
	Label(pfx + "tail")
	if tail != nil {
		TESTQ(g.cnt, g.cnt)
		JZ(LabelRef(pfx + "flush"))
		k.vjpGroup(pfx, g, *tail, X, G, V, D)
	}

	Label(pfx + "flush")
	Comment("add the row's sums into v and g, in float64")
	k.hsumAdd(V, Mem{Base: g.vp})
	if D > 0 {
		for kk := range D {
			k.hsumAdd(G[kk], Mem{Base: g.gp, Disp: kk * 8})
		}
		ADDQ(U8(D*k.size), g.xp)
		ADDQ(U8(D*8), g.gp)
	} else {
		k.vjpFlushScratch(pfx, g)
	}
	ADDQ(U8(8), g.vp)
	DECQ(g.rem)
	JNZ(LabelRef(pfx + "row"))
	VZEROUPPER()
	RET()
}

// vjpGroup emits one group of vectors and advances the pointers past it.
func (k *kern) vjpGroup(pfx string, g *vjpRegs, grp vjpGroup, X, G []reg.VecVirtual, V reg.VecVirtual, D int) {
	I := k.vjpInterleave()
	for c := 0; c < len(grp.vecs); c += I {
		refs := grp.vecs[c:min(c+I, len(grp.vecs))]
		Commentf("%d vector(s) of frequencies: phases", len(refs))
		t := k.vecs(len(refs))
		for i, r := range refs {
			k.movu(Mem{Base: g.xi, Index: g.lp, Scale: 1, Disp: r.lin}, t[i])
		}
		om := func(r vjpRef, base reg.GPVirtual, kk int) Mem {
			m := Mem{Base: base, Disp: r.disp + kk*blockFreqs*k.size}
			if r.nextBlock {
				m.Index, m.Scale = g.obs, 1
			}
			return m
		}
		var opk, kc reg.GPVirtual
		if D > 0 {
			for kk := range D {
				for i, r := range refs {
					k.fma231(om(r, g.op, kk), X[kk], t[i])
				}
			}
		} else {
			// t += x_k·ω_k over the row's d values.
			opk, kc = GP64(), loadGP("d")
			xk := GP64()
			MOVQ(g.op, opk)
			MOVQ(g.xp, xk)
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

		Comment("sincos, value and gradient weights")
		qm := k.reduce(t)
		cs := k.poly(t)
		h := make(vecs, len(refs))
		for i, r := range refs {
			s, c := k.fixQuadrant(qm[i], t[i], cs[i])
			am := Mem{Base: g.a, Index: g.lp, Scale: 1, Disp: r.lin}
			bm := Mem{Base: g.b, Index: g.lp, Scale: 1, Disp: r.lin}
			k.fma231(am, c, V) // V += a·c
			k.fma231(bm, s, V) // V += b·s
			h[i] = k.vec()
			k.mul(bm, c, h[i])     // h = b·c
			k.fnma231(am, s, h[i]) // h −= a·s
		}

		Comment("gradient sums: G_k += h·ω_k")
		if D > 0 {
			for kk := range D {
				for i, r := range refs {
					k.fma231(om(r, g.op, kk), h[i], G[kk])
				}
			}
			continue
		}
		gsp, acc := loadGP("gs"), k.vec()
		kc = loadGP("d")
		MOVQ(g.op, opk)
		k.loops++
		loop := fmt.Sprintf("%sk%d", pfx, k.loops)
		Label(loop)
		k.movu(Mem{Base: gsp}, acc)
		for i, r := range refs {
			k.fma231(om(r, opk, 0), h[i], acc)
		}
		k.movu(acc, Mem{Base: gsp})
		ADDQ(U8(k.vbytes), gsp)
		ADDQ(U8(blockFreqs*k.size), opk)
		DECQ(kc)
		JNZ(LabelRef(loop))
	}
	for range grp.blocks {
		ADDQ(g.obs, g.op)
	}
	ADDQ(Imm(uint64(grp.blocks*blockFreqs*k.size)), g.lp)
	SUBQ(Imm(uint64(grp.blocks)), g.cnt)
}

// vjpClearScratch zeroes the d vector sums in gs.
func (k *kern) vjpClearScratch(pfx string) {
	gsp, kc, z := loadGP("gs"), loadGP("d"), k.vec()
	k.zero(z)
	Label(pfx + "clear")
	k.movu(z, Mem{Base: gsp})
	ADDQ(U8(k.vbytes), gsp)
	DECQ(kc)
	JNZ(LabelRef(pfx + "clear"))
}

// vjpFlushScratch adds the lanes of each sum in gs into g[row][k] and
// advances x and g by a row.
func (k *kern) vjpFlushScratch(pfx string, g *vjpRegs) {
	gsp, kc, acc := loadGP("gs"), loadGP("d"), k.vec()
	Label(pfx + "gflush")
	k.movu(Mem{Base: gsp}, acc)
	k.hsumAdd(acc, Mem{Base: g.gp})
	ADDQ(U8(k.vbytes), gsp)
	ADDQ(U8(8), g.gp)
	ADDQ(U8(k.size), g.xp)
	DECQ(kc)
	JNZ(LabelRef(pfx + "gflush"))
}

// hsumAdd adds the sum of acc's lanes, in float64, to the float64 at dst:
// float32 lanes are widened first, then halves are added to halves.
func (k *kern) hsumAdd(acc reg.VecVirtual, dst Mem) {
	var y reg.VecVirtual // four float64 lanes
	switch {
	case k.evex && k.size == 4:
		lo, hi := ZMM(), ZMM()
		VCVTPS2PD(acc.AsY(), lo)
		VEXTRACTF64X4(U8(1), acc, hi.AsY())
		VCVTPS2PD(hi.AsY(), hi)
		VADDPD(hi, lo, lo)
		acc = lo
		fallthrough
	case k.evex:
		t := YMM()
		VEXTRACTF64X4(U8(1), acc, t)
		VADDPD(t, acc.AsY(), t)
		y = t
	case k.size == 4:
		lo, hi := YMM(), YMM()
		VCVTPS2PD(acc.AsX(), lo)
		VEXTRACTF128(U8(1), acc, hi.AsX())
		VCVTPS2PD(hi.AsX(), hi)
		VADDPD(hi, lo, lo)
		y = lo
	default:
		y = acc
	}
	x, t := XMM(), XMM()
	if k.evex {
		VEXTRACTF32X4(U8(1), y, t)
	} else {
		VEXTRACTF128(U8(1), y, t)
	}
	VADDPD(t, y.AsX(), x)
	VPERMILPD(U8(1), x, t)
	VADDSD(t, x, x)
	VADDSD(dst, x, x)
	VMOVSD(x, dst)
}

// loadGP loads the named integer or pointer argument into a new register.
func loadGP(name string) reg.GPVirtual {
	r := GP64()
	Load(Param(name), r)
	return r
}
