package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/clkit/clkit/rff"
)

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{errors.New("disk full"), ExitError},
		{Usagef("--m %d", 0), ExitUsage},
		{fmt.Errorf("wrapped: %w", UsageError{Err: errors.New("x")}), ExitUsage},
		{errors.New(`unknown flag: --bogus`), ExitUsage},
		{errors.New(`accepts 1 arg(s), received 2`), ExitUsage},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestFloats(t *testing.T) {
	if got := Floats([]float64{1, 0.5}, " "); got != "1 0.5" {
		t.Errorf("short: %q", got)
	}
	v := make([]float64, 10)
	for i := range v {
		v[i] = float64(i)
	}
	if got, want := Floats(v, ","), "0,1,2,3,… (4 more) …,8,9"; got != want {
		t.Errorf("long: %q, want %q", got, want)
	}
}

func TestParseLaw(t *testing.T) {
	for s, want := range map[string]rff.Law{"adapted": rff.AdaptedRadius, "Adapted-Radius": rff.AdaptedRadius,
		"gaussian": rff.Gaussian, "FOLDED": rff.FoldedGaussian, "folded-gaussian": rff.FoldedGaussian} {
		if got, err := parseLaw(s); err != nil || got != want {
			t.Errorf("parseLaw(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := parseLaw("cauchy"); ExitCode(err) != ExitUsage {
		t.Errorf("parseLaw(cauchy): %v, want a usage error", err)
	}
}

func TestSigmaValues(t *testing.T) {
	noSample := func(int) ([]float64, error) { t.Fatal("sampled with σ given"); return nil, nil }
	f := SketchFlags{Sigma: "0.5, 2"}
	if s, err := f.SigmaValues(2, noSample); err != nil || len(s) != 2 || s[1] != 2 {
		t.Errorf("given: %v, %v", s, err)
	}
	for _, bad := range []string{"0", "-1", "x", "inf", "1,2,3"} {
		f.Sigma = bad
		if _, err := f.SigmaValues(2, noSample); ExitCode(err) != ExitUsage {
			t.Errorf("--sigma %s: %v, want a usage error", bad, err)
		}
	}
	f = SketchFlags{Sigma: "auto", SampleRows: 1000, SigmaFactor: 2, Seed: 1}
	var limit int
	one := func(l int) ([]float64, error) { limit = l; return []float64{1, 2}, nil }
	if _, err := f.SigmaValues(2, one); err == nil || ExitCode(err) != ExitError || limit != 1000 {
		t.Errorf("auto from one row: %v (limit %d)", err, limit)
	}
}

func TestRowError(t *testing.T) {
	cols := []string{"x", "y"}
	for _, c := range []struct {
		col  int
		want string
	}{{1, `f.npy: row 7, column "y": bad`}, {-1, `f.npy: row 7, column "weight": bad`}, {5, `f.npy: row 7, column "5": bad`}} {
		if got := RowError("f.npy", 7, c.col, cols, "weight", "bad").Error(); got != c.want {
			t.Errorf("col %d: %q, want %q", c.col, got, c.want)
		}
	}
}
