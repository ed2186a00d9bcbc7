package pretrained

import (
	"testing"

	"github.com/clkit/clkit/meta"
)

// TestShipped: every shipped model loads, records how it was made, and on
// held-out data sets of its family beats the random-sketch baseline at the
// same m (the reason it ships).
func TestShipped(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no models")
	}
	// The error ratios vary a lot from set to set: on fewer sets either
	// can come out ahead (on its first 8, ridge-shared's median is 1.23,
	// the baseline's 1.15; on 20, 1.28 and 1.41).
	sets := 20
	if testing.Short() {
		sets = 2 // under emulation: loads and runs
	}
	for _, name := range names {
		m, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Info["clkit.meta.command"] == "" {
			t.Errorf("%s: no clkit.meta.command", name)
		}
		if m.Sketch.D() < 20 || m.Sketch.M() != 64 {
			t.Errorf("%s: d=%d m=%d, want the default sizes", name, m.Sketch.D(), m.Sketch.M())
		}
		res, err := meta.Evaluate(m, meta.EvalOptions{Sets: sets})
		if err != nil {
			t.Fatal(err)
		}
		mm, mb := meta.Median(res.Meta), meta.Median(res.Baseline)
		t.Logf("%s: meta %.3f, %s %.3f", name, mm, res.BaseName, mb)
		if !testing.Short() && !(mm < mb) {
			t.Errorf("%s: error ratio %.3f, the baseline's %.3f: want the shipped model better", name, mm, mb)
		}
	}
	if _, err := Load("nope"); err == nil {
		t.Error("Load of an unknown name: no error")
	}
}
