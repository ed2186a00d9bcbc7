package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/clkit/clkit/rff"
	"github.com/clkit/clkit/solver"
	"github.com/spf13/cobra"
	"gonum.org/v1/plot/plotter"
)

func newDemo() *cobra.Command {
	var (
		n, k, d int
		seed    uint64
		spread  float64
		m       int
		png     string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Sketch a generated Gaussian mixture, decode k-means from the sketch, compare with Lloyd",
		Long: `demo shows compressive k-means end to end on generated data: a mixture of
K Gaussians in d dimensions (means ~ N(0, c²I), c = spread·K^(1/d),
identity covariance; spread 1.5 is Keriven et al.'s benchmark), n rows. It estimates the kernel
scale from a subsample, sketches every row into m random Fourier features
in parallel, decodes K centroids from the sketch alone, and
compares their SSE with Lloyd's k-means++ (best of 3 restarts) on the full
data. It prints timings and writes a PNG of both sets of centroids over a
sample of the data.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 10*k || k < 1 || d < 1 {
				return usagef("demo needs k ≥ 1, d ≥ 1 and n ≥ 10k")
			}
			out := cmd.OutOrStdout()
			r := rand.New(rand.NewPCG(seed, 0xdea0))
			c := spread * math.Pow(float64(k), 1/float64(d))
			means := make([]float64, k*d)
			for i := range means {
				means[i] = c * r.NormFloat64()
			}
			t0 := time.Now()
			x := make([]float64, n*d)
			for i := range n {
				j := r.IntN(k)
				for a := range d {
					x[i*d+a] = means[j*d+a] + r.NormFloat64()
				}
			}
			fmt.Fprintf(out, "data      %d rows, d=%d, K=%d clusters (generated in %.2f s)\n", n, d, k, time.Since(t0).Seconds())

			t0 = time.Now()
			sr, err := solver.EstimateScale(x, d, solver.ScaleOptions{Seed: seed, K: k})
			if err != nil {
				return err
			}
			sigma2 := 2 * sr.Sigma2
			tScale := time.Since(t0)
			f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: d, M: m, Sigma: []float64{math.Sqrt(sigma2)}, Seed: seed})
			if err != nil {
				return err
			}
			s := rff.NewSketch(f)
			t0 = time.Now()
			if err := s.AddParallelF64(x, nil, 0); err != nil {
				return err
			}
			tSketch := time.Since(t0)
			fmt.Fprintf(out, "scale     σ² = %.4g (cluster variance %.4g × 2), estimated in %.2f s from %d-row subsamples\n", sigma2, sr.Sigma2, tScale.Seconds(), min(n, 5000))
			fmt.Fprintf(out, "sketch    m=%d frequencies (%d numbers) in %.2f s: %.3gM rows/s on %d cores (%s kernel)\n",
				m, 2*m, tSketch.Seconds(), float64(n)/tSketch.Seconds()/1e6, runtime.GOMAXPROCS(0), s.Kernel())

			t0 = time.Now()
			ckm, err := solver.KMeans(s, k, solver.KMeansOptions{Seed: seed})
			if err != nil {
				return err
			}
			tDecode := time.Since(t0)
			t0 = time.Now()
			ll, err := solver.Lloyd(x, d, k, solver.LloydOptions{Restarts: 3, Seed: seed})
			if err != nil {
				return err
			}
			tLloyd := time.Since(t0)
			sse, _ := solver.SSE(x, d, ckm.Centroids)
			fmt.Fprintf(out, "decode    compressive k-means from the sketch alone: %.2f s (5 replicates)\n", tDecode.Seconds())
			fmt.Fprintf(out, "lloyd     k-means++ on all rows, best of 3: %.2f s\n", tLloyd.Seconds())
			fmt.Fprintf(out, "quality   SSE(sketch) / SSE(Lloyd) = %.4f\n\n", sse/ll.SSE)

			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "k\tweight\tcentroid (first dims)\tto nearest Lloyd centroid\t")
			for i := range k {
				ci := ckm.Centroids[i*d : (i+1)*d]
				best := math.Inf(1)
				for j := range k {
					var s2 float64
					for a := range d {
						dd := ci[a] - ll.Centroids[j*d+a]
						s2 += dd * dd
					}
					best = min(best, math.Sqrt(s2))
				}
				fmt.Fprintf(tw, "%d\t%.3f\t%s\t%.3f\t\n", i, ckm.Weights[i], floats(ci[:min(d, 4)]), best)
			}
			tw.Flush()

			if png != "" {
				dims := []int{0, min(1, d-1)}
				pts := make(plotter.XYs, 0, 20000)
				for i := 0; i < n && len(pts) < cap(pts); i += max(1, n/cap(pts)) {
					pts = append(pts, plotter.XY{X: x[i*d+dims[0]], Y: x[i*d+dims[1]]})
				}
				mdl := &model{Model: "kmeans", K: k, D: d, Weights: ckm.Weights, Centroids: rowsOf(ckm.Centroids, d),
					Sketch: sketchInfo{Rows: int64(n)}}
				if err := plotModel(png, mdl, pts, dims, rowsOf(ll.Centroids, d), "Lloyd k-means++ on all rows"); err != nil {
					return err
				}
				fmt.Fprintf(out, "\nplot      %s\n", png)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&n, "n", 1_000_000, "rows")
	fl.IntVarP(&k, "k", "k", 10, "clusters")
	fl.IntVar(&d, "d", 2, "dimension")
	fl.IntVar(&m, "m", 1000, "frequencies")
	fl.Float64Var(&spread, "spread", 2.5, "spread of the cluster means, in cluster standard deviations × K^(1/d)")
	fl.Uint64Var(&seed, "seed", 1, "seed of the data, the frequencies and the decoder")
	fl.StringVar(&png, "plot", "clkit-demo.png", "PNG of the centroids over the data (empty: none)")
	return cmd
}
