package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/clkit/clkit/rff"
)

// BenchmarkSketch/<kernel>/<dtype>/d=D/m=M/threads=T: one op sketches a
// block of 4096 rows. Compare kernels with benchstat on -count ≥ 5 runs.
func BenchmarkSketch(b *testing.B) {
	for _, sh := range DefaultShapes {
		dt := newData(sh, 1)
		for _, k := range append(rff.Kernels(), "naive") {
			for _, dtype := range []string{"f32", "f64"} {
				for _, th := range []int{1, 2} {
					name := fmt.Sprintf("%s/%s/d=%d/m=%d/threads=%d", k, dtype, sh.D, sh.M, th)
					b.Run(name, func(b *testing.B) {
						r, err := newRunner(dt, k, dtype, th)
						if err != nil {
							b.Fatal(err)
						}
						const rows = 4096
						size := 4
						if dtype == "f64" {
							size = 8
						}
						b.SetBytes(int64(rows * sh.D * size))
						for b.Loop() {
							r.run(rows)
						}
						rps := float64(b.N) * rows / b.Elapsed().Seconds()
						b.ReportMetric(rps, "rows/s")
						b.ReportMetric(1e9/(rps*float64(sh.M)), "ns/row·freq")
					})
				}
			}
		}
	}
}

func TestMeasure(t *testing.T) {
	c := Config{Shapes: []Shape{{3, 40}}, DTypes: []string{"f32", "f64"}, Threads: []int{1, 2},
		Kernels: append(rff.Kernels(), "naive"), Seconds: 0.05, Rounds: 3, Seed: 1}
	var seen int
	res, err := Measure(c, func(Result) { seen++ })
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 2 * len(c.Kernels); len(res) != want || seen != want {
		t.Fatalf("%d results, %d progress calls; want %d", len(res), seen, want)
	}
	for _, r := range res {
		if !(r.RowsPerSec > 0) || len(r.Rounds) != 3 || math.Abs(r.NsPerElem*r.RowsPerSec*40/1e9-1) > 1e-9 {
			t.Errorf("bad result %+v", r)
		}
		b, _ := json.Marshal(r)
		var back map[string]any
		json.Unmarshal(b, &back)
		for _, key := range []string{"kernel", "dtype", "d", "m", "threads", "rows_per_sec", "ns_per_elem"} {
			if _, ok := back[key]; !ok {
				t.Errorf("JSON lacks %q: %s", key, b)
			}
		}
	}
	for _, bad := range []Config{
		{Shapes: []Shape{{0, 10}}, DTypes: []string{"f32"}, Threads: []int{1}, Kernels: []string{"go"}, Seconds: 1, Rounds: 1},
		{Shapes: []Shape{{1, 10}}, DTypes: []string{"f16"}, Threads: []int{1}, Kernels: []string{"go"}, Seconds: 1, Rounds: 1},
		{Shapes: []Shape{{1, 10}}, DTypes: []string{"f32"}, Threads: []int{1}, Kernels: []string{"z80"}, Seconds: 1, Rounds: 1},
		{Shapes: []Shape{{1, 10}}, DTypes: []string{"f32"}, Threads: []int{1}, Kernels: []string{"go"}, Seconds: 0, Rounds: 1},
	} {
		if _, err := Measure(bad, nil); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

// TestNaive checks the baseline itself against the sketch.
func TestNaive(t *testing.T) {
	dt := newData(Shape{4, 20}, 3)
	c, s := make([]float64, 20), make([]float64, 20)
	Naive(dt.x64[:400], 4, dt.om64, dt.freq.Xi(), c, s, 3)
	sk := rff.NewSketch(dt.freq)
	sk.AddF64(dt.x64[:400], nil)
	wc, ws := sk.Sums()
	for j := range c {
		if math.Abs(c[j]-wc[j]) > 1e-9 || math.Abs(s[j]-ws[j]) > 1e-9 {
			t.Fatalf("naive differs at %d: %v %v vs %v %v", j, c[j], s[j], wc[j], ws[j])
		}
	}
}
