package dataio

import (
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestParquetInterop reads the files that parquet-go tests itself with,
// written by Impala, Spark, pyarrow, Rust and others (dictionary, delta
// and RLE encodings, data page v1 and v2, lz4, nulls), and compares every
// numeric column with parquet-go's own row reader.
func TestParquetInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/parquet-go/parquet-go").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("parquet-go's source is not at hand: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.parquet"))
	if len(files) == 0 {
		t.Skip("no test files in " + dir)
	}
	compared := 0
	for _, path := range files {
		f, _ := os.Open(path)
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			f.Close()
			continue // malformed on purpose, or a feature parquet-go lacks
		}
		var cols []string
		var idx []int
		var scale []float64
		for _, p := range pf.Schema().Columns() {
			leaf, _ := pf.Schema().Lookup(p...)
			k := leaf.Node.Type().Kind()
			if leaf.MaxRepetitionLevel == 0 && (k == parquet.Float || k == parquet.Double || k == parquet.Int32 || k == parquet.Int64) {
				cols = append(cols, strings.Join(p, "."))
				idx = append(idx, leaf.ColumnIndex)
				sc := 1.0
				if lt := leaf.Node.Type().LogicalType(); lt != nil {
					if d, ok := lt.Value.(*format.DecimalType); ok {
						sc = math.Pow(10, -float64(d.Scale))
					}
				}
				scale = append(scale, sc)
			}
		}
		if len(cols) == 0 {
			continue
		}
		// reference
		var want []float64
		var wantRows []int64
		rowNum := int64(0)
		for _, rg := range pf.RowGroups() {
			rows := rg.Rows()
			buf := make([]parquet.Row, 64)
			for {
				n, err := rows.ReadRows(buf)
				for _, row := range buf[:n] {
					vals := make([]float64, len(idx))
					ok := true
					for j, ci := range idx {
						found := false
						for _, v := range row {
							if v.Column() == ci {
								found = true
								if v.IsNull() {
									ok = false
								} else {
									switch v.Kind() {
									case parquet.Float:
										vals[j] = float64(v.Float())
									case parquet.Double:
										vals[j] = v.Double()
									case parquet.Int32:
										vals[j] = float64(v.Int32())
									case parquet.Int64:
										vals[j] = float64(v.Int64())
									}
								}
							}
						}
						if !found {
							ok = false
						}
						vals[j] *= scale[j]
					}
					if ok {
						want = append(want, vals...)
						wantRows = append(wantRows, rowNum)
					}
					rowNum++
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			rows.Close()
		}
		f.Close()
		name := filepath.Base(path)
		r, err := Open(path, Options{Columns: cols, Float64: true, BlockRows: 100})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a := drain(t, r)
		if a.err != nil {
			t.Fatalf("%s: %v", name, a.err)
		}
		eqI(t, name+" rows", a.rows, wantRows)
		eqF(t, name, a.x, want)
		if r.Skipped() != rowNum-int64(len(wantRows)) {
			t.Fatalf("%s: Skipped %d, want %d", name, r.Skipped(), rowNum-int64(len(wantRows)))
		}
		compared++
	}
	t.Logf("%d files compared", compared)
}
