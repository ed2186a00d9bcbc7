package meta

import (
	"fmt"
	"math"
	"slices"

	"github.com/clkit/clkit/meta/baseline"
	"github.com/clkit/clkit/solver"
)

// EvalOptions configures Evaluate.
type EvalOptions struct {
	Sets int    // held-out data sets (default 50)
	N    int    // rows per data set (default 2000)
	Seed uint64 // the data sets' seeds are Seed+1 … Seed+Sets (default 1<<40, away from training's)
	// Privacy, if set, releases the learned sketch with it before
	// decoding (the baseline stays exact: it has no bounded features).
	Privacy *Privacy
	// NoBaseline skips the baseline (only the meta-learned model).
	NoBaseline bool
	Workers    int
}

// EvalResult holds the error ratios of one evaluation (metrics of the
// task: 1 is the exact solution on the full data).
type EvalResult struct {
	Task     string
	M        int
	Sets     int
	Meta     []float64 // per data set
	Baseline []float64 // the random-sketch baseline at the same m, per data set
	BaseName string
}

// Median returns the median of v.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Evaluate measures the model on held-out data sets of its task's family,
// and the random-sketch baseline with the same number m of sketch values:
// compressive PCA (quadratic projections, iterative hard thresholding) for
// PCA and the autoencoder (whose linear optimum is PCA's), compressed
// least squares on projected moments for ridge (package meta/baseline),
// and random Fourier features with m/2 frequencies decoded by CL-OMPR for
// k-means (solver.FitKMeans).
func Evaluate(m *Model, o EvalOptions) (EvalResult, error) {
	if o.Sets == 0 {
		o.Sets = 50
	}
	if o.N == 0 {
		o.N = 2000
	}
	if o.Seed == 0 {
		o.Seed = 1 << 40
	}
	t := m.Task
	res := EvalResult{Task: t.Name(), M: m.Sketch.M(), Sets: o.Sets, Meta: make([]float64, o.Sets), Baseline: make([]float64, o.Sets)}
	errs := make([]error, o.Sets)
	w := o.Workers
	if w <= 0 {
		w = 2
	}
	switch t.(type) {
	case *PCATask, *AETask:
		res.BaseName = "compressive PCA (random quadratic projections)"
	case *RidgeTask:
		res.BaseName = "compressed least squares (moments of a random projection)"
	case *KMeansTask:
		res.BaseName = "random Fourier features + CL-OMPR"
	}
	parallel(w, o.Sets, func(i int) {
		seed := o.Seed + uint64(i) + 1
		ds, err := t.Draw(seed, o.N)
		if err != nil {
			errs[i] = err
			return
		}
		s := m.NewSketch()
		if err := s.Add(ds.X, 1); err != nil {
			errs[i] = err
			return
		}
		if o.Privacy != nil {
			p := *o.Privacy
			if p.Seed == 0 {
				p.Seed = seed
			}
			if s, err = s.Privatize(p); err != nil {
				errs[i] = err
				return
			}
		}
		out, err := m.Predict(s.Z(), float64(s.Rows()), s.Sigma)
		if err == nil {
			res.Meta[i], err = t.Metric(ds, out)
		}
		if err == nil && !o.NoBaseline {
			res.Baseline[i], err = baselineMetric(t, ds, m.Sketch.M(), seed)
		}
		errs[i] = err
	})
	for i, err := range errs {
		if err != nil {
			return res, fmt.Errorf("meta: evaluation data set %d: %w", i, err)
		}
	}
	if o.NoBaseline {
		res.Baseline = nil
	}
	return res, nil
}

// baselineMetric is the random-sketch baseline's error ratio on ds with a
// sketch of M numbers.
func baselineMetric(t Task, ds *Dataset, M int, seed uint64) (float64, error) {
	switch t := t.(type) {
	case *PCATask, *AETask:
		d, k := t.RowDim(), 0
		if p, ok := t.(*PCATask); ok {
			k = p.K
		} else {
			k = t.(*AETask).H
		}
		g, err := baseline.NewDesign(baseline.Params{Task: baseline.PCA, D: d, M: M, Seed: seed})
		if err != nil {
			return 0, err
		}
		s := baseline.NewSketch(g)
		if err := s.Add(ds.X); err != nil {
			return 0, err
		}
		pm, err := baseline.DecodePCA(s, k, baseline.PCAOptions{})
		if err != nil {
			return 0, err
		}
		sc, err := baseline.ScorePCA(ds.X, d, pm)
		return sc.Ratio, err
	case *RidgeTask:
		g, err := baseline.NewDesign(baseline.Params{Task: baseline.Ridge, D: t.D, M: M, Seed: seed})
		if err != nil {
			return 0, err
		}
		s := baseline.NewSketch(g)
		if err := s.Add(ds.X); err != nil {
			return 0, err
		}
		fit, err := baseline.DecodeRidge(s, t.Lambda)
		if err != nil {
			return 0, err
		}
		sc, err := baseline.ScoreRidge(ds.X, ds.TestRows(), t.D, t.Lambda, fit)
		return sc.Ratio, err
	case *KMeansTask:
		fit, err := solver.FitKMeans(ds.X, t.D, t.K, solver.FitOptions{M: max(1, M/2), Seed: seed})
		if err != nil {
			return 0, err
		}
		ll, err := solver.Lloyd(ds.X, t.D, t.K, solver.LloydOptions{Restarts: 10, Seed: 1})
		if err != nil {
			return 0, err
		}
		sse, err := solver.SSE(ds.X, t.D, fit.Centroids)
		return sse / ll.SSE, err
	}
	return 0, fmt.Errorf("meta: no baseline for task %s", t.Name())
}
