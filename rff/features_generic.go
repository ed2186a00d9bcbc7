package rff

// Pure-Go feature kernels (contract in features.go): the phases and sincos
// of the sketch kernels, stored instead of summed.

func featF32Go(x []float32, d int, om, xi []float32, out []float32, ld int) {
	n, mp := len(x)/d, len(xi)
	for i := range n {
		xr := x[i*d : (i+1)*d]
		row := out[i*ld : i*ld+2*mp]
		for b := 0; b < mp/blockFreqs; b++ {
			j0 := b * blockFreqs
			var t [blockFreqs]float32
			phases(&t, (*[blockFreqs]float32)(xi[j0:]), xr, om[b*d*blockFreqs:(b+1)*d*blockFreqs])
			sincos32x16(&t, (*[blockFreqs]float32)(row[mp+j0:]), (*[blockFreqs]float32)(row[j0:]))
		}
	}
}

func featF64Go(x []float64, d int, om, xi []float64, out []float64, ld int) {
	n, mp := len(x)/d, len(xi)
	for i := range n {
		xr := x[i*d : (i+1)*d]
		row := out[i*ld : i*ld+2*mp]
		for b := 0; b < mp/blockFreqs; b++ {
			j0 := b * blockFreqs
			var t [blockFreqs]float64
			phases(&t, (*[blockFreqs]float64)(xi[j0:]), xr, om[b*d*blockFreqs:(b+1)*d*blockFreqs])
			sincos64x16(&t, (*[blockFreqs]float64)(row[mp+j0:]), (*[blockFreqs]float64)(row[j0:]))
		}
	}
}
