package rff

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// The backward of the sketch layer. For rows x_i and a complex vector
// a + i·b over the frequencies, a VJP kernel adds each row's value
// Re⟨Φ(x_i), a+ib⟩ and its gradient with respect to x_i:
//
//	for every row i < n = len(v) and packed frequency j < len(xi):
//	    t        = xi[j] + Σ_k x[i·d+k]·ω_jk     (ω packed as in kernel.go)
//	    v[i]     += a[j]·cos(t) + b[j]·sin(t)
//	    g[i·d+k] += (b[j]·cos(t) − a[j]·sin(t))·ω_jk
//
// It is fused: the phases and their sincos are recomputed, not read from a
// cached n×m matrix (2·n·m numbers, which cost more in memory traffic than
// the sincos). vjpF32Go / vjpF64Go (vjp_generic.go) are the executable spec.
// Caller guarantees (kernels do not check):
//   - n ≥ 1, d ≥ 1, len(x) = len(g) = n·d;
//   - len(xi) a positive multiple of blockFreqs and at most vjpChunk (the
//     float32 kernels sum each row in float32 over one call, then add it
//     into v and g in float64), len(om) = len(xi)·d, len(a) = len(b) =
//     len(xi), and a, b zero on the padding frequencies past M;
//   - len(gs) ≥ d·blockFreqs, scratch the kernel may overwrite;
//   - every |t| ≤ fastLimit32 / fastLimit64, all inputs finite.
type (
	vjpKernelF32 func(x []float32, d int, om, xi, a, b, gs []float32, v, g []float64)
	vjpKernelF64 func(x []float64, d int, om, xi, a, b, gs []float64, v, g []float64)
)

// vjpChunk is the number of frequencies per VJP kernel call.
const vjpChunk = 256

// FeatureVJP computes, for a fixed complex vector v over the frequencies
// (length M, as real and imaginary parts), the value of every row x_i
//
//	val_i  = Re⟨Φ(x_i), v⟩ = Σ_j Re v_j·cos(ω_jᵀx_i + ξ_j) + Im v_j·sin(ω_jᵀx_i + ξ_j)
//
// and its gradient grad_i = ∂val_i/∂x_i = Σ_j (Im v_j·cos(·) − Re v_j·sin(·))·ω_j:
// the vector–Jacobian product of the feature map Φ(x)_j = exp(i(ω_jᵀx + ξ_j)).
// It is the backward pass of a sketch layer: for the sketch-matching loss
// L = ‖z − (1/n)Σ_i Φ(y_i)‖² with residual r = z − (1/n)Σ_i Φ(y_i),
// ∂L/∂y_i = −(2/n)·grad_i with v = r. With rows = centroids it is the
// gradient of a Dirac atom's correlation with a residual (DiracVJPs).
//
// The work runs in the same kernels as the sketch (AVX-512, AVX2, NEON or
// pure Go), one fused pass over the frequencies per row. Rows whose phases
// could leave the fast range go through an exact float64 path, as in
// Sketch. A FeatureVJP is not safe for concurrent use; its Apply methods
// split large batches over goroutines themselves, and every row's result
// is independent of how the rows were split.
type FeatureVJP struct {
	f        *Frequencies
	k        kernel
	a64, b64 []float64 // v, length M
	a32, b32 []float32 // v in float32, zero-padded to the packed length
	set      bool
	v64, g64 []float64 // float32 outputs are summed here first
	scratch  []float64 // the calling goroutine's kernel scratch
	scr32    []float32
}

// NewFeatureVJP returns a FeatureVJP over f using the default kernel; set
// its vector with SetVector before applying it.
func NewFeatureVJP(f *Frequencies) *FeatureVJP {
	return &FeatureVJP{f: f, k: kernels[0]}
}

// SetKernel selects the implementation by name (one of Kernels()), as
// Sketch.SetKernel does.
func (p *FeatureVJP) SetKernel(name string) error {
	k, ok := lookupKernel(name)
	if !ok {
		return fmt.Errorf("rff: kernel %q not usable here (have %v)", name, Kernels())
	}
	p.k = k
	return nil
}

// Kernel is the name of the kernel in use.
func (p *FeatureVJP) Kernel() string { return p.k.name }

// SetVector sets v = re + i·im (each of length M, finite).
func (p *FeatureVJP) SetVector(re, im []float64) error {
	m := p.f.p.M
	if len(re) != m || len(im) != m {
		return fmt.Errorf("rff: FeatureVJP vector of %d and %d values for m=%d frequencies", len(re), len(im), m)
	}
	for j := range m {
		if math.IsNaN(re[j]+im[j]) || math.IsInf(re[j], 0) || math.IsInf(im[j], 0) {
			return fmt.Errorf("rff: FeatureVJP vector entry %d is not finite (%v, %v)", j, re[j], im[j])
		}
	}
	p.a64 = append(p.a64[:0], re...)
	p.b64 = append(p.b64[:0], im...)
	if cap(p.a32) < p.f.mp {
		p.a32, p.b32 = make([]float32, p.f.mp), make([]float32, p.f.mp)
	}
	p.a32, p.b32 = p.a32[:p.f.mp], p.b32[:p.f.mp]
	clear(p.a32[m:])
	clear(p.b32[m:])
	for j := range m {
		p.a32[j], p.b32[j] = float32(re[j]), float32(im[j])
	}
	p.set = true
	return nil
}

// ApplyF32 writes val_i (if val is not nil; length n) and grad_i (if grad
// is not nil; n×D, row-major) for the rows of x (n×D, row-major), summing
// in float64. workers ≤ 0 means GOMAXPROCS. A non-finite value in x is an
// error (*RowError) and leaves the outputs unspecified.
func (p *FeatureVJP) ApplyF32(x []float32, val []float64, grad []float32, workers int) error {
	n, err := p.check(len(x), len(val), len(grad), val != nil, grad != nil)
	if err != nil {
		return err
	}
	p.v64 = grow(p.v64, n)
	p.g64 = grow(p.g64, n*p.f.p.D)
	if err := p.apply32(x, p.v64, p.g64, workers); err != nil {
		return err
	}
	if val != nil {
		copy(val, p.v64)
	}
	for i := range grad {
		grad[i] = float32(p.g64[i])
	}
	return nil
}

// ApplyF64 is ApplyF32 for float64 rows and gradients.
func (p *FeatureVJP) ApplyF64(x []float64, val, grad []float64, workers int) error {
	n, err := p.check(len(x), len(val), len(grad), val != nil, grad != nil)
	if err != nil {
		return err
	}
	if val == nil {
		p.v64 = grow(p.v64, n)
		val = p.v64
	}
	if grad == nil {
		p.g64 = grow(p.g64, n*p.f.p.D)
		grad = p.g64
	}
	p.scratch = grow(p.scratch, vjpScratch(p.f.p.D))
	return vjpRows(p.k, p.f, x, p.a64, p.b64, p.a64, p.b64, val, grad, workers, true, p.scratch)
}

func (p *FeatureVJP) apply32(x []float32, v, g []float64, workers int) error {
	p.scr32 = grow(p.scr32, vjpScratch(p.f.p.D))
	return vjpRows(p.k, p.f, x, p.a32, p.b32, p.a64, p.b64, v, g, workers, true, p.scr32)
}

func (p *FeatureVJP) check(nx, nv, ng int, hasV, hasG bool) (int, error) {
	if !p.set {
		return 0, fmt.Errorf("rff: FeatureVJP applied before SetVector")
	}
	d := p.f.p.D
	if nx%d != 0 {
		return 0, fmt.Errorf("rff: block of %d values is not a whole number of rows of d=%d", nx, d)
	}
	n := nx / d
	if hasV && nv != n {
		return 0, fmt.Errorf("rff: %d values for %d rows", nv, n)
	}
	if hasG && ng != n*d {
		return 0, fmt.Errorf("rff: gradient of %d values for %d rows of d=%d", ng, n, d)
	}
	return n, nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// vjpScratch is the kernel scratch one goroutine needs: d·16 for the
// kernel, 2·16 for the zero-padded last block of a and b.
func vjpScratch(d int) int { return (d + 2) * blockFreqs }

// vjpRows overwrites v (n) and g (n×d) with the VJP of the rows x for the
// vector a + i·b (kernel element type; length M, or the packed length and
// zero-padded), whose float64 values a64, b64 (length M) serve the exact
// path. With reject, a non-finite value in x is an error; otherwise such
// rows go through the exact path and give NaN. scratch has
// vjpScratch(d) elements for the calling goroutine.
func vjpRows[T float](k kernel, f *Frequencies, x, a, b []T, a64, b64, v, g []float64, workers int, reject bool, scratch []T) error {
	d := f.p.D
	n := len(x) / d
	clear(v)
	clear(g)
	colMax, limit := f.colMax[:d], float64(fastLimit64)
	if _, ok := any(x).([]float32); ok {
		colMax, limit = f.colMax32[:d], fastLimit32
	}
	var slow []int
	for i := range n {
		row := x[i*d : (i+1)*d]
		bound := 2 * math.Pi
		for j, c := range row {
			bound += math.Abs(float64(c)) * colMax[j]
		}
		if bound <= limit {
			continue
		}
		if reject {
			for j, c := range row {
				if a := math.Abs(float64(c)); a > math.MaxFloat64 || a != a {
					return &RowError{Row: i, Col: j, Msg: fmt.Sprintf("value %v is not finite", c)}
				}
			}
		}
		slow = append(slow, i)
	}
	for _, r := range slow {
		vjpExactRow(f, x[r*d:(r+1)*d], a64, b64, &v[r], g[r*d:(r+1)*d])
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const piece = 64 // rows a worker takes at a time
	work := float64(n) * float64(f.mp) * float64(2*d+40)
	workers = max(1, min(workers, (n+piece-1)/piece, int(work/atomParallelWork)))
	// The fast rows, in runs between slow ones (the single-worker path
	// allocates nothing: decoders call it in their inner loops).
	if workers == 1 {
		lo := 0
		for s := 0; s <= len(slow); s++ {
			hi := n
			if s < len(slow) {
				hi = slow[s]
			}
			if lo < hi {
				vjpRun(k, f, x[lo*d:hi*d], a, b, scratch, v[lo:hi], g[lo*d:hi*d])
			}
			lo = hi + 1
		}
		return nil
	}
	type run struct{ lo, hi int }
	var runs []run
	lo := 0
	for _, r := range append(slow, n) {
		for ; lo < r; lo += piece {
			runs = append(runs, run{lo, min(r, lo+piece)})
		}
		lo = r + 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		scr := scratch
		if w > 0 {
			scr = make([]T, len(scratch))
		}
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) {
					return
				}
				rn := runs[i]
				vjpRun(k, f, x[rn.lo*d:rn.hi*d], a, b, scr, v[rn.lo:rn.hi], g[rn.lo*d:rn.hi*d])
			}
		})
	}
	wg.Wait()
	return nil
}

// vjpRun adds the VJP of fast rows x into v, g, one kernel call per chunk
// of frequencies. The last, partial block (when a and b have only M
// entries) goes through zero-padded copies in scratch.
func vjpRun[T float](k kernel, f *Frequencies, x, a, b, scratch []T, v, g []float64) {
	d := f.p.D
	full := f.p.M / blockFreqs * blockFreqs
	if len(a) >= f.mp {
		full = f.mp
	}
	gs := scratch[:d*blockFreqs]
	switch xv := any(x).(type) {
	case []float32:
		a, b, gs := any(a).([]float32), any(b).([]float32), any(gs).([]float32)
		for j0 := 0; j0 < full; j0 += vjpChunk {
			j1 := min(full, j0+vjpChunk)
			k.vjp32(xv, d, f.om32[j0*d:j1*d], f.xi32[j0:j1], a[j0:j1], b[j0:j1], gs, v, g)
		}
		if full < f.mp {
			ta, tb := vjpPad(any(scratch).([]float32), d, a[full:], b[full:])
			k.vjp32(xv, d, f.om32[full*d:], f.xi32[full:], ta, tb, gs, v, g)
		}
	case []float64:
		a, b, gs := any(a).([]float64), any(b).([]float64), any(gs).([]float64)
		for j0 := 0; j0 < full; j0 += vjpChunk {
			j1 := min(full, j0+vjpChunk)
			k.vjp64(xv, d, f.om64[j0*d:j1*d], f.xi64[j0:j1], a[j0:j1], b[j0:j1], gs, v, g)
		}
		if full < f.mp {
			ta, tb := vjpPad(any(scratch).([]float64), d, a[full:], b[full:])
			k.vjp64(xv, d, f.om64[full*d:], f.xi64[full:], ta, tb, gs, v, g)
		}
	}
}

// vjpPad copies the tails of a and b into zero-padded blocks at the end of
// scratch.
func vjpPad[T float](scratch []T, d int, a, b []T) (ta, tb []T) {
	ta = scratch[d*blockFreqs : (d+1)*blockFreqs]
	tb = scratch[(d+1)*blockFreqs : (d+2)*blockFreqs]
	clear(ta[copy(ta, a):])
	clear(tb[copy(tb, b):])
	return ta, tb
}

// vjpExactRow writes one row's value and gradient in float64 with
// math.Sincos, which reduces phases of any finite size correctly.
func vjpExactRow[T float](f *Frequencies, x []T, a, b []float64, v *float64, g []float64) {
	d := f.p.D
	var val float64
	clear(g)
	for j := range f.p.M {
		om := f.omega[j*d : (j+1)*d]
		t := f.xi[j]
		for k, c := range x {
			t += float64(c) * om[k]
		}
		sn, cs := math.Sincos(t)
		val += a[j]*cs + b[j]*sn
		h := b[j]*cs - a[j]*sn
		for k := range g {
			g[k] += h * om[k]
		}
	}
	*v = val
}
