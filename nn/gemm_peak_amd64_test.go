//go:build !purego

package nn

// fmaPeakLoops are the generated FMA throughput loops (gemm_amd64.s) by
// kernel name, and the float32 flops of one round.
func fmaPeakLoops() map[string]peakLoop {
	return map[string]peakLoop{
		"avx512": {fmaPeakAVX512, 24 * 16 * 2},
		"avx2":   {fmaPeakAVX2, 12 * 8 * 2},
	}
}
