package beamsketch

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/direct"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/clkit/clkit/beam/internal/testfiles"
	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
)

func TestMain(m *testing.M) {
	flag.Parse()
	quietBeam()
	code := m.Run()
	testfiles.Cleanup()
	os.Exit(code)
}

// quietBeam initialises Beam (in loopback mode the workers run in this
// process) with its log off, but with CLKIT_BEAM_LOG=1: the jobs' errors
// come back from beam.Run, and the tests check them.
func quietBeam() {
	if os.Getenv("CLKIT_BEAM_LOG") != "" {
		beam.Init()
		return
	}
	beamlog.LogLevel = "error"
	beam.Init()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func mixture(n, d, k int, seed uint64) []float32 { return testfiles.Mixture(n, d, k, 4, seed) }

var writeNpy = testfiles.WriteNpy

// writeParquet writes rows of 10 values (x0…x9) with row groups of
// groupRows rows.
func writeParquet(t testing.TB, path string, x []float32, groupRows int64) {
	testfiles.WriteParquet(t, path, x, 10, groupRows)
}

// writeParts cuts the rows x into parts files of about equal size named
// dir/part-NNN.ext, written by write.
func writeParts(t testing.TB, dir, ext string, x []float32, d, parts int, write func(path string, x []float32)) []string {
	return testfiles.Parts(t, dir, ext, x, d, testfiles.Even(len(x)/d, parts), write)
}

// localSketch sketches the files one after the other as clkit sketch
// sketches a file (cmd/clkit's sketchStream), with rff and quant alone:
// each dataio block into a fresh sketch, merged into the total in order.
// It shares no code with the package, so that it can catch its mistakes.
func localSketch(t testing.TB, files []string, o dataio.Options, cfg Config) *Accumulator {
	t.Helper()
	f, err := rff.NewFrequencies(cfg.Params)
	if err != nil {
		t.Fatal(err)
	}
	var (
		total, part   *rff.Sketch
		qtotal, qpart *quant.Sketch
	)
	if cfg.Quant {
		qtotal, _ = quant.NewSketch(f)
		qpart, _ = quant.NewSketch(f)
	} else {
		total, part = rff.NewSketch(f), rff.NewSketch(f)
	}
	testfiles.ReadAll(t, files, o, func(b *dataio.Block) {
		n := b.Rows * f.D()
		var err error
		switch {
		case cfg.Quant && b.X32 != nil:
			qpart.Reset()
			err = errors.Join(qpart.AddF32(b.X32[:n], b.W32), qtotal.Merge(qpart))
		case cfg.Quant:
			qpart.Reset()
			err = errors.Join(qpart.AddF64(b.X64[:n], b.W64), qtotal.Merge(qpart))
		case b.X32 != nil:
			part.Reset()
			err = errors.Join(part.AddF32(b.X32[:n], b.W32), total.Merge(part))
		default:
			part.Reset()
			err = errors.Join(part.AddF64(b.X64[:n], b.W64), total.Merge(part))
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	return &Accumulator{r: total, q: qtotal}
}

// decodeFile reads a sketch file of either kind.
func decodeFile(t testing.TB, path string, quantized bool) *Accumulator {
	t.Helper()
	if quantized {
		q, err := quant.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return &Accumulator{q: q}
	}
	s, err := rff.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return &Accumulator{r: s}
}

// z returns the normalised sketch and the row count.
func (a *Accumulator) z() (re, im []float64, rows int64) {
	if a.q != nil {
		re, im = a.q.Z()
		return re, im, a.q.Rows()
	}
	re, im = a.r.Z()
	return re, im, a.r.Rows()
}

func (a *Accumulator) box() (lo, hi []float64, ok bool) {
	if a.q != nil {
		return a.q.Box()
	}
	return a.r.Box()
}

// sameSketch fails unless got and want have the same rows, box and, within
// tol, normalised sketch; it returns the largest difference.
func sameSketch(t testing.TB, got, want *Accumulator, tol float64) float64 {
	t.Helper()
	gr, gi, gn := got.z()
	wr, wi, wn := want.z()
	if gn != wn {
		t.Fatalf("rows: got %d, want %d", gn, wn)
	}
	var worst float64
	for j := range wr {
		worst = max(worst, math.Abs(gr[j]-wr[j]), math.Abs(gi[j]-wi[j]))
	}
	if !(worst <= tol) {
		t.Fatalf("normalised sketches differ by %.3g (tolerance %.3g)", worst, tol)
	}
	glo, ghi, gok := got.box()
	wlo, whi, wok := want.box()
	if gok != wok || fmt.Sprint(glo, ghi) != fmt.Sprint(wlo, whi) {
		t.Fatalf("box: got %v %v %v, want %v %v %v", glo, ghi, gok, wlo, whi, wok)
	}
	return worst
}

// runPipeline sketches the files (globs) on prism into out.
func runPipeline(t testing.TB, globs []string, ro ReadOptions, cfg Config, out string) error {
	t.Helper()
	return runOn(t, "prism", globs, ro, cfg, out)
}

// runOn sketches the files (globs) on a runner into out, as clkit-beam
// does: written under a temporary name, moved to out if the job succeeded.
func runOn(t testing.TB, runner string, globs []string, ro ReadOptions, cfg Config, out string) error {
	t.Helper()
	ctx := context.Background()
	st, err := Stage(out)
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	batches := ReadFiles(s, beam.CreateList(s, globs), ro)
	WriteFile(s, st.Temp, cfg, Sketch(s, batches, cfg))
	if _, err := beam.Run(ctx, runner, p); err != nil {
		st.Abort(ctx)
		return err
	}
	return st.Commit(ctx)
}
