package nn

import "unsafe"

// sgemm is the packed float32 GEMM (BLIS/GotoBLAS), with the roles of A
// and B swapped for row-major C, whose vectors run along a row (n):
//
//	for each block of up to ncMax columns of op(B)      jc
//	  for each block of kc ≤ kcMax steps                pc
//	    op(B)[pc…, jc…] as panels of NR columns         kc·nc·4 B ≤ 512 KB: L2
//	    for each MR rows of op(A)                       ic
//	      pack op(A)[ic…, pc…] into one panel           MR·kc·4 B ≤ 12 KB: L1
//	      for each NR columns of the block              jr
//	        kernel: C[ic…, jc+jr…] = alpha·Ap·Bp + beta·C
//
// The A panel stays in L1 while the B panels stream from L2 at 128 bytes
// a k step, far below the L2 bandwidth. Packing A one panel at a time
// (MC = MR) packs each panel once per (jc, pc), as MC blocks would, and
// uses it while it is hot.
//
// What is packed: a transposed B is (a strided transpose, once per block,
// reused by every A panel); an untransposed B is read in place, its rows
// being the panels' steps, except a last panel narrower than NR. A
// transposed A is packed by contiguous chunks (in assembly on AVX-512); an
// untransposed A by the kernel of the first B panel as it reads A, if the
// kernel has that packing form (gemm_kernel.go), else in Go.
//
// Block sizes, for 1 MB of L2 and 48 KB (Zen 5) or 32 KB (Zen 4) of L1:
// kc ≤ 256, balanced over the k steps, keeps the AVX-512 A panel at 12 KB,
// leaving most of L1 to the streamed B lines and C; nc ≤ 512 keeps the B
// block at half the L2. kc from 192 to 384 and nc 256 or 512 measured
// alike on Zen 4.
//
// Edges: the packed panels are zero-padded, and the kernels store only
// the m×n corner (masked columns). Later k blocks add to C (beta 1), so
// beta = 0 reads C in no block.
const (
	kcMax = 256
	ncMax = 512
)

func sgemm(kern *sgemmKernel, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	MR, NR := kern.mr, kern.nr
	nk := (k + kcMax - 1) / kcMax
	kcStep := ((k+nk-1)/nk + 3) &^ 3 // a multiple of the kernels' unrolling
	ncStep := min(ncMax/NR*NR, (n+NR-1)/NR*NR)

	s := getScratch()
	ap, bp := s.get(MR*kcStep, ncStep*kcStep)
	for jc := 0; jc < n; jc += ncStep {
		nc := min(ncStep, n-jc)
		for pc := 0; pc < k; pc += kcStep {
			kc := min(kcStep, k-pc)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			// Untransposed B is read in place, but for a last panel
			// narrower than NR: kernels read whole panels.
			direct := !tB
			packB(kern, tB, bp, b, ldb, pc, jc, kc, nc, direct)
			for ic := 0; ic < m; ic += MR {
				mr := min(MR, m-ic)
				ci := c[ic*ldc+jc:]
				jr := 0
				if !tA && mr == MR && kern.pack != nil {
					// the first B panel packs A as it goes
					bs, bld := bPanel(kern, direct, b, ldb, bp, pc, jc, 0, kc, nc)
					kern.pack(kc, a[ic*lda+pc:], lda, ap, bs, bld, ci, ldc, min(NR, nc), alpha, bt)
					jr = NR
				} else {
					packA(kern, tA, ap, a, lda, ic, pc, mr, kc)
				}
				for ; jr < nc; jr += NR {
					bs, bld := bPanel(kern, direct, b, ldb, bp, pc, jc, jr, kc, nc)
					kern.run(kc, ap, MR, bs, bld, ci[jr:], ldc, mr, min(NR, nc-jr), alpha, bt)
				}
			}
		}
	}
	putScratch(s)
}

// packA packs rows ic…ic+mr−1, steps pc…pc+kc−1 of op(A) as dst[p·MR+i],
// zero in rows mr…MR−1.
func packA(kern *sgemmKernel, tA bool, dst, a []float32, lda, ic, pc, mr, kc int) {
	if tA { // op(A)[i][p] = a[(pc+p)·lda + ic+i]
		packChunksK(kern, dst, a[pc*lda+ic:], lda, mr, kc, kern.mr)
	} else { // op(A)[i][p] = a[(ic+i)·lda + pc+p]
		packStrided(dst, a[ic*lda+pc:], lda, mr, kc, kern.mr)
	}
}

// packB packs steps pc…pc+kc−1, columns jc…jc+nc−1 of op(B) into panels
// of NR columns: panel q is dst[q·kc·NR + p·w + j] (w = bWidth), zero past
// column nc. With edgeOnly, only a last panel narrower than NR.
func packB(kern *sgemmKernel, tB bool, dst, b []float32, ldb, pc, jc, kc, nc int, edgeOnly bool) {
	NR := kern.nr
	jr0 := 0
	if edgeOnly {
		jr0 = nc / NR * NR
	}
	for jr := jr0; jr < nc; jr += NR {
		nr, w := min(NR, nc-jr), bWidth(kern, jr, nc)
		d := dst[jr*kc:]
		if tB { // op(B)[p][j] = b[(jc+j)·ldb + pc+p]
			packStrided(d, b[(jc+jr)*ldb+pc:], ldb, nr, kc, w)
		} else { // op(B)[p][j] = b[(pc+p)·ldb + jc+j]
			packChunksK(kern, d, b[pc*ldb+jc+jr:], ldb, nr, kc, w)
		}
	}
}

// bWidth is the step of the packed B panel at column jr: NR, or the
// kernel's narrow width for a last panel that fits in it.
func bWidth(kern *sgemmKernel, jr, nc int) int {
	if nr := nc - jr; nr < kern.nr && nr <= kern.narrow {
		return kern.narrow
	}
	return kern.nr
}

// bPanel is the B panel of columns jc+jr… and its step: in place with B's
// row stride (direct, and a whole panel), else packed.
func bPanel(kern *sgemmKernel, direct bool, b []float32, ldb int, bp []float32, pc, jc, jr, kc, nc int) ([]float32, int) {
	if direct && jr+kern.nr <= nc {
		return b[pc*ldb+jc+jr:], ldb
	}
	return bp[jr*kc:], bWidth(kern, jr, nc)
}

// packChunksK is packChunks with the kernel's assembly version if it has
// one.
func packChunksK(kern *sgemmKernel, dst, src []float32, ld, n, kc, w int) {
	if kern.chunks != nil {
		kern.chunks(dst[:kc*w], src[:(kc-1)*ld+n], ld, n, kc, w)
		return
	}
	packChunks(dst, src, ld, n, kc, w)
}

// packChunks sets dst[p·w + j] = src[p·ld + j] for p < kc, j < n ≤ w, and
// zero for n ≤ j < w: n contiguous values a step.
func packChunks(dst, src []float32, ld, n, kc, w int) {
	dst = dst[:kc*w]
	for p := range kc {
		d, s := dst[p*w:][:w], src[p*ld:][:n]
		if n == w {
			copy(d, s)
			continue
		}
		for j, v := range s { // short rows: no memmove or memclr calls
			d[j] = v
		}
		for j := n; j < len(d); j++ {
			d[j] = 0
		}
	}
}

// packStrided sets dst[p·w + i] = src[i·ld + p] for i < n ≤ w, p < kc, and
// zero for n ≤ i < w: n rows of src interleaved, four at a time.
func packStrided(dst, src []float32, ld, n, kc, w int) {
	dst = dst[:kc*w]
	i := 0
	for ; i+4 <= n; i += 4 {
		r0 := src[i*ld:][:kc]
		r1 := src[(i+1)*ld:][:kc]
		r2 := src[(i+2)*ld:][:kc]
		r3 := src[(i+3)*ld:][:kc]
		d := dst[i:]
		for p := range kc {
			q := d[p*w:][:4]
			q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
	for ; i < n; i++ {
		for p, v := range src[i*ld:][:kc] {
			dst[p*w+i] = v
		}
	}
	if n < w {
		for p := range kc {
			d := dst[p*w:][:w]
			for j := n; j < len(d); j++ {
				d[j] = 0
			}
		}
	}
}

// scaleC sets C = beta·C on the m×n matrix (zero without reading it when
// beta = 0): the product when alpha = 0 or k = 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc:][:n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// checkGemm panics on dimensions or slices that do not describe the
// product: the kernels do not check, and must not touch memory outside
// the matrices.
func checkGemm(tA, tB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("nn: gemm: negative dimension")
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	checkMat("A", ar, ac, la, lda)
	checkMat("B", br, bc, lb, ldb)
	checkMat("C", m, n, lc, ldc)
}

func checkMat(name string, rows, cols, l, ld int) {
	if ld < max(1, cols) {
		panic("nn: gemm: leading dimension of " + name + " too small")
	}
	if rows > 0 && cols > 0 && l < (rows-1)*ld+cols {
		panic("nn: gemm: " + name + " too short")
	}
}

// sgemmScratch holds the packed panels of one sgemm call. getScratch and
// putScratch (gemm_scratch*.go) keep them for reuse, so products do not
// allocate once the buffers have grown, and goroutines sharing a Net each
// get their own.
type sgemmScratch struct{ buf []float32 }

// get returns buffers of na and nb floats, each starting on a 64-byte
// boundary, so the kernels' vector loads of B never split a cache line.
func (s *sgemmScratch) get(na, nb int) (a, b []float32) {
	na16 := (na + 15) &^ 15
	need := na16 + nb + 16
	if cap(s.buf) < need {
		s.buf = make([]float32, need)
	}
	buf := s.buf[:need]
	off := int(-uintptr(unsafe.Pointer(&buf[0]))&63) / 4
	return buf[off : off+na], buf[off+na16 : off+na16+nb]
}
