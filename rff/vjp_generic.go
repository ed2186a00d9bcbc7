package rff

// Pure-Go VJP kernels (contract in vjp.go): the fallback everywhere and the
// oracle of the assembly. Same phases and sincos as the sketch kernels; the
// per-row sums run in the element type over the call's frequencies (at
// most vjpChunk, so float32 lanes add at most vjpChunk/16 terms each) and
// are then added, in float64, into v and g.

// vjpF32Go is the float32 VJP kernel.
func vjpF32Go(x []float32, d int, om, xi, a, b, gs []float32, v, g []float64) {
	n := len(v)
	x = x[:n*d]
	gs = gs[:d*blockFreqs]
	for i := range n {
		xr := x[i*d : (i+1)*d]
		var acc [blockFreqs]float32
		clear(gs)
		for blk := 0; blk < len(xi)/blockFreqs; blk++ {
			omb := om[blk*d*blockFreqs : (blk+1)*d*blockFreqs]
			j0 := blk * blockFreqs
			var t, sn, cs [blockFreqs]float32
			phases(&t, (*[blockFreqs]float32)(xi[j0:]), xr, omb)
			sincos32x16(&t, &sn, &cs)
			ab, bb := (*[blockFreqs]float32)(a[j0:]), (*[blockFreqs]float32)(b[j0:])
			var h [blockFreqs]float32
			for l := range h {
				acc[l] += ab[l]*cs[l] + bb[l]*sn[l]
				h[l] = bb[l]*cs[l] - ab[l]*sn[l]
			}
			for k := range d {
				gk := (*[blockFreqs]float32)(gs[k*blockFreqs:])
				ok := (*[blockFreqs]float32)(omb[k*blockFreqs:])
				for l := range gk {
					gk[l] += h[l] * ok[l]
				}
			}
		}
		v[i] += sumLanes32(acc[:])
		for k := range d {
			g[i*d+k] += sumLanes32(gs[k*blockFreqs : (k+1)*blockFreqs])
		}
	}
}

// vjpF64Go is the float64 VJP kernel.
func vjpF64Go(x []float64, d int, om, xi, a, b, gs []float64, v, g []float64) {
	n := len(v)
	x = x[:n*d]
	gs = gs[:d*blockFreqs]
	for i := range n {
		xr := x[i*d : (i+1)*d]
		var acc [blockFreqs]float64
		clear(gs)
		for blk := 0; blk < len(xi)/blockFreqs; blk++ {
			omb := om[blk*d*blockFreqs : (blk+1)*d*blockFreqs]
			j0 := blk * blockFreqs
			var t, sn, cs [blockFreqs]float64
			phases(&t, (*[blockFreqs]float64)(xi[j0:]), xr, omb)
			sincos64x16(&t, &sn, &cs)
			ab, bb := (*[blockFreqs]float64)(a[j0:]), (*[blockFreqs]float64)(b[j0:])
			var h [blockFreqs]float64
			for l := range h {
				acc[l] += ab[l]*cs[l] + bb[l]*sn[l]
				h[l] = bb[l]*cs[l] - ab[l]*sn[l]
			}
			for k := range d {
				gk := (*[blockFreqs]float64)(gs[k*blockFreqs:])
				ok := (*[blockFreqs]float64)(omb[k*blockFreqs:])
				for l := range gk {
					gk[l] += h[l] * ok[l]
				}
			}
		}
		v[i] += sumLanes64(acc[:])
		for k := range d {
			g[i*d+k] += sumLanes64(gs[k*blockFreqs : (k+1)*blockFreqs])
		}
	}
}

// sumLanes32 adds 16 float32 lanes in float64, pairwise as the assembly
// reduces a vector (halves, then quarters, …).
func sumLanes32(l []float32) float64 {
	var w [blockFreqs]float64
	for i, v := range l[:blockFreqs] {
		w[i] = float64(v)
	}
	return sumLanes64(w[:])
}

func sumLanes64(l []float64) float64 {
	var w [blockFreqs]float64
	copy(w[:], l[:blockFreqs])
	for half := blockFreqs / 2; half >= 1; half /= 2 {
		for i := range half {
			w[i] += w[i+half]
		}
	}
	return w[0]
}
