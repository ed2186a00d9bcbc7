package baseline

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestBaselineTable is the table the meta-learned models are compared
// against: d = 20, k = 3, n = 2000 rows per data set, 20 data sets
// (family seeds 0..19; ridge held-out rows from row stream 1), design
// seed 1, λ = DefaultLambda. It prints (go test -v -run BaselineTable)
// median [quartiles] of E/E_opt for PCA and of the held-out MSE ratio
// for ridge, with the default layouts and, for reference, ridge with the
// quadratic measurements of meta-learning.md §6.
func TestBaselineTable(t *testing.T) {
	const d, k, n, sets = 20, 3, 2000, 20
	ms := []int{32, 64, 128, 256}
	var b strings.Builder
	fmt.Fprintf(&b, "d = %d, k = %d, n = %d, %d data sets: median [quartiles]\n", d, k, n, sets)
	fmt.Fprintf(&b, "%4s | %-22s %-22s | %-24s %-22s | %-22s\n", "m", "PCA split", "PCA E/E_opt", "ridge split", "ridge MSE ratio", "ridge quadratic (§6)")
	var pcaMed, ridgeMed []float64
	for _, m := range ms {
		gp, err := NewDesign(Params{Task: PCA, D: d, M: m, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		gr, _ := NewDesign(Params{Task: Ridge, D: d, M: m, Seed: 1})
		gq, _ := NewDesign(Params{Task: Ridge, D: d, M: m, Seed: 1, Layout: Quadratic})
		pr := pcaRatios(t, gp, k, n, sets, 0, PCAOptions{})
		rr := ridgeRatios(t, gr, n, sets, 0)
		qr := ridgeRatios(t, gq, n, sets, 0)
		pcaMed = append(pcaMed, median(pr))
		ridgeMed = append(ridgeMed, median(rr))
		fmt.Fprintf(&b, "%4d | %-22s %-22s | %-24s %-22s | %-22s\n", m, split(gp), quartiles(pr), split(gr), quartiles(rr), quartiles(qr))
	}
	t.Log("\n" + b.String())
	for i := 1; i < len(ms); i++ {
		if pcaMed[i] >= pcaMed[i-1] || ridgeMed[i] >= ridgeMed[i-1] {
			t.Errorf("medians do not fall with m: PCA %v, ridge %v", pcaMed, ridgeMed)
			break
		}
	}
	if last := len(ms) - 1; pcaMed[last] > 1+1e-9 || ridgeMed[last] > 1+1e-9 {
		t.Errorf("exact statistics at m = %d: PCA %v, ridge %v", ms[last], pcaMed[last], ridgeMed[last])
	}
}

func split(g *Design) string {
	p := g.Parts()
	switch g.Params().Layout {
	case Quadratic:
		return fmt.Sprintf("quad %d+%d", p.Mean, p.Second)
	case Projected:
		if g.Params().Task == PCA {
			return fmt.Sprintf("proj p=%d %d+%d", p.P, p.Mean, p.Second)
		}
		return fmt.Sprintf("proj p=%d (%d used)", p.P, p.Len())
	}
	return fmt.Sprintf("exact (%d used)", p.Len())
}

func quartiles(v []float64) string {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	q := func(f float64) float64 { return s[int(f*float64(len(s)-1)+0.5)] }
	return fmt.Sprintf("%.3f [%.3f, %.3f]", median(s), q(0.25), q(0.75))
}
