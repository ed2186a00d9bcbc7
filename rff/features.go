package rff

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// The feature kernel writes each row's features instead of summing them:
//
//	for every row i < n and packed frequency j < len(xi):
//	    t                     = xi[j] + Σ_k x[i·d+k]·ω_jk   (ω packed as in kernel.go)
//	    out[i·ld + j]         = cos(t)
//	    out[i·ld + len(xi)+j] = sin(t)
//
// for layers that feed Φ(x) to more layers (meta's Sketch-Networks), where
// the sketch kernel would sum it away. featF32Go / featF64Go
// (features_generic.go) are the executable spec. Caller guarantees: n =
// len(x)/d ≥ 1, d ≥ 1; len(xi) a positive multiple of blockFreqs, len(om) =
// len(xi)·d; ld ≥ 2·len(xi) and len(out) ≥ (n−1)·ld + 2·len(xi); every |t| ≤
// fastLimit32 / fastLimit64; all inputs finite.
type (
	featKernelF32 func(x []float32, d int, om, xi []float32, out []float32, ld int)
	featKernelF64 func(x []float64, d int, om, xi []float64, out []float64, ld int)
)

// FeaturesF32 writes the real features of every row of x (n×D, row-major):
// out (n×2M, row-major) holds cos(ω_jᵀx_i + ξ_j) at [i·2M + j] and
// sin(ω_jᵀx_i + ξ_j) at [i·2M + M + j]. It runs on the sketch kernels' ISA
// (the fast phase range, with an exact float64 path for rows beyond it),
// splitting large batches over goroutines (workers ≤ 0: GOMAXPROCS). A
// non-finite value in x is an error (*RowError) and leaves out
// unspecified.
func (f *Frequencies) FeaturesF32(x, out []float32, workers int) error {
	return features(kernels[0], f, x, out, workers)
}

// FeaturesF64 is FeaturesF32 for float64 rows.
func (f *Frequencies) FeaturesF64(x, out []float64, workers int) error {
	return features(kernels[0], f, x, out, workers)
}

func features[T float](k kernel, f *Frequencies, x, out []T, workers int) error {
	d, m, mp := f.p.D, f.p.M, f.mp
	if len(x)%d != 0 {
		return fmt.Errorf("rff: block of %d values is not a whole number of rows of d=%d", len(x), d)
	}
	n := len(x) / d
	if len(out) != 2*m*n {
		return fmt.Errorf("rff: features of %d rows need %d values, have %d", n, 2*m*n, len(out))
	}
	colMax, limit := f.colMax[:d], float64(fastLimit64)
	if _, ok := any(x).([]float32); ok {
		colMax, limit = f.colMax32[:d], fastLimit32
	}
	var slow []int
	for i := range n {
		bound := 2 * math.Pi
		for j, c := range x[i*d : (i+1)*d] {
			bound += math.Abs(float64(c)) * colMax[j]
		}
		if bound <= limit {
			continue
		}
		for j, c := range x[i*d : (i+1)*d] {
			if a := math.Abs(float64(c)); a > math.MaxFloat64 || a != a {
				return &RowError{Row: i, Col: j, Msg: fmt.Sprintf("value %v is not finite", c)}
			}
		}
		slow = append(slow, i)
	}
	// Pieces of at most 64 fast rows between the slow ones, each slow row a
	// piece of its own, taken by the workers in turn. With m not a whole
	// number of blocks the kernel writes a padded scratch, copied out.
	const piece = 64
	type run struct {
		lo, hi int
		slow   bool
	}
	var runs []run
	lo := 0
	for _, r := range append(slow, n) {
		for ; lo < r; lo += piece {
			runs = append(runs, run{lo, min(r, lo+piece), false})
		}
		if r < n {
			runs = append(runs, run{r, r + 1, true})
		}
		lo = r + 1
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	work := float64(n) * float64(mp) * float64(d+30)
	workers = max(1, min(workers, len(runs), int(work/atomParallelWork)))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var scr []T
			if m != mp {
				scr = make([]T, piece*2*mp)
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) {
					return
				}
				rn := runs[i]
				switch {
				case rn.slow:
					featExactRow(f, x[rn.lo*d:rn.hi*d], out[rn.lo*2*m:rn.hi*2*m])
				case m == mp:
					featRun(k, f, x[rn.lo*d:rn.hi*d], out[rn.lo*2*m:rn.hi*2*m], 2*m)
				default:
					featRun(k, f, x[rn.lo*d:rn.hi*d], scr, 2*mp)
					for i := range rn.hi - rn.lo {
						copy(out[(rn.lo+i)*2*m:], scr[i*2*mp:i*2*mp+m])
						copy(out[(rn.lo+i)*2*m+m:], scr[i*2*mp+mp:i*2*mp+mp+m])
					}
				}
			}
		})
	}
	wg.Wait()
	return nil
}

func featRun[T float](k kernel, f *Frequencies, x, out []T, ld int) {
	switch xv := any(x).(type) {
	case []float32:
		k.feat32(xv, f.p.D, f.om32, f.xi32, any(out).([]float32), ld)
	case []float64:
		k.feat64(xv, f.p.D, f.om64, f.xi64, any(out).([]float64), ld)
	}
}

// featExactRow writes one row's features with math.Sincos in float64.
func featExactRow[T float](f *Frequencies, x, out []T) {
	d, m := f.p.D, f.p.M
	for j := range m {
		om := f.omega[j*d : (j+1)*d]
		t := f.xi[j]
		for k, c := range x {
			t += float64(c) * om[k]
		}
		sn, cs := math.Sincos(t)
		out[j], out[m+j] = T(cs), T(sn)
	}
}
