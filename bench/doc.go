// Package bench measures the sketch kernels reproducibly: rows per second
// and nanoseconds per row·frequency for each kernel, data type, shape and
// thread count, as medians over interleaved rounds (the machines are noisy:
// compare ratios measured in the same run, never absolute times from
// different runs). `clkit bench` prints its results; `go test -bench .
// ./bench` runs the same cases as testing benchmarks.
//
// Start with Measure(DefaultConfig()). The naive loop (float64 dot product
// and math.Sincos per row and frequency) is the baseline every ratio is
// quoted against, next to the pure-Go kernel.
//
// Measure(DefaultQuantConfig()) measures the 1-bit sketch of package quant
// the same way, through its public Sketch API (unweighted rows, exact
// counts); its results carry Sketch "quant", and its naive baseline,
// NaiveQuant, counts the signs of math.Sincos.
package bench
