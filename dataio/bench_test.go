package dataio

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/clkit/clkit/rff"
)

// Benchmarks read a whole file of benchRows rows of d = 10 float32 values
// per iteration; MB/s is of the file, rows/s is reported too. The files are
// made once per run in a temporary directory.

const benchRows = 1 << 20

type row10 struct {
	C0 float32 `parquet:"c0"`
	C1 float32 `parquet:"c1"`
	C2 float32 `parquet:"c2"`
	C3 float32 `parquet:"c3"`
	C4 float32 `parquet:"c4"`
	C5 float32 `parquet:"c5"`
	C6 float32 `parquet:"c6"`
	C7 float32 `parquet:"c7"`
	C8 float32 `parquet:"c8"`
	C9 float32 `parquet:"c9"`
}

var (
	benchOnce sync.Once
	benchDir  string
	benchX    []float64
)

func benchData(b *testing.B) []float64 {
	benchOnce.Do(func() {
		benchX = testData(benchRows, 10, true)
		var err error
		if benchDir, err = os.MkdirTemp("", "dataio-bench"); err != nil {
			b.Fatal(err)
		}
	})
	return benchX
}

// benchFile makes the file once (its name says what it holds).
func benchFile(b *testing.B, name string, make func(path string, x []float64)) string {
	x := benchData(b)
	path := filepath.Join(benchDir, name)
	if _, err := os.Stat(path); err != nil {
		make(path, x)
	}
	return path
}

func benchRead(b *testing.B, path string, o Options) {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ResetTimer()
	var rows int64
	for b.Loop() {
		r, err := Open(path, o)
		if err != nil {
			b.Fatal(err)
		}
		var blk Block
		for {
			err := r.Next(&blk)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows += int64(blk.Rows)
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkRawF32(b *testing.B) {
	p := benchFile(b, "x.f32", func(p string, x []float64) { os.WriteFile(p, rawBytes(x, 4), 0o644) })
	benchRead(b, p, Options{Dim: 10})
}

func BenchmarkRawF64ToF32(b *testing.B) {
	p := benchFile(b, "x.f64", func(p string, x []float64) { os.WriteFile(p, rawBytes(x, 8), 0o644) })
	benchRead(b, p, Options{Dim: 10})
}

func BenchmarkNpyF32(b *testing.B) {
	p := benchFile(b, "x.npy", func(p string, x []float64) {
		os.WriteFile(p, npyBytes("<f4", "("+strconv.Itoa(benchRows)+", 10)", rawBytes(x, 4)), 0o644)
	})
	benchRead(b, p, Options{})
}

func benchParquet(b *testing.B, name string, codec compress.Codec) {
	benchRead(b, benchParquetFile(b, name, codec), Options{})
}

func benchParquetFile(b *testing.B, name string, codec compress.Codec) string {
	return benchFile(b, name, func(p string, x []float64) {
		rows := make([]row10, benchRows)
		for i := range rows {
			v := x[i*10 : i*10+10]
			rows[i] = row10{float32(v[0]), float32(v[1]), float32(v[2]), float32(v[3]), float32(v[4]),
				float32(v[5]), float32(v[6]), float32(v[7]), float32(v[8]), float32(v[9])}
		}
		writeParquet(b, p, rows, parquet.Compression(codec))
	})
}

func BenchmarkParquetPlain(b *testing.B)  { benchParquet(b, "plain.parquet", &parquet.Uncompressed) }
func BenchmarkParquetSnappy(b *testing.B) { benchParquet(b, "snappy.parquet", &parquet.Snappy) }
func BenchmarkParquetZstd(b *testing.B)   { benchParquet(b, "zstd.parquet", &parquet.Zstd) }

func benchCSVFile(b *testing.B) string {
	return benchFile(b, "x.csv", func(p string, x []float64) {
		buf := []byte("c0,c1,c2,c3,c4,c5,c6,c7,c8,c9\n")
		for i, v := range x {
			buf = strconv.AppendFloat(buf, v, 'g', 7, 32)
			if i%10 == 9 {
				buf = append(buf, '\n')
			} else {
				buf = append(buf, ',')
			}
		}
		os.WriteFile(p, buf, 0o644)
	})
}

func BenchmarkCSV(b *testing.B)        { benchRead(b, benchCSVFile(b), Options{}) }
func BenchmarkCSV1Worker(b *testing.B) { benchRead(b, benchCSVFile(b), Options{Workers: 1}) }
func BenchmarkCSVFloat64(b *testing.B) { benchRead(b, benchCSVFile(b), Options{Float64: true}) }

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// End to end: read and sketch (m = 1000, float32, AddParallelF32 on every
// core), as clkit sketch does. The Block4k/64k variants show the effect of
// the block size on the sketch's parallel split (default 16384).
func benchSketch(b *testing.B, path string, o Options) {
	f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 10, M: 1000, Sigma: []float64{1}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	sk := rff.NewSketch(f)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	var rows int64
	for b.Loop() {
		r, err := Open(path, o)
		if err != nil {
			b.Fatal(err)
		}
		var blk Block
		for {
			err := r.Next(&blk)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if err := sk.AddParallelF32(blk.X32, blk.W32, 0); err != nil {
				b.Fatal(err)
			}
			rows += int64(blk.Rows)
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkSketchRaw(b *testing.B) {
	benchSketch(b, benchFile(b, "x.f32", func(p string, x []float64) { os.WriteFile(p, rawBytes(x, 4), 0o644) }), Options{Dim: 10})
}

func BenchmarkSketchParquetSnappy(b *testing.B) {
	benchSketch(b, benchParquetFile(b, "snappy.parquet", &parquet.Snappy), Options{})
}

func BenchmarkSketchCSV(b *testing.B) { benchSketch(b, benchCSVFile(b), Options{}) }

func BenchmarkSketchRawBlock4k(b *testing.B) {
	benchSketch(b, benchFile(b, "x.f32", func(p string, x []float64) { os.WriteFile(p, rawBytes(x, 4), 0o644) }), Options{Dim: 10, BlockRows: 4096})
}

func BenchmarkSketchRawBlock64k(b *testing.B) {
	benchSketch(b, benchFile(b, "x.f32", func(p string, x []float64) { os.WriteFile(p, rawBytes(x, 4), 0o644) }), Options{Dim: 10, BlockRows: 65536})
}
