package main

import (
	"fmt"
	"slices"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The kernel loops (contract in rff/kernel.go):
//
//	for each group of F vectors of frequencies (a part of a 16-frequency
//	block, one block, or two blocks):
//	    acc = 0
//	    for each tile of R rows, then each remaining row:
//	        t[r][f] = xi[f] + Σ_k x[r][k]·ω_k[f]  (x broadcast, FMA)
//	        s, c = sincos(t[r][f])
//	        accS[f] += w[r]·s; accC[f] += w[r]·c
//	    c[f] += accC[f]; s[f] += accS[f]    (float32 converted to float64)
//
// All of a tile's phases, and the accumulators, stay in registers.

// tile is a register tile: R rows × F vectors of frequencies, with the
// first Consts of the sincos constants held in registers, and the sincos
// of I vectors at a time interleaved. Registers: R·F phases, 2F sums, 3I
// sincos temporaries and Consts must fit (32 zmm, 16 ymm); R·F ≥ 8 keeps
// two FMAs per cycle on the phase chains when d is large. R ∈ {1…4, 8}.
type tile struct{ R, F, Consts, I int }

// tileFor picks the tile by dimension: the first whose dmin ≤ d.
type tileFor struct {
	dmin int
	tile
}

// kernelRegs are the general-purpose registers live through the loops.
type kernelRegs struct {
	j       reg.GPVirtual    // first frequency of the current group
	ds, ds3 reg.GPVirtual    // row stride d·size in bytes, and 3·stride
	obs     reg.GPVirtual    // block stride of om in bytes: 16·d·size
	omg     reg.GPVirtual    // om of the current group
	xp, wp  reg.GPVirtual    // current row of x, of w
	rem     reg.GPVirtual    // rows left
	xq      reg.GPVirtual    // xp + 3 rows, for tiles of more than 3 rows
	accS    []reg.VecVirtual // sums of the group, per vector
	accC    []reg.VecVirtual
}

// emitKernel writes one kernel function, choosing among tiles by d at
// entry (tiles sorted by decreasing dmin, the last with dmin 1).
func (k *kern) emitKernel(twin string, tiles []tileFor) {
	TEXT(k.funcName(), NOSPLIT, fmt.Sprintf(
		"func(x, w *%[1]s, n, d int, om, xi *%[1]s, nb int, c, s *float64)", k.goType))
	Doc(fmt.Sprintf("%s is the %s kernel on %s, its pure-Go twin %s", k.funcName(), k.isa.name, k.goType, twin),
		"(contract in kernel.go): n = len(w) rows, nb = len(xi)/16 blocks.")
	Pragma("noescape")

	tiles = slices.Clone(tiles)
	slices.SortFunc(tiles, func(a, b tileFor) int { return b.dmin - a.dmin })
	d := Load(Param("d"), GP64())
	for i, t := range tiles[:len(tiles)-1] {
		CMPQ(d, Imm(uint64(t.dmin)))
		JGE(LabelRef(k.label(i, "start")))
	}
	for i := len(tiles) - 1; i >= 0; i-- {
		Label(k.label(i, "start"))
		k.tileVariant(i, tiles[i].tile)
	}
}

func (k *kern) label(variant int, what string) string {
	return fmt.Sprintf("v%d_%s", variant, what)
}

// tileVariant is the whole kernel for one tile shape.
func (k *kern) tileVariant(v int, t tile) {
	Commentf("tile %d rows × %d vectors", t.R, t.F)
	g := &kernelRegs{j: GP64(), ds: GP64(), obs: GP64()}
	Load(Param("d"), g.ds)
	SHLQ(Imm(uint64(log2(k.size))), g.ds)
	MOVQ(g.ds, g.obs)
	SHLQ(U8(4), g.obs)
	if t.R > 3 {
		g.ds3 = GP64()
		LEAQ(Mem{Base: g.ds, Index: g.ds, Scale: 2}, g.ds3)
	}
	XORQ(g.j, g.j)
	k.holdConsts(t.Consts)
	freqs := t.F * k.lanes
	if freqs > blockFreqs {
		// pairs of blocks, then the last block if nb is odd
		k.pass(v, "pair", g, t, true)
		k.pass(v, "one", g, tile{R: t.R, F: t.F / 2, Consts: t.Consts, I: t.I}, false)
	} else {
		k.pass(v, "all", g, t, false)
	}
	VZEROUPPER()
	RET()
}

const blockFreqs = 16

// pass runs groups of t.F vectors from frequency j until the end of the
// blocks (pairs: until the last even block).
func (k *kern) pass(v int, name string, g *kernelRegs, t tile, pairs bool) {
	pfx := fmt.Sprintf("v%d_%s_", v, name)
	freqs := t.F * k.lanes

	Label(pfx + "group")
	end := GP64()
	Load(Param("nb"), end)
	if pairs {
		ANDQ(I32(-2), end)
	}
	SHLQ(U8(4), end)
	CMPQ(g.j, end)
	JGE(LabelRef(pfx + "done"))

	// om of the group: om + (j/16)·block stride + (j%16)·size
	g.omg = GP64()
	MOVQ(g.j, g.omg)
	SHRQ(U8(4), g.omg)
	IMULQ(g.obs, g.omg)
	ADDQ(Load(Param("om"), GP64()), g.omg)
	if freqs < blockFreqs {
		within := GP64()
		MOVQ(g.j, within)
		ANDQ(U8(blockFreqs-1), within)
		LEAQ(Mem{Base: g.omg, Index: within, Scale: uint8(k.size)}, g.omg)
	}

	g.accS, g.accC = make([]reg.VecVirtual, t.F), make([]reg.VecVirtual, t.F)
	for f := range t.F {
		g.accS[f], g.accC[f] = k.vec(), k.vec()
		k.zero(g.accS[f])
		k.zero(g.accC[f])
	}
	g.xp, g.wp, g.rem = GP64(), GP64(), GP64()
	Load(Param("x"), g.xp)
	Load(Param("w"), g.wp)
	Load(Param("n"), g.rem)

	if t.R > 1 {
		Label(pfx + "tile")
		CMPQ(g.rem, U8(t.R))
		JL(LabelRef(pfx + "tail"))
		k.rows(g, t)
		SUBQ(U8(t.R), g.rem)
		JMP(LabelRef(pfx + "tile"))
		Label(pfx + "tail")
		TESTQ(g.rem, g.rem)
		JZ(LabelRef(pfx + "flush"))
	}
	Label(pfx + "row")
	k.rows(g, tile{R: 1, F: t.F, Consts: t.Consts, I: t.I})
	DECQ(g.rem)
	JNZ(LabelRef(pfx + "row"))

	Label(pfx + "flush")
	k.flush(g)
	ADDQ(U8(freqs), g.j)
	JMP(LabelRef(pfx + "group"))
	Label(pfx + "done")
}

// rows processes t.R rows from xp, wp, then advances xp and wp past them.
func (k *kern) rows(g *kernelRegs, t tile) {
	Commentf("%d row(s) × %d vector(s): phases", t.R, t.F)
	xi := Load(Param("xi"), GP64())
	ph := make([][]reg.VecVirtual, t.R)
	for r := range ph {
		ph[r] = make([]reg.VecVirtual, t.F)
		for f := range ph[r] {
			ph[r][f] = k.vec()
			k.movu(Mem{Base: xi, Index: g.j, Scale: uint8(k.size), Disp: f * k.vbytes}, ph[r][f])
		}
	}
	if t.R > 3 {
		g.xq = GP64()
		LEAQ(Mem{Base: g.xp, Index: g.ds3, Scale: 1}, g.xq)
	}
	op := GP64()
	MOVQ(g.omg, op)
	kc := Load(Param("d"), GP64())
	k.loops++
	loop := fmt.Sprintf("k%d", k.loops)
	Label(loop)
	om := make([]reg.VecVirtual, t.F)
	for f := range om {
		om[f] = k.vec()
		k.movu(k.omAddr(g, op, f), om[f])
	}
	for r := range t.R {
		// One vector per row: FMA with x broadcast from memory. Several:
		// broadcast x once into a register (fewer loads).
		if k.evex && t.F == 1 {
			for f := range t.F {
				k.fma231B(k.rowAddr(g, r), om[f], ph[r][f])
			}
			continue
		}
		xb := k.vec()
		k.bcast(k.rowAddr(g, r), xb)
		for f := range t.F {
			k.fma231(om[f], xb, ph[r][f])
		}
	}
	ADDQ(U8(k.size), g.xp)
	if t.R > 3 {
		ADDQ(U8(k.size), g.xq)
	}
	ADDQ(U8(blockFreqs*k.size), op)
	DECQ(kc)
	JNZ(LabelRef(loop))

	Commentf("%d row(s) × %d vector(s): sincos, accumulate", t.R, t.F)
	// The tile's vectors in row order, with their row's weight and sums.
	var (
		ts         vecs
		ws         []Mem
		accS, accC vecs
	)
	for r := range t.R {
		for f := range t.F {
			ts = append(ts, ph[r][f])
			ws = append(ws, Mem{Base: g.wp, Disp: r * k.size})
			accS, accC = append(accS, g.accS[f]), append(accC, g.accC[f])
		}
	}
	step := max(t.I, 1)
	for i := 0; i < len(ts); i += step {
		e := min(i+step, len(ts))
		k.sincosAcc(ts[i:e], func(j int) Mem { return ws[i+j] }, accS[i:e], accC[i:e])
	}

	// xp has moved one row (the k loop), xq to row 4; go to row R.
	switch {
	case t.R == 1:
	case t.R < 4:
		LEAQ(Mem{Base: g.xp, Index: g.ds, Scale: uint8(t.R - 1)}, g.xp)
	case t.R == 4:
		MOVQ(g.xq, g.xp)
	case t.R == 8:
		LEAQ(Mem{Base: g.xq, Index: g.ds, Scale: 4}, g.xp)
	default:
		panic(fmt.Sprintf("tile of %d rows", t.R))
	}
	ADDQ(U8(t.R*k.size), g.wp)
}

// rowAddr is x[row r][k] for the current k, given xp at row 0 and
// xq = xp + 3 rows.
func (k *kern) rowAddr(g *kernelRegs, r int) Mem {
	switch r {
	case 0:
		return Mem{Base: g.xp}
	case 1, 2:
		return Mem{Base: g.xp, Index: g.ds, Scale: uint8(r)}
	case 3:
		return Mem{Base: g.xq}
	case 4:
		return Mem{Base: g.xp, Index: g.ds, Scale: 4}
	case 5:
		return Mem{Base: g.xq, Index: g.ds, Scale: 2}
	case 6:
		return Mem{Base: g.xq, Index: g.ds3, Scale: 1}
	case 7:
		return Mem{Base: g.xq, Index: g.ds, Scale: 4}
	}
	panic(fmt.Sprintf("row %d", r))
}

// omAddr is ω of vector f of the group for the current k (op): vectors
// past the first block are one block stride further.
func (k *kern) omAddr(g *kernelRegs, op reg.GPVirtual, f int) Mem {
	first := f * k.lanes
	m := Mem{Base: op, Disp: first % blockFreqs * k.size}
	if first >= blockFreqs {
		m.Index, m.Scale = g.obs, 1
	}
	return m
}

// flush adds the accumulators into c and s (float64), converting float32.
func (k *kern) flush(g *kernelRegs) {
	Comment("flush the sums into c, s")
	for _, out := range []struct {
		param string
		acc   []reg.VecVirtual
	}{{"c", g.accC}, {"s", g.accS}} {
		base := Load(Param(out.param), GP64())
		for f, acc := range out.acc {
			at := Mem{Base: base, Index: g.j, Scale: 8, Disp: f * k.lanes * 8}
			if k.size == 8 {
				VADDPD(at, acc, acc)
				VMOVUPD(acc, at)
				continue
			}
			// float32: the low half, then the high half, widened
			lo, hi := k.vec(), k.vec()
			if k.evex {
				VCVTPS2PD(acc.AsY(), lo)
				VEXTRACTF64X4(U8(1), acc, hi.AsY())
				VCVTPS2PD(hi.AsY(), hi)
			} else {
				VCVTPS2PD(acc.AsX(), lo)
				VEXTRACTF128(U8(1), acc, hi.AsX())
				VCVTPS2PD(hi.AsX(), hi)
			}
			half := k.vbytes
			VADDPD(at, lo, lo)
			VMOVUPD(lo, at)
			at.Disp += half
			VADDPD(at, hi, hi)
			VMOVUPD(hi, at)
		}
	}
}

func log2(n int) int {
	l := 0
	for ; n > 1; n >>= 1 {
		l++
	}
	return l
}
