//go:build purego || !amd64

package nn

// No FMA throughput loops outside amd64: the benchmarks report GFLOP/s
// without a fraction of peak.
func fmaPeakLoops() map[string]peakLoop { return nil }
