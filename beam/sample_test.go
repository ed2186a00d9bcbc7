package beamsketch

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"
	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/quant"
)

// fakefs:// is a remote filesystem for the tests: memfs underneath, but
// List returns the files in reverse order and each twice (as a filesystem
// may), and OpenRead counts the opens of each file.
const fakeScheme = "fakefs://"

var fakeOpens = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

type fakeFS struct{ filesystem.Interface }

func init() {
	filesystem.Register("fakefs", func(ctx context.Context) filesystem.Interface {
		return fakeFS{memfs.New(ctx)}
	})
}

func toMem(p string) string   { return "memfs://fake/" + strings.TrimPrefix(p, fakeScheme) }
func fromMem(p string) string { return fakeScheme + strings.TrimPrefix(p, "memfs://fake/") }

func (f fakeFS) List(ctx context.Context, glob string) ([]string, error) {
	l, err := f.Interface.List(ctx, toMem(glob))
	var out []string
	for _, p := range slices.Backward(l) {
		out = append(out, fromMem(p), fromMem(p))
	}
	return out, err
}

func (f fakeFS) OpenRead(ctx context.Context, p string) (io.ReadCloser, error) {
	fakeOpens.Lock()
	fakeOpens.n[p]++
	fakeOpens.Unlock()
	return f.Interface.OpenRead(ctx, toMem(p))
}

func (f fakeFS) Size(ctx context.Context, p string) (int64, error) {
	return f.Interface.Size(ctx, toMem(p))
}

// putFake writes rows of d values as the .npy file fakefs://name.
func putFake(t *testing.T, name string, x []float32, d int) string {
	t.Helper()
	local := filepath.Join(t.TempDir(), filepath.Base(name))
	writeNpy(t, local, x, d)
	b, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	memfs.Write(toMem(fakeScheme+name), b)
	return fakeScheme + name
}

// Match sorts what the filesystem lists and drops duplicates: --sigma auto
// samples the first files, which must not depend on the listing order.
func TestMatchSortsAndDedupes(t *testing.T) {
	var want []string
	for _, n := range []string{"match/a.npy", "match/b.npy", "match/c.npy"} {
		want = append(want, putFake(t, n, []float32{1, 2}, 2))
	}
	got, err := Match(context.Background(), fakeScheme+"match/*.npy")
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Match: %q, %v; want %q", got, err, want)
	}
}

// Learning d and then sampling reads each (remote) file once, and takes the
// same rows as Sample.
func TestSamplerOpensEachFileOnce(t *testing.T) {
	x := mixture(3000, 2, 2, 7)
	var files []string
	for i, n := range []string{"sample/p0.npy", "sample/p1.npy", "sample/p2.npy"} {
		files = append(files, putFake(t, n, x[i*2000:(i+1)*2000], 2))
	}
	ctx := context.Background()
	sm, err := NewSampler(ctx, files, dataio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sm.Dim() != 2 {
		t.Fatalf("d=%d, want 2", sm.Dim())
	}
	a, err := sm.Rows(500)
	if err != nil {
		t.Fatal(err)
	}
	a = slices.Clone(a)
	b, err := sm.Rows(1500) // on into the second file
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 1500*2 || !slices.Equal(b[:len(a)], a) {
		t.Fatalf("%d then %d values, not a continuation", len(a), len(b))
	}
	for i, v := range b {
		if v != float64(x[i]) {
			t.Fatalf("value %d: %g, want %g", i, v, x[i])
		}
	}
	if err := sm.Close(); err != nil {
		t.Fatal(err)
	}
	fakeOpens.Lock()
	opens := []int{fakeOpens.n[files[0]], fakeOpens.n[files[1]], fakeOpens.n[files[2]]}
	fakeOpens.Unlock()
	if !slices.Equal(opens, []int{1, 1, 0}) {
		t.Fatalf("opens %v, want [1 1 0]", opens)
	}
	ref, d, err := Sample(ctx, files, dataio.Options{}, 1500)
	if err != nil || d != 2 || !slices.Equal(ref, b) {
		t.Fatalf("Sample: %d values, d=%d, %v; want the Sampler's %d", len(ref), d, err, len(b))
	}
}

// Validate rejects what rff and what quant reject; TrySketch returns its
// error, and Sketch panics with it.
func TestValidate(t *testing.T) {
	if err := testConfig(2, true).Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	noDither := testConfig(2, false)
	noDither.Params.NoDither = true
	if err := noDither.Validate(); err != nil {
		t.Fatalf("complex sketch without dither: %v", err)
	}
	noDither.Quant = true
	badM := testConfig(2, false)
	badM.Params.M = 0
	for _, c := range []struct {
		cfg  Config
		want error
	}{{noDither, quant.ErrNoDither}, {badM, nil}} {
		err := c.cfg.Validate()
		if err == nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%+v: Validate %v, want %v", c.cfg.Params, err, c.want)
		}
		_, s := beam.NewPipelineWithRoot()
		batches := beam.Create(s, Batch{})
		if _, err := TrySketch(s, batches, c.cfg); err == nil {
			t.Errorf("%+v: TrySketch succeeded", c.cfg.Params)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: Sketch did not panic", c.cfg.Params)
				}
			}()
			Sketch(s, batches, c.cfg)
		}()
	}
	_, s := beam.NewPipelineWithRoot()
	if _, err := TrySketch(s, beam.Create(s, Batch{}), testConfig(2, false)); err != nil {
		t.Fatalf("TrySketch: %v", err)
	}
}
