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
	sets := 8
	if testing.Short() {
		sets = 3
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
		if !(mm < mb) {
			t.Errorf("%s: error ratio %.3f, the baseline's %.3f: want the shipped model better", name, mm, mb)
		}
	}
	if _, err := Load("nope"); err == nil {
		t.Error("Load of an unknown name: no error")
	}
}
