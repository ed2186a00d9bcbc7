package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/clkit/clkit/quant"
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
						r, err := newRunner(dt, k, dtype, th, false)
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

// BenchmarkQuantSketch/<kernel>/<dtype>/d=D/m=M/threads=T: as
// BenchmarkSketch, for the 1-bit sketch (quant, unweighted rows).
func BenchmarkQuantSketch(b *testing.B) {
	for _, sh := range DefaultShapes {
		dt := newData(sh, 1)
		for _, k := range append(quant.Kernels(), "naive") {
			for _, dtype := range []string{"f32", "f64"} {
				for _, th := range []int{1, 2} {
					name := fmt.Sprintf("%s/%s/d=%d/m=%d/threads=%d", k, dtype, sh.D, sh.M, th)
					b.Run(name, func(b *testing.B) {
						r, err := newRunner(dt, k, dtype, th, true)
						if err != nil {
							b.Fatal(err)
						}
						const rows = 4096
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

func TestMeasureQuant(t *testing.T) {
	c := DefaultQuantConfig()
	c.Shapes, c.DTypes, c.Threads, c.Seconds, c.Rounds = []Shape{{3, 40}}, []string{"f32"}, []int{2}, 0.03, 2
	res, err := Measure(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(quant.Kernels())+1 {
		t.Fatalf("%d results", len(res))
	}
	for _, r := range res {
		if r.Sketch != SketchQuant || !(r.RowsPerSec > 0) {
			t.Errorf("bad result %+v", r)
		}
		b, _ := json.Marshal(r)
		var back map[string]any
		json.Unmarshal(b, &back)
		if back["sketch"] != "quant" {
			t.Errorf("JSON lacks \"sketch\":\"quant\": %s", b)
		}
	}
	// Smooth results keep their JSON as it was: no sketch field.
	c = DefaultConfig()
	c.Shapes, c.DTypes, c.Threads, c.Kernels, c.Seconds, c.Rounds = []Shape{{3, 40}}, []string{"f64"}, []int{1}, []string{"go"}, 0.01, 1
	res, _ = Measure(c, nil)
	if b, _ := json.Marshal(res[0]); strings.Contains(string(b), "sketch") {
		t.Errorf("smooth result mentions a sketch kind: %s", b)
	}
	bad := DefaultQuantConfig()
	bad.Kernels = []string{"z80"}
	if _, err := Measure(bad, nil); err == nil {
		t.Error("unknown quant kernel accepted")
	}
}

// TestNaiveQuant checks the 1-bit baseline against quant's exact counts.
func TestNaiveQuant(t *testing.T) {
	dt := newData(Shape{4, 20}, 3)
	c, s := make([]int64, 20), make([]int64, 20)
	NaiveQuant(dt.x64[:4000], 4, dt.om64, dt.freq.Xi(), c, s, 3)
	sk, err := quant.NewSketch(dt.freq)
	if err != nil {
		t.Fatal(err)
	}
	sk.AddF64(dt.x64[:4000], nil)
	wc, ws, rows := sk.Counts()
	if rows != 1000 || !slices.Equal(c, wc) || !slices.Equal(s, ws) {
		t.Fatalf("naive counts %v %v, quant %v %v", c, s, wc, ws)
	}
}
