// Package testfiles makes the beam module's test data: rows from Gaussian
// mixtures written as .npy and Parquet files, and the clkit command of the
// main module, built from this checkout, as the single-process reference.
package testfiles

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/clkit/clkit/dataio"
	"github.com/parquet-go/parquet-go"
)

// Mixture returns n rows of d float32 values from a mixture of k unit
// Gaussians whose centres are spread·N(0, 1): the same rows for a seed.
func Mixture(n, d, k int, spread float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	centers := make([]float64, k*d)
	for i := range centers {
		centers[i] = spread * rng.NormFloat64()
	}
	x := make([]float32, n*d)
	for i := range n {
		c := rng.IntN(k)
		for j := range d {
			x[i*d+j] = float32(centers[c*d+j] + rng.NormFloat64())
		}
	}
	return x
}

// WriteNpy writes rows of d float32 values as an (n, d) .npy file.
func WriteNpy(t testing.TB, path string, x []float32, d int) {
	t.Helper()
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", len(x)/d, d)
	hdr += strings.Repeat(" ", (64-(10+len(hdr)+1)%64)%64) + "\n"
	b := make([]byte, 0, 10+len(hdr)+4*len(x))
	b = append(b, "\x93NUMPY\x01\x00"...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(hdr)))
	b = append(b, hdr...)
	for _, v := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteParquet writes rows of d ≤ 10 float32 values as a snappy Parquet
// file with columns x0, x1, … and row groups of groupRows rows.
func WriteParquet(t testing.TB, path string, x []float32, d int, groupRows int64) {
	t.Helper()
	if d > 10 {
		t.Fatalf("WriteParquet: d=%d > 10", d) // the columns' order is their names'
	}
	g := parquet.Group{}
	for j := range d {
		g[fmt.Sprintf("x%d", j)] = parquet.Leaf(parquet.FloatType)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewWriter(f, parquet.NewSchema("rows", g), parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(groupRows))
	rows := make([]parquet.Row, 0, 4096)
	for i := 0; i < len(x)/d; i++ {
		r := make(parquet.Row, d)
		for j := range d {
			r[j] = parquet.FloatValue(x[i*d+j]).Level(0, 0, j)
		}
		rows = append(rows, r)
		if len(rows) == cap(rows) || i == len(x)/d-1 {
			if _, err := w.WriteRows(rows); err != nil {
				t.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// Parts writes consecutive runs of the rows x (d values a row), sizes[i]
// rows in dir/part-NNN.ext, with write, and returns the paths in order.
func Parts(t testing.TB, dir, ext string, x []float32, d int, sizes []int, write func(path string, x []float32)) []string {
	t.Helper()
	var paths []string
	lo := 0
	for i, s := range sizes {
		p := filepath.Join(dir, fmt.Sprintf("part-%03d.%s", i, ext))
		write(p, x[lo*d:(lo+s)*d])
		paths = append(paths, p)
		lo += s
	}
	if lo*d != len(x) {
		t.Fatalf("Parts: %d rows in the files, %d given", lo, len(x)/d)
	}
	return paths
}

// Even is n rows cut into parts sizes that differ by at most one.
func Even(n, parts int) []int {
	s := make([]int, parts)
	for i := range s {
		s[i] = (i+1)*n/parts - i*n/parts
	}
	return s
}

var clkit struct {
	once      sync.Once
	dir, path string
	err       error
}

// Clkit returns the path of the clkit command: $CLKIT_BIN if set, else
// built once per test process from the main module of this checkout (the
// directory above beam/; go test puts its own go command first in PATH).
// Cleanup removes what it built.
func Clkit(t testing.TB) string {
	t.Helper()
	clkit.once.Do(func() {
		if clkit.path = os.Getenv("CLKIT_BIN"); clkit.path != "" {
			return
		}
		_, self, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(self), "..", "..", "..")
		if clkit.dir, clkit.err = os.MkdirTemp("", "clkit-beam-test-"); clkit.err != nil {
			return
		}
		clkit.path = filepath.Join(clkit.dir, "clkit")
		cmd := exec.Command("go", "build", "-o", clkit.path, "./cmd/clkit")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			clkit.err = fmt.Errorf("building clkit in %s: %v\n%s", root, err, out)
		}
	})
	if clkit.err != nil {
		t.Fatal(clkit.err)
	}
	return clkit.path
}

// Cleanup removes the clkit command built by Clkit; TestMain calls it.
func Cleanup() {
	if clkit.dir != "" {
		os.RemoveAll(clkit.dir)
	}
}

// Run runs a command and fails the test unless it succeeds; it returns
// its standard error.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	var stderr strings.Builder
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return stderr.String()
}

// ReadAll reads the files in order with dataio and hands each block to
// add (its buffers are reused by the next block).
func ReadAll(t testing.TB, files []string, o dataio.Options, add func(b *dataio.Block)) {
	t.Helper()
	for _, p := range files {
		r, err := dataio.Open(p, o)
		if err != nil {
			t.Fatal(err)
		}
		var b dataio.Block
		for {
			err := r.Next(&b)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			add(&b)
		}
		r.Close()
	}
}
