package main

import (
	"fmt"
	"math"
	"slices"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The 1-bit kernels of package quant (contract in quant/kernel.go):
//
//	for each group of F vectors of frequencies:
//	    for each tile of R rows, then each remaining row:
//	        u[r][f] = ξ'[f], then u = fma(x[r][k], ω'_k[f], u) for k = 0…d−1
//	        cos bit = |v| < 1/4, sin bit = v > 0, v = u − rint(u)
//	        count: cc[f] += cos bit, cs[f] += sin bit (integer lanes in
//	               registers over all the rows, added to cc, cs at the end)
//	        codes: the bits of row r stored into its code words
//
// The phase loop is the one of the rff kernels (x broadcast, FMA). The
// bits, in every kernel, exactly as the twin computes them:
//
//	r  = rint(u)           VRNDSCALEP? / VROUNDP?, round to nearest even
//	v' = r − u = −v        exact; never −0 (x − x = +0), so its sign bit is
//	                       set exactly when v > 0: the sin bit
//	t  = v'·v' − 1/16      one FMA: the exact value has the sign of
//	                       |v| − 1/4, and one rounding keeps a sign (an
//	                       exact zero is +0): the sign bit of t is the cos bit
//
// Counts shift the sign bits to bit 0 and add them to the counters (no
// opmasks: measured faster on Zen 5 than compares into opmasks and
// merge-masked adds, which compete with the FMAs). Codes move the sign
// bits out as they are: AVX-512 VPMOV?2M into an opmask stored by
// KMOVW/KMOVB, AVX2 VMOVMSKP? into a general register stored by byte.
//
// Tiles were chosen by measurement (BenchmarkKernel in quant, Zen 5):
// the bits cost about as much as a few dimensions, so for small d the
// tiles are short in rows (two) and wide in frequencies (four vectors);
// from d = 32 four rows, which halve the ω' loads per FMA.
var (
	qtilesAVX512F32 = qtiles{
		count: []qtileFor{{32, []qtile{{4, 4}, {4, 1}}}, {1, []qtile{{2, 4}, {2, 1}}}},
		codes: []qtileFor{{32, []qtile{{4, 4}, {4, 1}}}, {1, []qtile{{2, 4}, {2, 1}}}},
	}
	qtilesAVX512F64 = qtiles{
		count: []qtileFor{{32, []qtile{{4, 4}, {4, 2}}}, {1, []qtile{{2, 4}, {2, 2}}}},
		codes: []qtileFor{{32, []qtile{{4, 4}, {4, 2}}}, {1, []qtile{{2, 4}, {2, 2}}}},
	}
	// AVX2: 16 registers hold 8 phases with the counters of 2 vectors.
	qtilesAVX2F32 = qtiles{
		count: []qtileFor{{1, []qtile{{4, 2}}}},
		codes: []qtileFor{{1, []qtile{{2, 4}, {2, 2}}}},
	}
	qtilesAVX2F64 = qtiles{
		count: []qtileFor{{1, []qtile{{4, 2}}}},
		codes: []qtileFor{{1, []qtile{{4, 2}}}},
	}
)

// emitQuantKernels writes the eight kernels of package quant.
func emitQuantKernels() {
	emitQuantConsts(&f32)
	emitQuantConsts(&f64)
	for _, c := range []struct {
		isa   isa
		e     elem
		tiles qtiles
	}{
		{avx512, f32, qtilesAVX512F32},
		{avx512, f64, qtilesAVX512F64},
		{avx2, f32, qtilesAVX2F32},
		{avx2, f64, qtilesAVX2F64},
	} {
		newQKern(c.isa, c.e, false).emitQuant("count"+c.e.name+"Go", c.tiles.count)
		newQKern(c.isa, c.e, true).emitQuant("codes"+c.e.name+"Go", c.tiles.codes)
	}
}

// qkern emits one quantized kernel: an ISA, an element type, and a kind.
type qkern struct {
	*kern
	codes bool
	c16   reg.VecVirtual // 1/16 in every lane (AVX-512; AVX2 reads memory)
}

func newQKern(i isa, e elem, codes bool) *qkern {
	return &qkern{kern: newKern(i, e), codes: codes}
}

// qtile is a register tile of R rows × F vectors of frequencies.
type qtile struct{ R, F int }

// qtileFor lists the passes for d ≥ dmin: each pass runs groups of its F
// vectors while a whole group fits, then hands the rest to the next pass.
// The last pass's group must divide a block, so it ends exactly at 16·nb.
type qtileFor struct {
	dmin   int
	passes []qtile
}

// qtiles are the tiles of the two kernels of an ISA and element type.
type qtiles struct{ count, codes []qtileFor }

// Element forms of the quantized kernels.
type qelem struct {
	rndscale   func(...Op)          // VRNDSCALEP? (AVX-512)
	round      func(i, src, dst Op) // VROUNDP? (AVX2)
	fmsub213   func(...Op)
	mov2m      func(Op, Op) // VPMOV?2M: sign bits to an opmask
	kmov       func(Op, Op) // KMOVW (16 lanes) or KMOVB (8 lanes)
	movmsk     func(Op, Op) // VMOVMSKPS / VMOVMSKPD
	psrl, padd func(...Op)  // integer lanes of the element width
	signShift  int
}

var (
	q32 = qelem{rndscale: VRNDSCALEPS, round: VROUNDPS, fmsub213: VFMSUB213PS,
		mov2m: VPMOVD2M, kmov: KMOVW, movmsk: VMOVMSKPS,
		psrl: VPSRLD, padd: VPADDD, signShift: 31}
	q64 = qelem{rndscale: VRNDSCALEPD, round: VROUNDPD, fmsub213: VFMSUB213PD,
		mov2m: VPMOVQ2M, kmov: KMOVB, movmsk: VMOVMSKPD,
		psrl: VPSRLQ, padd: VPADDQ, signShift: 63}
)

func (k *qkern) q() qelem {
	if k.size == 4 {
		return q32
	}
	return q64
}

// The constant table of the quantized kernels, in 32-byte slots as in
// consts.go: 1/16.
const qcSixteenth = 0

// emitQuantConsts writes the constant table of e and records it in e.tab.
func emitQuantConsts(e *elem) {
	e.tab = GLOBL("quant"+e.name, RODATA|NOPTR)
	for off := 0; off < constStride; off += e.size {
		if e.size == 4 {
			DATA(qcSixteenth*constStride+off, U32(math.Float32bits(1.0/16)))
		} else {
			DATA(qcSixteenth*constStride+off, U64(math.Float64bits(1.0/16)))
		}
	}
}

func (k *qkern) qc(id int) Mem { return k.tab.Offset(id * constStride) }

func (k *qkern) funcName() string {
	kind := "count"
	if k.codes {
		kind = "codes"
	}
	return kind + k.elem.name + k.isa.name
}

// qregs are the general-purpose registers live through the loops.
type qregs struct {
	kernelRegs
	obs3   reg.GPVirtual // 3·obs, for groups of four blocks
	cp, rb reg.GPVirtual // codes: code of the current row in the group, row bytes
	acc    [2][]reg.VecVirtual
}

// emitQuant writes one quantized kernel, choosing its tiles by d at entry.
func (k *qkern) emitQuant(twin string, tiles []qtileFor) {
	sig := "func(x *%[1]s, n, d int, om, xi *%[1]s, nb int, cc, cs *uint32)"
	doc := "(contract in kernel.go): nb = len(xi)/16 blocks; adds into cc, cs."
	if k.codes {
		sig = "func(x *%[1]s, n, d int, om, xi *%[1]s, nb int, code *uint64)"
		doc = "(contract in kernel.go): nb = len(xi)/16 blocks; writes code."
	}
	TEXT(k.funcName(), NOSPLIT, fmt.Sprintf(sig, k.goType))
	Doc(fmt.Sprintf("%s is the %s kernel on %s, its pure-Go twin %s", k.funcName(), k.isa.name, k.goType, twin), doc)
	Pragma("noescape")

	if k.codes {
		k.clearPad()
	}
	tiles = slices.Clone(tiles)
	slices.SortFunc(tiles, func(a, b qtileFor) int { return b.dmin - a.dmin })
	d := Load(Param("d"), GP64())
	for i, t := range tiles[:len(tiles)-1] {
		CMPQ(d, Imm(uint64(t.dmin)))
		JGE(LabelRef(k.label(i, "start")))
	}
	for i := len(tiles) - 1; i >= 0; i-- {
		Label(k.label(i, "start"))
		k.quantVariant(i, tiles[i].passes)
	}
}

// clearPad zeroes the high half of each row's last code word when nb is
// odd: the blocks never write it.
func (k *qkern) clearPad() {
	Comment("odd nb: clear the high half of each row's last word")
	nb := Load(Param("nb"), GP64())
	TESTQ(U32(1), nb)
	JZ(LabelRef("pad_done"))
	rb := GP64()
	LEAQ(Mem{Base: nb, Disp: 1}, rb)
	SHLQ(U8(2), rb) // (nb+1)/2 words = 4·(nb+1) bytes
	p := Load(Param("code"), GP64())
	LEAQ(Mem{Base: p, Index: nb, Scale: 4}, p)
	rem := Load(Param("n"), GP64())
	Label("pad_row")
	MOVL(U32(0), Mem{Base: p})
	ADDQ(rb, p)
	DECQ(rem)
	JNZ(LabelRef("pad_row"))
	Label("pad_done")
}

// quantVariant is the whole kernel for one list of passes.
func (k *qkern) quantVariant(v int, passes []qtile) {
	g := &qregs{}
	g.j, g.ds, g.obs = GP64(), GP64(), GP64()
	Load(Param("d"), g.ds)
	SHLQ(Imm(uint64(log2(k.size))), g.ds)
	MOVQ(g.ds, g.obs)
	SHLQ(U8(4), g.obs)
	rmax, blocks := 0, 0
	for _, p := range passes {
		rmax = max(rmax, p.R)
		blocks = max(blocks, (p.F*k.lanes+blockFreqs-1)/blockFreqs)
	}
	if rmax > 3 {
		g.ds3 = GP64()
		LEAQ(Mem{Base: g.ds, Index: g.ds, Scale: 2}, g.ds3)
	}
	if blocks > 2 {
		g.obs3 = GP64()
		LEAQ(Mem{Base: g.obs, Index: g.obs, Scale: 2}, g.obs3)
	}
	if k.codes {
		g.rb = GP64()
		Load(Param("nb"), g.rb)
		INCQ(g.rb)
		SHRQ(U8(1), g.rb)
		SHLQ(U8(3), g.rb)
	}
	k.holdQuantConsts()
	XORQ(g.j, g.j)
	for i, p := range passes {
		k.quantPass(fmt.Sprintf("v%d_p%d_", v, i), g, p, i == len(passes)-1)
	}
	VZEROUPPER()
	RET()
}

// holdQuantConsts loads 1/16 into a register (AVX-512). AVX2 has no
// register to spare: it reads 1/16 from memory.
func (k *qkern) holdQuantConsts() {
	if k.evex {
		k.c16 = k.vec()
		k.bcast(k.qc(qcSixteenth), k.c16)
	}
}

// quantPass runs groups of t.F vectors from frequency j while a whole group
// fits in the 16·nb frequencies (the last pass: until the end).
func (k *qkern) quantPass(pfx string, g *qregs, t qtile, last bool) {
	freqs := t.F * k.lanes
	if last && blockFreqs%freqs != 0 {
		panic(fmt.Sprintf("%s: last pass of %d frequencies", k.funcName(), freqs))
	}
	Commentf("groups of %d frequencies, %d rows × %d vectors", freqs, t.R, t.F)
	Label(pfx + "group")
	end := Load(Param("nb"), GP64())
	SHLQ(U8(4), end)
	if last {
		CMPQ(g.j, end)
		JGE(LabelRef(pfx + "done"))
	} else {
		next := GP64()
		LEAQ(Mem{Base: g.j, Disp: freqs}, next)
		CMPQ(next, end)
		JG(LabelRef(pfx + "done"))
	}

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

	if k.codes {
		// code bytes of the group: 4 per block, and the second byte of
		// each half for a group starting mid-block (j%16 = 8).
		g.cp = GP64()
		MOVQ(g.j, g.cp)
		SHRQ(U8(2), g.cp)
		if freqs < blockFreqs {
			ANDQ(I32(-4), g.cp)
			half := GP64()
			MOVQ(g.j, half)
			ANDQ(U8(blockFreqs-1), half)
			SHRQ(U8(3), half)
			ADDQ(half, g.cp)
		}
		ADDQ(Load(Param("code"), GP64()), g.cp)
	} else {
		for b := range 2 {
			g.acc[b] = make([]reg.VecVirtual, t.F)
			for f := range t.F {
				g.acc[b][f] = k.vec()
				k.kern.zero(g.acc[b][f])
			}
		}
	}
	g.xp, g.rem = GP64(), GP64()
	Load(Param("x"), g.xp)
	Load(Param("n"), g.rem)

	if t.R > 1 {
		Label(pfx + "tile")
		CMPQ(g.rem, U8(t.R))
		JL(LabelRef(pfx + "tail"))
		k.quantRows(g, t)
		SUBQ(U8(t.R), g.rem)
		JMP(LabelRef(pfx + "tile"))
		Label(pfx + "tail")
		TESTQ(g.rem, g.rem)
		JZ(LabelRef(pfx + "next"))
	}
	Label(pfx + "row")
	k.quantRows(g, qtile{R: 1, F: t.F})
	DECQ(g.rem)
	JNZ(LabelRef(pfx + "row"))

	Label(pfx + "next")
	if !k.codes {
		k.flushCounts(g)
	}
	ADDQ(U8(freqs), g.j)
	JMP(LabelRef(pfx + "group"))
	Label(pfx + "done")
}

// quantRows processes t.R rows from xp (and cp), then advances past them.
func (k *qkern) quantRows(g *qregs, t qtile) {
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
	// dim is one dimension: ω' of the group's vectors at op + kk·16
	// elements, x of each row kk elements on.
	dim := func(op reg.GPVirtual, kk int) {
		om := make([]reg.VecVirtual, t.F)
		for f := range om {
			om[f] = k.vec()
			k.movu(k.qOmAddr(g, op, f).Offset(kk*blockFreqs*k.size), om[f])
		}
		for r := range t.R {
			x := k.rowAddr(&g.kernelRegs, r).Offset(kk * k.size)
			if k.evex && t.F == 1 {
				k.fma231B(x, om[0], ph[r][0])
				continue
			}
			xb := k.vec()
			k.bcast(x, xb)
			for f := range t.F {
				k.fma231(om[f], xb, ph[r][f])
			}
		}
	}
	op := GP64()
	MOVQ(g.omg, op)
	kc := Load(Param("d"), GP64())
	k.loops++
	loop := fmt.Sprintf("k%d", k.loops)
	Label(loop)
	dim(op, 0)
	ADDQ(U8(k.size), g.xp)
	if t.R > 3 {
		ADDQ(U8(k.size), g.xq)
	}
	ADDQ(U8(blockFreqs*k.size), op)
	DECQ(kc)
	JNZ(LabelRef(loop))

	Commentf("%d row(s) × %d vector(s): bits", t.R, t.F)
	for r := range t.R {
		if k.codes {
			k.rowCodes(g, ph[r])
			ADDQ(g.rb, g.cp)
			continue
		}
		for f := range t.F {
			k.countBits(g, f, ph[r][f])
		}
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
}

// qOmAddr is ω' of vector f of the group for the current k (op): vectors
// past the first block are whole block strides further.
func (k *qkern) qOmAddr(g *qregs, op reg.GPVirtual, f int) Mem {
	first := f * k.lanes
	m := Mem{Base: op, Disp: first % blockFreqs * k.size}
	switch first / blockFreqs {
	case 0:
	case 1:
		m.Index, m.Scale = g.obs, 1
	case 2:
		m.Index, m.Scale = g.obs, 2
	case 3:
		m.Index, m.Scale = g.obs3, 1
	default:
		panic(fmt.Sprintf("group of %d vectors", f+1))
	}
	return m
}

// countBits adds the cos and sin bits of the phases u (vector f) to the
// group's counters; u is clobbered.
func (k *qkern) countBits(g *qregs, f int, u reg.VecVirtual) {
	q := k.q()
	accC, accS := g.acc[0][f], g.acc[1][f]
	tmp := k.vec()
	k.negFrac(u, tmp)
	q.psrl(U8(q.signShift), u, tmp) // sin bit
	q.padd(tmp, accS, accS)
	k.cosSign(u)
	q.psrl(U8(q.signShift), u, u) // cos bit
	q.padd(u, accC, accC)
}

// negFrac replaces u by v' = rint(u) − u, using tmp.
func (k *qkern) negFrac(u, tmp reg.VecVirtual) {
	if k.evex {
		k.q().rndscale(U8(0), u, tmp) // imm 0: round to nearest even
	} else {
		k.q().round(U8(0), u, tmp)
	}
	k.sub(u, tmp, u)
}

// cosSign replaces v' by v'·v' − 1/16, whose sign bit is the cos bit.
func (k *qkern) cosSign(v reg.VecVirtual) {
	q := k.q()
	if k.evex {
		q.fmsub213(k.c16, v, v)
		return
	}
	q.fmsub213(k.qc(qcSixteenth), v, v)
}

// rowCodes stores the bits of one row's phases ph (the group's vectors) at
// cp: for a vector starting at frequency l of block b, the cos bits at
// byte 4b + l/8 and the sin bits two bytes further.
func (k *qkern) rowCodes(g *qregs, ph []reg.VecVirtual) {
	q := k.q()
	at := func(f int) Mem {
		first := f * k.lanes
		return Mem{Base: g.cp, Disp: first/blockFreqs*4 + first%blockFreqs/8}
	}
	tmp := k.vec()
	if k.evex {
		for f, u := range ph {
			kc, ks := K(), K()
			k.negFrac(u, tmp)
			q.mov2m(u, ks)
			k.cosSign(u)
			q.mov2m(u, kc)
			q.kmov(kc, at(f))
			q.kmov(ks, at(f).Offset(2))
		}
		return
	}
	if k.lanes >= 8 {
		for f, u := range ph {
			c, s := GP32(), GP32()
			k.negFrac(u, tmp)
			q.movmsk(u, s)
			k.cosSign(u)
			q.movmsk(u, c)
			MOVB(c.As8(), at(f))
			MOVB(s.As8(), at(f).Offset(2))
		}
		return
	}
	// four lanes (float64 AVX2): two vectors make a byte.
	if len(ph)%2 != 0 {
		panic("float64 AVX2 codes: odd number of vectors")
	}
	for f := 0; f < len(ph); f += 2 {
		var c, s [2]reg.GPVirtual
		for h := range 2 {
			u := ph[f+h]
			c[h], s[h] = GP32(), GP32()
			k.negFrac(u, tmp)
			q.movmsk(u, s[h])
			k.cosSign(u)
			q.movmsk(u, c[h])
		}
		SHLL(U8(4), c[1])
		ORL(c[1], c[0])
		SHLL(U8(4), s[1])
		ORL(s[1], s[0])
		MOVB(c[0].As8(), at(f))
		MOVB(s[0].As8(), at(f).Offset(2))
	}
}

// flushCounts adds the group's counters into cc and cs (uint32).
func (k *qkern) flushCounts(g *qregs) {
	Comment("add the counts into cc, cs")
	for b, param := range []string{"cc", "cs"} {
		base := Load(Param(param), GP64())
		for f, acc := range g.acc[b] {
			at := Mem{Base: base, Index: g.j, Scale: 4, Disp: f * k.lanes * 4}
			switch {
			case k.size == 4 && k.evex:
				VPADDD(at, acc, acc)
				VMOVDQU32(acc, at)
			case k.size == 4:
				VPADDD(at, acc, acc)
				VMOVDQU(acc, at)
			case k.evex:
				// 8 qword counters: add the dwords widened, store the
				// low halves (wrapping); AVX512F only
				old := k.vec()
				VPMOVZXDQ(at, old)
				VPADDQ(old, acc, acc)
				VPMOVQD(acc, at)
			default:
				// 4 qword counters → 4 dwords: the low dword of each
				x := acc.AsX()
				VPSHUFD(U8(0x88), acc, acc)
				VPERMQ(U8(0x08), acc, acc)
				VPADDD(at, x, x)
				VMOVDQU(x, at)
			}
		}
	}
}
