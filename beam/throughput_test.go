package beamsketch

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clkit/clkit/beam/internal/testfiles"
	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/rff"
)

// readOnly reads the files (no sketch) and returns the seconds taken.
func readOnly(t testing.TB, files []string) float64 {
	t0 := time.Now()
	testfiles.ReadAll(t, files, dataio.Options{}, func(*dataio.Block) {})
	return time.Since(t0).Seconds()
}

// cpuSeconds is the user+system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// childSeconds is the user+system CPU time of this process's waited-for
// children so far.
func childSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// timedChild runs fn, which runs a command, and returns the wall and the
// command's CPU seconds.
func timedChild(fn func()) (wall, cpu float64) {
	c0, t0 := childSeconds(), time.Now()
	fn()
	return time.Since(t0).Seconds(), childSeconds() - c0
}

// timed runs fn and returns its wall and CPU seconds.
func timed(fn func()) (wall, cpu float64) {
	c0, t0 := cpuSeconds(), time.Now()
	fn()
	return time.Since(t0).Seconds(), cpuSeconds() - c0
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// TestThroughput compares Beam on prism (in this process, loopback
// workers, as clkit-beam runs it) with the single-process clkit sketch of
// the same rows (the main module's command, on their concatenation), d =
// 10, m = 1000, float32, 16 files of 250k rows in .npy and in Parquet, in
// interleaved rounds (medians). It says where the time goes: the job's
// fixed cost (a pipeline over 1000 rows), reading alone, the kernel alone
// on rows in memory, CPU seconds. CLKIT_LONG=1 runs it;
// CLKIT_BEAM_PROFILE=file also writes a CPU profile of Beam runs.
func TestThroughput(t *testing.T) {
	if os.Getenv("CLKIT_LONG") == "" {
		t.Skip("CLKIT_LONG=1 runs the throughput measurement")
	}
	const d, n, parts, rounds = 10, 4_000_000, 16, 5
	dir := t.TempDir()
	clkit := testfiles.Clkit(t)
	x := mixture(n, d, 10, 5)
	npy := writeParts(t, dir, "npy", x, d, parts, func(p string, x []float32) { writeNpy(t, p, x, d) })
	pq := writeParts(t, dir, "parquet", x, d, parts, func(p string, x []float32) { writeParquet(t, p, x, 1<<17) })
	allNpy, allPq := filepath.Join(dir, "all", "all.npy"), filepath.Join(dir, "all", "all.parquet")
	os.Mkdir(filepath.Join(dir, "all"), 0o755)
	writeNpy(t, allNpy, x, d)
	writeParquet(t, allPq, x, 1<<17)
	os.Mkdir(filepath.Join(dir, "tiny"), 0o755)
	tiny := filepath.Join(dir, "tiny", "tiny.npy")
	writeNpy(t, tiny, x[:1000*d], d)
	cfg := Config{Params: rff.Params{Law: rff.AdaptedRadius, D: d, M: 1000, Sigma: []float64{3}, Seed: 1}, Workers: -1}
	t.Logf("GOMAXPROCS=%d, kernel %s, %d rows in %d files", runtime.GOMAXPROCS(0), rff.DefaultKernel(), n, parts)

	// The kernel alone, rows in memory, all cores.
	f, _ := rff.NewFrequencies(cfg.Params)
	kernel, _ := timed(func() {
		s := rff.NewSketch(f)
		for i := 0; i < n; i += 16384 {
			s.AddParallelF32(x[i*d:min(n, i+16384)*d], nil, 0)
		}
	})
	x = nil
	out := filepath.Join(dir, "out.sk")
	fixed, _ := timed(func() {
		if err := runPipeline(t, []string{tiny}, ReadOptions{}, cfg, out); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("kernel alone (rows in memory, AddParallelF32): %.2f s = %.2fM rows/s; a Beam job over 1000 rows: %.2f s", kernel, n/kernel/1e6, fixed)
	for _, set := range []struct {
		name, all string
		files     []string
		glob      string
	}{{"npy", allNpy, npy, "*.npy"}, {"parquet", allPq, pq, "*.parquet"}} {
		var bw, bc, b1, sw, sc, rw []float64
		ref := filepath.Join(dir, "ref.sk")
		for range rounds {
			for _, workers := range []int{-1, 1} {
				c := cfg
				c.Workers = workers
				w, cpu := timed(func() {
					if err := runPipeline(t, []string{filepath.Join(dir, set.glob)}, ReadOptions{}, c, out); err != nil {
						t.Fatal(err)
					}
				})
				if workers == 1 {
					b1 = append(b1, w)
				} else {
					bw, bc = append(bw, w), append(bc, cpu)
				}
			}
			if got := decodeFile(t, out, false); got.Rows() != n {
				t.Fatalf("beam sketched %d rows, want %d", got.Rows(), n)
			}
			w, c := timedChild(func() {
				testfiles.Run(t, clkit, "sketch", set.all, "--m", "1000", "--sigma", "3", "--seed", "1", "--quiet", "-o", ref)
			})
			sw, sc = append(sw, w), append(sc, c)
			w, _ = timed(func() { readOnly(t, set.files) })
			rw = append(rw, w)
		}
		sameSketch(t, decodeFile(t, out, false), decodeFile(t, ref, false), 1e-6) // 250k rows a file: no multiple of 256 (float32 rounding)
		b, s := median(bw), median(sw)
		t.Logf("%s: beam on prism %.2f s (%.2fM rows/s, %.2f CPU s), clkit sketch %.2f s (%.2fM rows/s, %.2f CPU s), reading alone %.2f s: beam/single = %.0f%% (rounds: beam %v, single %v); beam with one goroutine a batch %.2f s (%.0f%%)",
			set.name, b, n/b/1e6, median(bc), s, n/s/1e6, median(sc), median(rw), 100*s/b, secs(bw), secs(sw), median(b1), 100*s/median(b1))
	}

	// A CPU profile of Beam runs alone (npy, then Parquet): where the time goes.
	if p := os.Getenv("CLKIT_BEAM_PROFILE"); p != "" {
		pf, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			t.Fatal(err)
		}
		for _, glob := range []string{"*.npy", "*.parquet"} {
			if err := runPipeline(t, []string{filepath.Join(dir, glob)}, ReadOptions{}, cfg, out); err != nil {
				t.Fatal(err)
			}
		}
		pprof.StopCPUProfile()
	}
}

func secs(v []float64) string {
	var p []string
	for _, x := range v {
		p = append(p, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(p, " ")
}
