package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The float32 GEMM microkernels of package nn (contract in
// nn/gemm_kernel.go, pure-Go twin sgemmMicroGo in nn/gemm_generic.go),
// generated with -kernels gemm:
//
//	acc[i][j] = Σ_p a[p·lda+i]·b[p·ldb+j]   p = 0…k−1 in order, one FMA each
//	c[i·ldc+j] = alpha·acc[i][j] + beta·c[i·ldc+j]   i < m ≤ MR, j < n ≤ NR
//	                                                  (beta = ±0: c is not read)
//
// a and b are k-major panels of MR and NR values a step: packed (lda = MR,
// ldb = NR, zero-padded) or, for B, the rows of an untransposed matrix in
// place. The k loop is branch-free; only the stores see m and n.
//
// C is row-major, so the vectors run along a row of C (NR) and A is
// broadcast (MR). The register tile holds MR×NR/lanes accumulators, the NR/lanes
// vectors of one k step of B and the broadcast A:
//
//	AVX-512 12×32: Z0–Z23 acc (row i in Z2i, Z2i+1), Z24–Z25 B,
//	               Z26–Z31 A broadcasts in rotation. 24 independent FMA
//	               chains cover 4-cycle latency × 2 pipes three times over;
//	               per k step 2 loads of B and 12 broadcasts feed 24 FMAs,
//	               within the load ports of Zen 4 (one zmm FMA per cycle)
//	               and Zen 5 (two).
//	AVX2    6×16:  Y0–Y11 acc, Y12–Y13 B, Y14–Y15 A: all 16 ymm registers,
//	               12 chains for 2 pipes × 4 cycles.
//
// A k step with n ≤ lanes (a narrow last panel, e.g. a 10-wide layer)
// runs a one-vector loop: half the FMAs of the full tile.
//
// Each ISA has a second entry point, sgemmKernPack…, for the first B panel
// of an A panel that is not transposed: it reads A from its MR rows
// (a[i·lda + p]) and, besides computing the tile, stores every value it
// broadcasts into the packed panel pk, so the other B panels use the
// packed copy. The strided transpose that packing A costs in Go rides on
// the FMA-bound loop as one scalar store per broadcast.
var (
	gemmAVX512 = gemmKern{isa: avx512, mr: 12, nr: 32, unroll: 4}
	gemmAVX2   = gemmKern{isa: avx2, mr: 6, nr: 16, unroll: 4}
)

// gemmKern is one microkernel: an ISA, the tile MR×NR and the unrolling
// of the k loop.
type gemmKern struct {
	isa
	mr, nr   int
	unroll   int
	fromRows bool // A from its rows with stride lda, packed into pk on the way
}

// emitGemmKernels writes the microkernels of package nn and the FMA
// throughput loops its benchmarks measure the peak with.
func emitGemmKernels() {
	maskTab := GLOBL("gemmMaskAVX2", RODATA|NOPTR)
	for i := range 32 {
		v := uint32(0)
		if i < 16 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	for _, g := range []gemmKern{gemmAVX512, gemmAVX2} {
		g.emit(maskTab)
		g.fromRows = true
		g.emit(maskTab)
	}
	emitPackChunks()
	emitPackChunksAVX2(maskTab)
	emitFMAPeak(avx512, 24)
	emitFMAPeak(avx2, 12)
}

// emitPackChunks writes packChunksAVX512, the packing of n contiguous
// values a step (transposed A, untransposed B): per step one zero-masked
// load and one masked store per 16 lanes, so the padding comes from the
// masked-off lanes and a row's end is never read past.
func emitPackChunks() {
	TEXT("packChunksAVX512", NOSPLIT, "func(dst, src *float32, ld, n, kc, w int)")
	Doc("packChunksAVX512 is packChunks (gemm_sgemm.go) for 1 ≤ n ≤ w ≤ 32, 1 ≤ kc:",
		"dst[p·w + j] = src[p·ld + j] for j < n, zero for n ≤ j < w.")
	Pragma("noescape")
	dst, src, ld, kc, w := GP64(), GP64(), GP64(), GP64(), GP64()
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("ld"), ld)
	SHLQ(U8(2), ld)
	Load(Param("kc"), kc)
	// K1, K2: the n lanes to load; K3, K4: the w lanes to store
	for _, mk := range []struct {
		param  string
		lo, hi reg.OpmaskPhysical
	}{{"n", reg.K1, reg.K2}, {"w", reg.K3, reg.K4}} {
		Load(Param(mk.param), reg.RCX)
		bits := GP64()
		MOVQ(U32(1), bits)
		SHLQ(reg.CL, bits)
		DECQ(bits)
		KMOVW(bits.As32(), mk.lo)
		SHRQ(U8(16), bits)
		KMOVW(bits.As32(), mk.hi)
	}
	Load(Param("w"), w)
	CMPQ(w, U8(16))
	JG(LabelRef("two"))
	SHLQ(U8(2), w)
	Label("one")
	VMOVUPS_Z(Mem{Base: src}, reg.K1, reg.Z0)
	VMOVUPS(reg.Z0, reg.K3, Mem{Base: dst})
	ADDQ(ld, src)
	ADDQ(w, dst)
	DECQ(kc)
	JNZ(LabelRef("one"))
	VZEROUPPER()
	RET()
	Label("two")
	SHLQ(U8(2), w)
	Label("twoloop")
	VMOVUPS_Z(Mem{Base: src}, reg.K1, reg.Z0)
	VMOVUPS_Z(Mem{Base: src, Disp: 64}, reg.K2, reg.Z1)
	VMOVUPS(reg.Z0, reg.K3, Mem{Base: dst})
	VMOVUPS(reg.Z1, reg.K4, Mem{Base: dst, Disp: 64})
	ADDQ(ld, src)
	ADDQ(w, dst)
	DECQ(kc)
	JNZ(LabelRef("twoloop"))
	VZEROUPPER()
	RET()
}

func (g gemmKern) lanes() int { return g.vbytes / 4 }
func (g gemmKern) nv() int    { return g.nr / g.lanes() }
func (g gemmKern) name() string {
	if g.fromRows {
		return "sgemmKernPack" + g.isa.name
	}
	return "sgemmKern" + g.isa.name
}

// vreg is vector register i of the ISA's width.
func (g gemmKern) vreg(i int) reg.VecPhysical {
	if g.evex {
		return zmm[i]
	}
	return ymm[i]
}

// acc is the accumulator of row i, vector v.
func (g gemmKern) acc(i, v int) reg.VecPhysical { return g.vreg(i*g.nv() + v) }

// bvec is vector v of the current k step of B; abc the broadcast registers.
func (g gemmKern) bvec(v int) reg.VecPhysical { return g.vreg(g.mr*g.nv() + v) }
func (g gemmKern) abc(i int) reg.VecPhysical {
	first := g.mr*g.nv() + g.nv()
	return g.vreg(first + i%(g.nregs()-first))
}

// nregs is the number of vector registers the ISA has.
func (g gemmKern) nregs() int {
	if g.evex {
		return len(zmm)
	}
	return len(ymm)
}

func (g gemmKern) emit(maskTab Mem) {
	// the k loop needs B and at least one broadcast register; the stores
	// use Z24–Z31 (AVX-512) or Y12–Y15 (AVX2) past the accumulators
	storeRegs := 8
	if !g.evex {
		storeRegs = 4
	}
	if g.mr*g.nv()+max(g.nv()+1, storeRegs) > g.nregs() || g.unroll != 4 {
		panic(fmt.Sprintf("%s: tile %d×%d does not fit the registers", g.name(), g.mr, g.nr))
	}
	if g.fromRows {
		TEXT(g.name(), NOSPLIT, "func(k int, a *float32, lda int, pk, b *float32, ldb int, c *float32, ldc, m, n int, alpha, beta float32)")
		Doc(fmt.Sprintf("%s is the %s packing microkernel, %d×%d; its pure-Go twin is packStrided", g.name(), g.isa.name, g.mr, g.nr),
			fmt.Sprintf("into pk then sgemmMicroGo (contract in gemm_kernel.go) with MR = %d, NR = %d: A is", g.mr, g.nr),
			fmt.Sprintf("a[i·lda + p] for i < %d (all rows present), 1 ≤ k, m = %d, 1 ≤ n ≤ %d.", g.mr, g.mr, g.nr))
	} else {
		TEXT(g.name(), NOSPLIT, "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc, m, n int, alpha, beta float32)")
		Doc(fmt.Sprintf("%s is the %s microkernel, %d×%d; its pure-Go twin is sgemmMicroGo", g.name(), g.isa.name, g.mr, g.nr),
			fmt.Sprintf("(contract in gemm_kernel.go) with MR = %d, NR = %d: 1 ≤ k, 1 ≤ m ≤ %d, 1 ≤ n ≤ %d.", g.mr, g.nr, g.mr, g.nr))
	}
	Pragma("noescape")

	kk, n := GP64(), GP64()
	Load(Param("k"), kk)
	ap := g.loadA()
	bp := loadSteps("b", "ldb")
	Load(Param("n"), n)
	for i := range g.mr {
		for v := range g.nv() {
			r := g.acc(i, v)
			VXORPS(r, r, r)
		}
	}
	if g.nv() > 1 {
		CMPQ(n, Imm(uint64(g.lanes())))
		JLE(LabelRef("narrow"))
	}
	g.kloop("wide", g.nv(), kk, ap, bp)
	g.store("wide", g.nv(), n, maskTab)
	if g.nv() > 1 {
		Label("narrow")
		g.kloop("narrow", 1, kk, ap, bp)
		g.store("narrow", 1, n, maskTab)
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// kloop runs the k steps over nvec vectors of B per step: unrolled groups,
// then the remainder one step at a time.
func (g gemmKern) kloop(pfx string, nvec int, kk reg.GPVirtual, ap, bp *steps) {
	Commentf("k loop, %d×%d", g.mr, nvec*g.lanes())
	cnt := GP64()
	MOVQ(kk, cnt)
	SHRQ(U8(log2(g.unroll)), cnt)
	JZ(LabelRef(pfx + "_rem"))
	Label(pfx + "_loop")
	for u := range g.unroll {
		g.step(nvec, ap, bp, u)
	}
	ap.advance(g.unroll)
	bp.advance(g.unroll)
	DECQ(cnt)
	JNZ(LabelRef(pfx + "_loop"))
	Label(pfx + "_rem")
	MOVQ(kk, cnt)
	ANDQ(U8(g.unroll-1), cnt)
	JZ(LabelRef(pfx + "_store"))
	Label(pfx + "_one")
	g.step(nvec, ap, bp, 0)
	ap.advance(1)
	bp.advance(1)
	DECQ(cnt)
	JNZ(LabelRef(pfx + "_one"))
	Label(pfx + "_store")
}

// step is k step u of an unrolled group: load B, then per row broadcast
// a[i] once (and store it packed) and FMA it into the row's accumulators.
func (g gemmKern) step(nvec int, ap, bp *steps, u int) {
	for v := range nvec {
		VMOVUPS(bp.addr(u, v*g.lanes()), g.bvec(v))
	}
	for i := range g.mr {
		x := g.abc(u*g.mr + i)
		VBROADCASTSS(ap.addr(u, i), x)
		if ap.rows {
			VMOVSS(x.AsX(), Mem{Base: ap.pk, Disp: (u*g.mr + i) * 4})
		}
		for v := range nvec {
			VFMADD231PS(g.bvec(v), x, g.acc(i, v))
		}
	}
}

// steps addresses a k-major operand in the k loop: element e of step u
// of the current group at base + u·stride + 4e (the stride in a register,
// 3·stride in another for u = 3); or, for A read from its rows (rows),
// row 3q+r at base[q] + r·stride + 4u, with pk the packed panel being
// written.
type steps struct {
	mr           int
	rows         bool
	base         []reg.GPVirtual
	stride, str3 reg.GPVirtual // bytes
	pk           reg.GPVirtual
}

// loadSteps loads the pointer and stride (in elements) parameters.
func loadSteps(ptr, stride string) *steps {
	s := &steps{base: []reg.GPVirtual{GP64()}, stride: GP64(), str3: GP64()}
	Load(Param(ptr), s.base[0])
	Load(Param(stride), s.stride)
	SHLQ(U8(2), s.stride)
	LEAQ(Mem{Base: s.stride, Index: s.stride, Scale: 2}, s.str3)
	return s
}

func (g gemmKern) loadA() *steps {
	s := loadSteps("a", "lda")
	s.mr, s.rows = g.mr, g.fromRows
	if !g.fromRows {
		return s
	}
	s.pk = GP64()
	Load(Param("pk"), s.pk)
	for q := 1; 3*q < g.mr; q++ {
		b := GP64()
		LEAQ(Mem{Base: s.base[q-1], Index: s.str3, Scale: 1}, b)
		s.base = append(s.base, b)
	}
	return s
}

// addr is element e of step u of the current group (for A from its rows:
// row e).
func (s *steps) addr(u, e int) Mem {
	if s.rows {
		m := Mem{Base: s.base[e/3], Disp: u * 4}
		if r := e % 3; r > 0 {
			m.Index, m.Scale = s.stride, uint8(r)
		}
		return m
	}
	m := Mem{Base: s.base[0], Disp: e * 4}
	switch u {
	case 0:
	case 1, 2:
		m.Index, m.Scale = s.stride, uint8(u)
	case 3:
		m.Index, m.Scale = s.str3, 1
	default:
		panic("unroll > 4")
	}
	return m
}

// advance moves on by n k steps (1 or the unrolling, 4).
func (s *steps) advance(n int) {
	if s.rows {
		for _, b := range s.base {
			ADDQ(U8(n*4), b)
		}
		ADDQ(U32(n*s.mr*4), s.pk)
		return
	}
	switch n {
	case 1:
		ADDQ(s.stride, s.base[0])
	case 4:
		LEAQ(Mem{Base: s.base[0], Index: s.stride, Scale: 4}, s.base[0])
	default:
		panic("advance")
	}
}

// store writes alpha·acc + beta·C into the m×n corner of C from the
// accumulators of nvec vectors a row (the wide or the narrow loop), then
// jumps to done. Full tiles (n = NR) use plain moves; narrower ones mask
// the columns. Each has a variant that does not read C (beta = ±0).
func (g gemmKern) store(pfx string, nvec int, n reg.GPVirtual, maskTab Mem) {
	Commentf("C = alpha·acc + beta·C on m rows, n columns (%d vector(s) a row)", nvec)
	r := &storeRegs{nvec: nvec, pfx: pfx, cp: GP64(), ldc: GP64(), m: GP64()}
	Load(Param("c"), r.cp)
	Load(Param("ldc"), r.ldc)
	SHLQ(U8(2), r.ldc)
	Load(Param("m"), r.m)
	r.alpha, _ = Param("alpha").Resolve()
	r.beta, _ = Param("beta").Resolve()
	if g.evex {
		g.storeEVEX(r, n)
	} else {
		g.storeVEX(r, n, maskTab)
	}
}

type storeRegs struct {
	nvec        int
	pfx         string
	cp, ldc, m  reg.GPVirtual
	alpha, beta *gotypes.Basic
}

// variants branches to the beta = ±0 variant or falls into the other.
func (r *storeRegs) variants(name string, emit func(readC bool)) {
	TESTL(U32(0x7fffffff), r.beta.Addr)
	JZ(LabelRef(r.pfx + name + "_b0"))
	emit(true)
	JMP(LabelRef("done"))
	Label(r.pfx + name + "_b0")
	emit(false)
	JMP(LabelRef("done"))
}

// nextRow moves p to row i (i > 0) unless i ≥ m, where it jumps to stop.
func (r *storeRegs) nextRow(p reg.GPVirtual, i int, stop string) {
	CMPQ(r.m, Imm(uint64(i)))
	JLE(LabelRef(stop))
	ADDQ(r.ldc, p)
}

// storeFull scales the accumulators by alpha, broadcasts beta and, for a
// tile of full width (n = NR), stores it whole (C read first when beta ≠ 0);
// narrower tiles jump to the ISA's masked store at the label it leaves.
func (g gemmKern) storeFull(r *storeRegs, n reg.GPVirtual, alpha, beta reg.VecPhysical) {
	VBROADCASTSS(r.alpha.Addr, alpha)
	for i := range g.mr {
		for v := range r.nvec {
			VMULPS(alpha, g.acc(i, v), g.acc(i, v))
		}
	}
	VBROADCASTSS(r.beta.Addr, beta)
	if r.nvec == g.nv() {
		CMPQ(n, Imm(uint64(g.nr)))
		JNE(LabelRef(r.pfx + "_masked"))
		r.variants("_full", func(readC bool) {
			for i := range g.mr {
				if i > 0 {
					r.nextRow(r.cp, i, "done")
				}
				for v := range r.nvec {
					acc, at := g.acc(i, v), Mem{Base: r.cp, Disp: v * g.vbytes}
					if readC {
						VFMADD231PS(at, beta, acc)
					}
					VMOVUPS(acc, at)
				}
			}
		})
	}
	Label(r.pfx + "_masked")
}

// storeEVEX: every accumulator is scaled by alpha first (Z24), then Z31
// holds beta. Masked tiles load C for a group of rows (as many as Z24–Z30
// hold) before storing any: a masked store's 64-byte footprint overlaps
// the next row when ldc < NR, and a load behind it would wait for the
// store to retire. (Broadcasts of alpha and beta embedded in the FMAs
// would free two more registers, but vet's asmdecl takes them for 64-byte
// reads of the float32 arguments.)
func (g gemmKern) storeEVEX(r *storeRegs, n reg.GPVirtual) {
	alpha, beta := zmm[24], zmm[31]
	g.storeFull(r, n, alpha, beta)
	// opmask of vector v: bits 16v… of (1<<n)−1, n < NR ≤ 32
	MOVQ(n, reg.RCX)
	bits := GP64()
	MOVL(U32(1), bits.As32())
	SHLL(reg.CL, bits.As32())
	DECL(bits.As32())
	masks := kreg[1 : 1+r.nvec]
	for v, k := range masks {
		KMOVW(bits.As32(), k)
		if v+1 < r.nvec {
			SHRL(U8(16), bits.As32())
		}
	}
	group := 7 / r.nvec
	r.variants("_masked", func(readC bool) {
		lp := GP64()
		MOVQ(r.cp, lp)
		for g0 := 0; g0 < g.mr; g0 += group {
			g1 := min(g0+group, g.mr)
			stored := fmt.Sprintf("%s_masked_g%d_%v", r.pfx, g0, readC)
			if readC {
				for i := g0; i < g1; i++ {
					if i > 0 {
						r.nextRow(lp, i, stored)
					}
					for v := range r.nvec {
						VMOVUPS_Z(Mem{Base: lp, Disp: v * g.vbytes}, masks[v], zmm[24+(i-g0)*r.nvec+v])
					}
				}
				Label(stored)
			}
			for i := g0; i < g1; i++ {
				if i > 0 {
					r.nextRow(r.cp, i, "done")
				}
				for v := range r.nvec {
					acc := g.acc(i, v)
					if readC {
						VFMADD231PS(zmm[24+(i-g0)*r.nvec+v], beta, acc)
					}
					VMOVUPS(acc, masks[v], Mem{Base: r.cp, Disp: v * g.vbytes})
				}
			}
		}
	})
}

// storeVEX: 16 registers, so every accumulator is scaled by alpha first
// (Y12), then Y12 holds beta, Y13 a lane mask, Y15 C. In a masked tile
// only the last vector of a row is partial (c lanes, 1 ≤ c ≤ 8): C is read
// with VMASKMOVPS, but written in pieces of 4, 2 and 1 lanes, since a
// VMASKMOVPS store costs about 13 cycles on Zen 4.
func (g gemmKern) storeVEX(r *storeRegs, n reg.GPVirtual, maskTab Mem) {
	alpha, beta, mask, tmp := ymm[12], ymm[12], ymm[13], ymm[15]
	g.storeFull(r, n, alpha, beta)
	last := r.nvec - 1
	c := GP64() // lanes of the last vector
	LEAQ(Mem{Base: n, Disp: -last * g.lanes()}, c)
	// lane mask: a window of 8 int32 at gemmMaskAVX2[16−c], whose first
	// c lanes are all ones
	off := GP64()
	MOVQ(U32(16), off)
	SUBQ(c, off)
	tab := GP64()
	LEAQ(maskTab, tab)
	VMOVDQU(Mem{Base: tab, Index: off, Scale: 4}, mask)
	p := GP64()
	r.variants("_masked", func(readC bool) {
		for i := range g.mr {
			if i > 0 {
				r.nextRow(r.cp, i, "done")
			}
			for v := range r.nvec {
				acc, at := g.acc(i, v), Mem{Base: r.cp, Disp: v * g.vbytes}
				if v < last {
					if readC {
						VFMADD231PS(at, beta, acc)
					}
					VMOVUPS(acc, at)
					continue
				}
				if readC {
					VMASKMOVPS(at, mask, tmp)
					VFMADD231PS(tmp, beta, acc)
				}
				LEAQ(at, p)
				storeLanes(fmt.Sprintf("%s_%v_r%d", r.pfx, readC, i), acc, c, p)
			}
		}
	})
}

// storeLanes writes the first c lanes (0 ≤ c ≤ 8) of y to p: 8, or 4 then
// 2 then 1, shifting the lanes down between pieces (y is clobbered). The
// branches depend on c only, the same in every row.
func storeLanes(pfx string, y reg.VecPhysical, c, p reg.GPVirtual) {
	x := y.AsX()
	TESTQ(U32(8), c)
	JZ(LabelRef(pfx + "_4"))
	VMOVUPS(y, Mem{Base: p})
	JMP(LabelRef(pfx + "_end"))
	Label(pfx + "_4")
	TESTQ(U32(4), c)
	JZ(LabelRef(pfx + "_2"))
	VMOVUPS(x, Mem{Base: p})
	VEXTRACTF128(U8(1), y, x)
	ADDQ(U8(16), p)
	Label(pfx + "_2")
	TESTQ(U32(2), c)
	JZ(LabelRef(pfx + "_1"))
	VMOVLPS(x, Mem{Base: p})
	VMOVHLPS(x, x, x)
	ADDQ(U8(8), p)
	Label(pfx + "_1")
	TESTQ(U32(1), c)
	JZ(LabelRef(pfx + "_end"))
	VMOVSS(x, Mem{Base: p})
	Label(pfx + "_end")
}

// emitPackChunksAVX2 writes packChunksAVX2, packChunks for w ≤ 16: per
// step VMASKMOVPS loads of the n lanes (the others read as zero, and
// are not touched in memory), a plain store of a whole first vector and
// the last w mod 8 lanes in pieces (storeLanes): VMASKMOVPS stores are
// slow on Zen 4.
func emitPackChunksAVX2(maskTab Mem) {
	TEXT("packChunksAVX2", NOSPLIT, "func(dst, src *float32, ld, n, kc, w int)")
	Doc("packChunksAVX2 is packChunks (gemm_sgemm.go) for 1 ≤ n ≤ w ≤ 16, 1 ≤ kc:",
		"dst[p·w + j] = src[p·ld + j] for j < n, zero for n ≤ j < w.")
	Pragma("noescape")
	dst, src, ld, n, kc, w := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("ld"), ld)
	SHLQ(U8(2), ld)
	Load(Param("n"), n)
	Load(Param("kc"), kc)
	Load(Param("w"), w)
	// lane masks of the two vectors: a window of 16 int32 at
	// gemmMaskAVX2[16−n], whose first n lanes are all ones
	off, tab := GP64(), GP64()
	MOVQ(U32(16), off)
	SUBQ(n, off)
	LEAQ(maskTab, tab)
	VMOVDQU(Mem{Base: tab, Index: off, Scale: 4}, reg.Y2)
	VMOVDQU(Mem{Base: tab, Index: off, Scale: 4, Disp: 32}, reg.Y3)
	c, p, step := GP64(), GP64(), GP64()
	MOVQ(w, step)
	SHLQ(U8(2), step) // bytes a step of dst
	CMPQ(w, U8(8))
	JG(LabelRef("two"))
	MOVQ(w, c)
	Label("one")
	VMASKMOVPS(Mem{Base: src}, reg.Y2, reg.Y0)
	MOVQ(dst, p)
	storeLanes("one", reg.Y0, c, p)
	ADDQ(ld, src)
	ADDQ(step, dst)
	DECQ(kc)
	JNZ(LabelRef("one"))
	VZEROUPPER()
	RET()
	Label("two")
	LEAQ(Mem{Base: w, Disp: -8}, c)
	Label("twoloop")
	VMASKMOVPS(Mem{Base: src}, reg.Y2, reg.Y0)
	VMASKMOVPS(Mem{Base: src, Disp: 32}, reg.Y3, reg.Y1)
	VMOVUPS(reg.Y0, Mem{Base: dst})
	LEAQ(Mem{Base: dst, Disp: 32}, p)
	storeLanes("two", reg.Y1, c, p)
	ADDQ(ld, src)
	ADDQ(step, dst)
	DECQ(kc)
	JNZ(LabelRef("twoloop"))
	VZEROUPPER()
	RET()
}

// emitFMAPeak writes fmaPeak<ISA>(n): n rounds of chains independent FMAs
// on registers, no memory. The benchmarks divide by it to report a
// fraction of the core's measured FMA peak.
func emitFMAPeak(i isa, chains int) {
	g := gemmKern{isa: i}
	name := "fmaPeak" + i.name
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n rounds of %d independent %d-byte FMAs (benchmarks only: the", name, chains, i.vbytes),
		"core's FMA peak that gemm_bench_test.go reports fractions of).")
	cnt := Load(Param("n"), GP64())
	for c := range chains + 2 {
		VXORPS(g.vreg(c), g.vreg(c), g.vreg(c))
	}
	TESTQ(cnt, cnt)
	JZ(LabelRef("done"))
	Label("loop")
	for c := range chains {
		VFMADD231PS(g.vreg(chains), g.vreg(chains+1), g.vreg(c))
	}
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

var (
	zmm = []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}
	ymm = []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}
	kreg = []reg.OpmaskPhysical{reg.K0, reg.K1, reg.K2, reg.K3}
)
