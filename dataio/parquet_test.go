package dataio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

type pqGroup struct {
	A float64 `parquet:"a"`
}

type pqRow struct {
	F    float32  `parquet:"f"`
	D    float64  `parquet:"d"`
	I    int32    `parquet:"i"`
	L    int64    `parquet:"l"`
	U    uint32   `parquet:"u"`
	Dict float32  `parquet:"dict,dict"`
	Opt  *float64 `parquet:"opt,optional"`
	W    float64  `parquet:"w"`
	S    string   `parquet:"s"`
	G    pqGroup  `parquet:"g"`
}

func pqRows(n int) []pqRow {
	x := testData(n, 3, false)
	rows := make([]pqRow, n)
	for i := range rows {
		r := &rows[i]
		r.F = float32(x[3*i])
		r.D = x[3*i+1]
		r.I = int32(i*7919%20011 - 10000)
		r.L = int64(i)*1_000_003 - 7
		r.U = uint32(4_000_000_000 + i)
		r.Dict = float32(i % 5)
		if i%7 != 3 {
			v := float64(i) / 8
			r.Opt = &v
		}
		r.W = float64(i%10) / 4
		r.S = fmt.Sprint("row", i)
		r.G.A = x[3*i+2]
	}
	return rows
}

func writeParquet[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, opts...)
	for len(rows) > 0 {
		k := min(len(rows), 8192)
		if _, err := w.Write(rows[:k]); err != nil {
			t.Fatal(err)
		}
		rows = rows[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestParquet(t *testing.T) {
	dir := t.TempDir()
	const n = 1000
	rows := pqRows(n)
	cols := []string{"f", "d", "i", "l", "u", "dict", "g.a"}
	var want, wantW []float64
	for _, r := range rows {
		want = append(want, float64(r.F), r.D, float64(r.I), float64(r.L), float64(r.U), float64(r.Dict), r.G.A)
		wantW = append(wantW, r.W)
	}
	for ci, codec := range []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Zstd} {
		for _, page := range []int{1, 2} {
			path := filepath.Join(dir, fmt.Sprintf("t%d%d.parquet", ci, page))
			writeParquet(t, path, rows, parquet.Compression(codec), parquet.MaxRowsPerRowGroup(300),
				parquet.PageBufferSize(512), parquet.DataPageVersion(page))
			for _, f64 := range []bool{false, true} {
				w, ww := want, wantW
				if !f64 {
					w, ww = f32s(want), f32s(wantW)
				}
				for _, br := range []int{0, 7, 300, 301} {
					r, err := Open(path, Options{Columns: cols, Weights: "w", Float64: f64, BlockRows: br})
					if err != nil {
						t.Fatal(err)
					}
					if r.Rows() != n || fmt.Sprint(r.Columns()) != fmt.Sprint(cols) {
						t.Fatalf("Rows %d Columns %v", r.Rows(), r.Columns())
					}
					a := drain(t, r)
					if a.err != nil {
						t.Fatal(a.err)
					}
					what := fmt.Sprintf("%s v%d f64=%v block=%d", codec.String(), page, f64, br)
					eqF(t, what, a.x, w)
					eqF(t, what+" w", a.w, ww)
					eqI(t, what+" rows", a.rows, seq(n))
				}
			}
			// Nulls: skipped and counted, or an error with Strict.
			r, err := Open(path, Options{Columns: []string{"opt", "i"}, BlockRows: 64})
			if err != nil {
				t.Fatal(err)
			}
			var wx []float64
			var wr []int64
			for i, row := range rows {
				if row.Opt != nil {
					wx = append(wx, float64(float32(*row.Opt)), float64(row.I))
					wr = append(wr, int64(i))
				}
			}
			a := drain(t, r)
			if a.err != nil {
				t.Fatal(a.err)
			}
			eqF(t, "opt", a.x, wx)
			eqI(t, "opt rows", a.rows, wr)
			if r.Skipped() != int64(n-len(wr)) {
				t.Fatalf("Skipped %d, want %d", r.Skipped(), n-len(wr))
			}
			r, _ = Open(path, Options{Columns: []string{"i", "opt"}, Strict: true})
			a = drain(t, r)
			wantErr(t, a.err, path, 3, 0, "opt", "missing value (null)")
			eqF(t, "before the null", a.x, []float64{float64(rows[0].I), float64(float32(*rows[0].Opt)),
				float64(rows[1].I), float64(float32(*rows[1].Opt)), float64(rows[2].I), float64(float32(*rows[2].Opt))})
		}
	}
	path := filepath.Join(dir, "t01.parquet")
	_, err := Open(path, Options{})
	wantErr(t, err, path, -1, 0, "s", "not numeric")
	_, err = Open(path, Options{Columns: []string{"nope"}})
	wantErr(t, err, path, -1, 0, "", `no column "nope"`)
	_, err = Open(path, Options{Columns: []string{"f", "f"}})
	wantErr(t, err, path, -1, 0, "f", "twice")
	// Through NewReader on something seekable.
	data, _ := os.ReadFile(path)
	r, err := NewReader(bytes.NewReader(data), "mem", Options{Format: Parquet, Columns: []string{"d"}, Float64: true})
	if err != nil {
		t.Fatal(err)
	}
	a := drain(t, r)
	for i, row := range rows {
		if a.x[i] != row.D {
			t.Fatalf("row %d: %v", i, a.x[i])
		}
	}
	// Not Parquet.
	bad := writeFile(t, dir, "bad.parquet", []byte("not parquet at all"))
	_, err = Open(bad, Options{})
	wantErr(t, err, bad, -1, 0, "", "not a readable Parquet file")

	// A bad weight.
	rows[500].W = -1
	pw := filepath.Join(dir, "w.parquet")
	writeParquet(t, pw, rows, parquet.MaxRowsPerRowGroup(300))
	r, _ = Open(pw, Options{Columns: []string{"f"}, Weights: "w", BlockRows: 128})
	a = drain(t, r)
	wantErr(t, a.err, pw, 500, 0, "w", "weight -1")
	eqI(t, "rows", a.rows, seq(500))
}

// A Parquet file whose writer used dictionary pages for every column, then
// fell back to plain ones (as pyarrow does).
func TestParquetDictionaryFallback(t *testing.T) {
	type row struct {
		A float64 `parquet:"a,dict"`
		B *int64  `parquet:"b,dict,optional"`
	}
	rows := make([]row, 3000)
	var want []float64
	var wantRows []int64
	for i := range rows {
		rows[i] = row{A: float64(i % 97)}
		if i%11 != 5 {
			b := int64(i)
			rows[i].B = &b
			want = append(want, rows[i].A, float64(i))
			wantRows = append(wantRows, int64(i))
		}
	}
	path := filepath.Join(t.TempDir(), "d.parquet")
	writeParquet(t, path, rows, parquet.PageBufferSize(256), parquet.DictionaryMaxBytes(1024))
	a := openAll(t, path, Options{Float64: true})
	eqF(t, "x", a.x, want)
	eqI(t, "rows", a.rows, wantRows)
}
