package baseline_test

import (
	"fmt"

	"github.com/clkit/clkit/meta/baseline"
)

func Example() {
	const d, k = 20, 3
	task, err := baseline.DefaultPCAFamily(d).Task(7)
	if err != nil {
		panic(err)
	}
	rows := task.Rows(2000, 0)

	g, err := baseline.NewDesign(baseline.Params{Task: baseline.PCA, D: d, M: 200, Seed: 1})
	if err != nil {
		panic(err)
	}
	s := baseline.NewSketch(g)
	if err := s.Add(rows[:1000*d]); err != nil { // two blocks, as a stream would
		panic(err)
	}
	if err := s.Add(rows[1000*d:]); err != nil {
		panic(err)
	}
	m, err := baseline.DecodePCA(s, k, baseline.PCAOptions{})
	if err != nil {
		panic(err)
	}
	sc, err := baseline.ScorePCA(rows, d, m)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v: %d means + %d measurements, E/E_opt = %.2f\n", g.Params().Layout, g.Parts().Mean, g.Parts().Second, sc.Ratio)
	// Output: quadratic: 20 means + 180 measurements, E/E_opt = 1.00
}

func ExampleDecodeRidge() {
	const d = 20
	task, _ := baseline.DefaultRidgeFamily(d).Task(7)
	train, test := task.Rows(2000, 0), task.Rows(2000, 1)

	g, _ := baseline.NewDesign(baseline.Params{Task: baseline.Ridge, D: d, M: 256, Seed: 1})
	s := baseline.NewSketch(g)
	_ = s.Add(train)
	fit, err := baseline.DecodeRidge(s, baseline.DefaultLambda)
	if err != nil {
		panic(err)
	}
	sc, _ := baseline.ScoreRidge(train, test, d, baseline.DefaultLambda, fit)
	fmt.Printf("%v statistics (%d numbers): held-out MSE ratio %.3f\n", g.Params().Layout, g.Len(), sc.Ratio)
	// Output: exact statistics (252 numbers): held-out MSE ratio 1.000
}
