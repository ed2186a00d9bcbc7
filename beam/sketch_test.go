package beamsketch

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/rff"
)

func testConfig(d int, quantized bool) Config {
	return Config{Params: rff.Params{Law: rff.AdaptedRadius, D: d, M: 200, Sigma: []float64{2}, Seed: 3}, Quant: quantized}
}

// tolerance for the normalised sketch: the 1-bit sketch counts in
// integers and must be identical.
func tolerance(quantized bool) float64 {
	if quantized {
		return 0
	}
	return 1e-12
}

func kindName(quantized bool) string {
	if quantized {
		return "1-bit"
	}
	return "complex"
}

// The Beam sketch of a data set split into 9 files equals the one-process
// sketch of the same files, for .npy (split into row ranges) and Parquet
// (whole files), both sketch kinds, one or all goroutines a batch.
func TestMatchesSingleProcess(t *testing.T) {
	const d, n, files = 10, 90_000, 9
	dir := t.TempDir()
	x := mixture(n, d, 5, 1)
	npy := writeParts(t, dir, "npy", x, d, files, func(p string, x []float32) { writeNpy(t, p, x, d) })
	pq := writeParts(t, dir, "parquet", x, d, files, func(p string, x []float32) { writeParquet(t, p, x, 3000) })
	for _, set := range []struct {
		name  string
		files []string
		ro    ReadOptions
	}{
		{"npy", npy, ReadOptions{Options: dataio.Options{BlockRows: 2048}, SplitRows: 3000}}, // splits of 4096 rows
		{"parquet", pq, ReadOptions{}},
	} {
		for _, quantized := range []bool{false, true} {
			for _, workers := range []int{1, -1} {
				t.Run(fmt.Sprintf("%s/%s/workers=%d", set.name, kindName(quantized), workers), func(t *testing.T) {
					cfg := testConfig(d, quantized)
					cfg.Workers = workers
					out := filepath.Join(t.TempDir(), "out.sk")
					glob := filepath.Join(dir, "*."+set.name)
					if err := runPipeline(t, []string{glob}, set.ro, cfg, out); err != nil {
						t.Fatal(err)
					}
					want := localSketch(t, set.files, set.ro.Options, cfg)
					if want.Rows() != n {
						t.Fatalf("reference has %d rows, want %d", want.Rows(), n)
					}
					diff := sameSketch(t, decodeFile(t, out, quantized), want, tolerance(quantized))
					t.Logf("max |Δz| = %.3g", diff)
				})
			}
		}
	}
}

// The same rows give the same sketch whatever the files, splits, blocks
// and element order: 8 or 13 files, whole or in row ranges, listed sorted,
// reversed or shuffled. Cuts fall on multiples of 256 rows, where rff's
// float32 kernel starts its runs anyway (it sums float32 rows in float32
// over runs of up to 256 rows); with float64 rows, and for the 1-bit
// sketch, any cuts give the same sketch.
func TestAnyBundling(t *testing.T) {
	const d = 4
	dir := t.TempDir()
	type layout struct {
		name  string
		files []string
	}
	// n = 8·13·512 rows: 8 files of 6656 and 13 of 4096 rows (multiples of
	// 256), and uneven cuts for the float64 and 1-bit cases.
	const n = 8 * 13 * 512
	x := mixture(n, d, 6, 2)
	cut := func(name string, sizes []int) layout {
		sub := filepath.Join(dir, name)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		var paths []string
		lo := 0
		for i, s := range sizes {
			p := filepath.Join(sub, fmt.Sprintf("part-%03d.npy", i))
			writeNpy(t, p, x[lo*d:(lo+s)*d], d)
			paths = append(paths, p)
			lo += s
		}
		if lo != n {
			t.Fatalf("layout %s has %d rows, want %d", name, lo, n)
		}
		return layout{name, paths}
	}
	even := func(parts int) []int {
		s := make([]int, parts)
		for i := range s {
			s[i] = n / parts
		}
		return s
	}
	uneven := []int{1, 999, 12345, 7, 20000, 3333, 4444, 5555, 53248 - 1 - 999 - 12345 - 7 - 20000 - 3333 - 4444 - 5555}
	layouts := []layout{cut("8", even(8)), cut("13", even(13)), cut("uneven", uneven)}

	rng := rand.New(rand.NewPCG(9, 9))
	for _, quantized := range []bool{false, true} {
		for _, f64 := range []bool{false, true} {
			cfg := testConfig(d, quantized)
			cfg.Workers = -1
			ref := localSketch(t, layouts[0].files, dataio.Options{Float64: f64}, cfg)
			for _, l := range layouts {
				if l.name == "uneven" && !f64 && !quantized {
					continue // the float32 kernel's runs would be cut elsewhere (float32 rounding, ~1e-8)
				}
				shuffled := slices.Clone(l.files)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				reversed := slices.Clone(l.files)
				slices.Reverse(reversed)
				for _, c := range []struct {
					order, runner string
					globs         []string
					ro            ReadOptions
				}{
					{"glob", "prism", []string{filepath.Join(dir, l.name, "*.npy")}, ReadOptions{SplitRows: -1}},
					{"reversed", "prism", reversed, ReadOptions{SplitRows: 1000}},                                          // one block a split
					{"shuffled", "prism", shuffled, ReadOptions{Options: dataio.Options{BlockRows: 768}, SplitRows: 2000}}, // splits of 2304 rows
					{"shuffled", "direct", shuffled, ReadOptions{SplitRows: 4000}},
				} {
					name := fmt.Sprintf("%s/f64=%v/%s-files/%s/%s", kindName(quantized), f64, l.name, c.order, c.runner)
					t.Run(name, func(t *testing.T) {
						ro := c.ro
						ro.Options.Float64 = f64
						out := filepath.Join(t.TempDir(), "out.sk")
						if err := runOn(t, c.runner, c.globs, ro, cfg, out); err != nil {
							t.Fatal(err)
						}
						diff := sameSketch(t, decodeFile(t, out, quantized), ref, tolerance(quantized))
						t.Logf("max |Δz| = %.3g", diff)
					})
				}
			}
		}
	}
}

// A bad file among good ones fails the job with an error naming the file
// (and row and column), and no sketch file is left.
func TestBadFileFailsJob(t *testing.T) {
	const d = 3
	x := mixture(20000, d, 3, 4)
	for _, c := range []struct {
		name, file string
		want       []string
		make       func(path string)
	}{
		{"truncated npy", "bad.npy", []string{"bad.npy", "row 1365", "truncated"}, func(p string) {
			writeNpy(t, p, x[:2000*d], d)
			st, _ := os.Stat(p)
			os.Truncate(p, st.Size()-(2000-1365)*4*d+5)
		}},
		{"NaN in npy", "bad.npy", []string{"bad.npy", "row 1234", `column "2"`, "NaN"}, func(p string) {
			y := append([]float32(nil), x[:2000*d]...)
			y[1234*d+2] = float32(math.NaN())
			writeNpy(t, p, y, d)
		}},
		{"bad CSV cell", "bad.csv", []string{"bad.csv", ":4", "row 2", "column \"b\""}, func(p string) {
			os.WriteFile(p, []byte("a,b,c\n1,2,3\n4,5,6\n7,oops,9\n"), 0o644)
		}},
		{"NaN in CSV", "bad.csv", []string{"bad.csv", "row 1", "column \"c\""}, func(p string) {
			os.WriteFile(p, []byte("a,b,c\n1,2,3\n4,5,NaN\n7,8,9\n"), 0o644)
		}},
		{"not Parquet", "bad.parquet", []string{"bad.parquet", "not a readable Parquet file"}, func(p string) {
			os.WriteFile(p, []byte("PAR1 but not really"), 0o644)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ext := filepath.Ext(c.file)
			for i := range 8 { // good files
				p := filepath.Join(dir, fmt.Sprintf("good-%d%s", i, ext))
				part := x[i*2000*d : (i+1)*2000*d]
				switch ext {
				case ".npy":
					writeNpy(t, p, part, d)
				case ".csv":
					var sb strings.Builder
					sb.WriteString("a,b,c\n")
					for r := 0; r < len(part); r += d {
						fmt.Fprintf(&sb, "%g,%g,%g\n", part[r], part[r+1], part[r+2])
					}
					os.WriteFile(p, []byte(sb.String()), 0o644)
				case ".parquet":
					y := make([]float32, 0, len(part)/d*10)
					for r := 0; r < len(part); r += d {
						y = append(y, part[r:r+d]...)
						y = append(y, make([]float32, 10-d)...)
					}
					writeParquet(t, p, y, 500)
				}
			}
			bad := filepath.Join(dir, c.file)
			c.make(bad)
			outDir := t.TempDir()
			out := filepath.Join(outDir, "out.sk")
			cfg := testConfig(d, false)
			ro := ReadOptions{}
			if ext == ".parquet" {
				cfg = testConfig(10, false)
			}
			err := runPipeline(t, []string{filepath.Join(dir, "*"+ext)}, ro, cfg, out)
			if err == nil {
				t.Fatal("the job succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if left, _ := os.ReadDir(outDir); len(left) != 0 {
				t.Errorf("files left in the output directory: %v", left)
			}
		})
	}
}

func TestGlobMatchingNothingFails(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.sk")
	err := runPipeline(t, []string{filepath.Join(dir, "*.npy")}, ReadOptions{}, testConfig(2, false), out)
	if err == nil || !strings.Contains(err.Error(), "no files match") {
		t.Fatalf("error %v, want no files match", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a sketch was written")
	}
}

// Files without rows give the empty sketch, as clkit sketch does.
func TestNoRowsWritesEmptySketch(t *testing.T) {
	dir := t.TempDir()
	writeNpy(t, filepath.Join(dir, "empty.npy"), nil, 3)
	out := filepath.Join(dir, "out.sk")
	if err := runPipeline(t, []string{filepath.Join(dir, "*.npy")}, ReadOptions{}, testConfig(3, true), out); err != nil {
		t.Fatal(err)
	}
	if got := decodeFile(t, out, true); got.Rows() != 0 {
		t.Fatalf("%d rows, want 0", got.Rows())
	}
}
