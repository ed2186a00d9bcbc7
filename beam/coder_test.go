package beamsketch

import (
	"bytes"
	"compress/gzip"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/rff"
)

func TestBatchCoder(t *testing.T) {
	for _, b := range []Batch{
		{File: "a.npy", Columns: []string{"0", "1"}, Block: dataio.Block{FirstRow: 7, Rows: 2, X32: []float32{1, 2, 3, float32(math.Inf(1))}}},
		{File: "b.parquet", Columns: []string{"x", "y"}, Block: dataio.Block{FirstRow: 1 << 40, RowNums: []int64{5, 9}, Rows: 2,
			X64: []float64{1, -2, 3.5, 4}, W64: []float64{0.5, 2}}},
		{File: "c.csv", Columns: []string{"u"}, Block: dataio.Block{Rows: 3, X32: []float32{1, 2, 3}, W32: []float32{1, 0, 3}}},
	} {
		enc := encodeBatch(b)
		got, err := decodeBatch(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("round trip:\ngot  %+v\nwant %+v", got, b)
		}
		for _, bad := range [][]byte{enc[:len(enc)-1], append(append([]byte(nil), enc...), 0), {2}, nil} {
			if _, err := decodeBatch(bad); err == nil {
				t.Fatalf("decoding %d corrupt bytes succeeded", len(bad))
			}
		}
	}
}

func TestAccumulatorCoder(t *testing.T) {
	x := mixture(5000, 3, 2, 8)
	for _, quantized := range []bool{false, true} {
		cfg := testConfig(3, quantized)
		f, err := frequencies(cfg.Params)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := newAccumulator(f, quantized)
		if err := a.add(&Batch{File: "x", Block: dataio.Block{Rows: 5000, X32: x}}, 1); err != nil {
			t.Fatal(err)
		}
		enc, err := encodeAccumulator(a)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := a.MarshalBinary()
		if len(enc) != 9+len(want) {
			t.Fatalf("%d bytes on the wire for a %d-byte sketch", len(enc), len(want))
		}
		for _, cached := range []bool{true, false} {
			if !cached { // a fresh worker: the frequencies are drawn from the parameters
				freqCache.Lock()
				clear(freqCache.byFP)
				clear(freqCache.byParams)
				freqCache.Unlock()
			}
			got, err := decodeAccumulator(enc)
			if err != nil {
				t.Fatal(err)
			}
			if cached != (got.frequencies() == f) {
				t.Errorf("cached=%v: frequencies reused = %v", cached, got.frequencies() == f)
			}
			sameSketch(t, got, a, 0)
		}
		bad := append([]byte(nil), enc...)
		bad[len(bad)/2] ^= 1
		if _, err := decodeAccumulator(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("corrupt accumulator: %v", err)
		}
	}
}

// A bad value is reported with the file's row and column, also from the
// parallel path, and nothing is added.
func TestAddNamesRowAndColumn(t *testing.T) {
	x := mixture(10000, 2, 2, 3)
	x[2*7777+1] = float32(math.NaN())
	for _, workers := range []int{1, 4} {
		a, _ := newAccumulator(mustFreq(t, testConfig(2, false).Params), false)
		err := a.add(&Batch{File: "f.npy", Columns: []string{"u", "v"}, Block: dataio.Block{FirstRow: 100, Rows: 10000, X32: x}}, workers)
		var de *dataio.Error
		if !asError(err, &de) || de.File != "f.npy" || de.Row != 7877 || de.Column != "v" {
			t.Fatalf("workers=%d: error %v", workers, err)
		}
		if a.Rows() != 0 {
			t.Fatalf("workers=%d: %d rows added", workers, a.Rows())
		}
	}
}

func mustFreq(t *testing.T, p rff.Params) *rff.Frequencies {
	t.Helper()
	f, err := frequencies(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func asError(err error, target **dataio.Error) bool {
	e, ok := err.(*dataio.Error)
	*target = e
	return ok
}

// Splits cover every row once, start at multiples of the block size, and
// read back the file's rows with the file's row numbers.
func TestSplitFile(t *testing.T) {
	dir := t.TempDir()
	const d = 3
	x := mixture(10000, d, 2, 5)
	npy := filepath.Join(dir, "x.npy")
	writeNpy(t, npy, x, d)
	raw := filepath.Join(dir, "x.f32")
	var b []byte
	for _, v := range x {
		b = append(b, byte(math.Float32bits(v)), byte(math.Float32bits(v)>>8), byte(math.Float32bits(v)>>16), byte(math.Float32bits(v)>>24))
	}
	os.WriteFile(raw, b, 0o644)
	for _, c := range []struct {
		path string
		o    dataio.Options
	}{{npy, dataio.Options{BlockRows: 1000}}, {raw, dataio.Options{Dim: d, BlockRows: 1000}},
		{npy, dataio.Options{BlockRows: 1000, Columns: []string{"2", "0"}}}} {
		splits, err := SplitFile(c.path, ReadOptions{Options: c.o, SplitRows: 2500})
		if err != nil {
			t.Fatal(err)
		}
		if len(splits) != 4 {
			t.Fatalf("%s: %d splits, want 4 of 3000 rows", c.path, len(splits))
		}
		var next int64
		for _, sp := range splits {
			if sp.Whole || sp.First != next || sp.First%1000 != 0 {
				t.Fatalf("split %+v after row %d", sp, next)
			}
			next += sp.Rows
			err := ReadSplit(t.Context(), sp, c.o, func(bt Batch) error {
				cols := []int{0, 1, 2}
				if len(c.o.Columns) > 0 {
					cols = []int{2, 0}
				}
				for i := range bt.Rows {
					r := bt.Row(i)
					for j, cj := range cols {
						if bt.X32[i*len(cols)+j] != x[int(r)*d+cj] {
							t.Fatalf("%s row %d column %d: got %v, want %v", c.path, r, cj, bt.X32[i*len(cols)+j], x[int(r)*d+cj])
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if next != 10000 {
			t.Fatalf("splits cover %d rows", next)
		}
	}
	// Whole files: CSV, compressed, and splitting turned off.
	gz := filepath.Join(dir, "x.npy.gz")
	gzipFile(t, npy, gz)
	for _, c := range []struct {
		path string
		ro   ReadOptions
	}{{filepath.Join(dir, "x.csv"), ReadOptions{}}, {npy, ReadOptions{SplitRows: -1}},
		{gz, ReadOptions{Options: dataio.Options{Format: dataio.Npy, BlockRows: 1000}, SplitRows: 1000}}} {
		os.WriteFile(filepath.Join(dir, "x.csv"), []byte("a\n1\n"), 0o644)
		splits, err := SplitFile(c.path, c.ro)
		if err != nil || len(splits) != 1 || !splits[0].Whole {
			t.Fatalf("%s: %+v, %v", c.path, splits, err)
		}
	}
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write(b)
	z.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The CombineFn under any bundling: the batches cut into random bundles,
// each bundle's accumulator sent through the coder (as between workers),
// and merged in a random tree, give the sketch of one accumulator fed every
// batch in order (to float64 rounding; the 1-bit sketch identically).
func TestCombineFnAnyBundling(t *testing.T) {
	const d, n = 3, 40000
	x := mixture(n, d, 4, 6)
	var batches []Batch
	for lo := 0; lo < n; {
		hi := min(n, lo+1+int(uint(lo*7919+13)%1500))
		batches = append(batches, Batch{File: "f", Block: dataio.Block{FirstRow: int64(lo), Rows: hi - lo, X32: x[lo*d : hi*d]}})
		lo = hi
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, quantized := range []bool{false, true} {
		fn := &sketchFn{Cfg: testConfig(d, quantized)}
		if err := fn.Setup(); err != nil {
			t.Fatal(err)
		}
		whole, _ := fn.CreateAccumulator()
		for _, b := range batches {
			if _, err := fn.AddInput(whole, b); err != nil {
				t.Fatal(err)
			}
		}
		for trial := range 5 {
			order := rng.Perm(len(batches))
			var accs []*Accumulator
			for i := 0; i < len(order); {
				k := 1 + rng.IntN(8)
				a, _ := fn.CreateAccumulator()
				for _, j := range order[i:min(len(order), i+k)] {
					fn.AddInput(a, batches[j])
				}
				i += k
				enc, err := encodeAccumulator(a)
				if err != nil {
					t.Fatal(err)
				}
				if a, err = decodeAccumulator(enc); err != nil {
					t.Fatal(err)
				}
				accs = append(accs, a)
			}
			bundles := len(accs)
			for len(accs) > 1 {
				i, j := rng.IntN(len(accs)), rng.IntN(len(accs)-1)
				if j >= i {
					j++
				}
				m, err := fn.MergeAccumulators(accs[i], accs[j])
				if err != nil {
					t.Fatal(err)
				}
				accs[i] = m
				accs = append(accs[:j], accs[j+1:]...)
			}
			out, err := fn.ExtractOutput(accs[0])
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeAccumulator(append([]byte{map[bool]byte{false: kindComplex, true: kindQuant}[quantized], 0, 0, 0, 0, 0, 0, 0, 0}, out...))
			if err != nil {
				t.Fatal(err)
			}
			diff := sameSketch(t, got, whole, tolerance(quantized))
			if trial == 0 {
				t.Logf("%s: %d batches in %d bundles: max |Δz| = %.3g", kindName(quantized), len(batches), bundles, diff)
			}
		}
	}
}
