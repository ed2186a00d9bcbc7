// Package beamsketch sketches data sets on Apache Beam: the rows of many
// files, read in parallel by the workers of a Beam runner, are summed into
// one clkit sketch (the complex-exponential rff.Sketch or the 1-bit
// quant.Sketch) by a CombineFn whose accumulator is the sketch itself.
//
//	cfg := beamsketch.Config{Params: rff.Params{Law: rff.AdaptedRadius, D: 10, M: 1000,
//		Sigma: []float64{2}, Seed: 1}}
//	st, err := beamsketch.Stage("all.sk")
//	p, s := beam.NewPipelineWithRoot()
//	batches := beamsketch.ReadGlob(s, "data/part-*.npy", beamsketch.ReadOptions{})
//	beamsketch.WriteFile(s, st.Temp, cfg, beamsketch.Sketch(s, batches, cfg))
//	if _, err := beam.Run(ctx, "prism", p); err != nil {
//		st.Abort(ctx) // a failed job leaves no file
//		return err
//	}
//	return st.Commit(ctx) // all.sk appears, whole
//
// The pipeline: the globs are matched (one element per file), the files are
// cut into splits (row ranges of .npy and raw files, SplitRows rows each;
// whole Parquet, CSV and compressed files), the splits are shuffled over the
// workers and read with package dataio into Batch elements (one per dataio
// block, float32 or float64, row-major), and the batches are summed by the
// CombineFn. Runners that lift combiners (prism does, and Dataflow) add
// each bundle's batches into a bundle-local accumulator in the same fused
// stage that reads them, so only the accumulators cross the wire, in the
// sketch's own binary format (the registered coder of *Accumulator). The
// frequencies never travel: every worker draws them from Config.Params
// (they are fully determined by them, bit for bit), once per process.
//
// A batch is sketched as clkit sketch sketches a block, so the result is
// the sketch clkit sketch and clkit merge make of the same files, to
// float64 rounding, under any bundling, split size or element order; the
// 1-bit sketch of unweighted rows counts its bits in integers and is
// identical. (rff's float32 kernel sums runs of up to 256 rows in float32,
// so files cut at other row counts than multiples of 256 give sketches
// that differ at float32 rounding, about 1e-8, from the sketch of their
// concatenation; float64 rows do not.) The DoFns keep no state outside the
// accumulator, so a retried bundle cannot count a row twice.
//
// The module is separate from clkit's (its go.mod requires the Beam Go SDK
// and its ~90 modules) and uses the clkit module of the same repository
// through a replace directive; a program of your own requires a released
// version of github.com/clkit/clkit/beam instead.
package beamsketch
