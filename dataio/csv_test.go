package dataio

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// csvText is n rows of d columns x0… and a weight column w, with a text
// column "note" that has quotes, delimiters and newlines.
func csvText(x []float64, n, d int, delim string, crlf bool) string {
	var sb strings.Builder
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	for j := range d {
		fmt.Fprintf(&sb, "x%d%s", j, delim)
	}
	sb.WriteString("note" + delim + "w" + nl)
	for i := range n {
		for j := range d {
			sb.WriteString(strconv.FormatFloat(x[i*d+j], 'g', -1, 64) + delim)
		}
		switch i % 4 {
		case 0:
			sb.WriteString("plain")
		case 1:
			fmt.Fprintf(&sb, "\"has %s and \"\"quotes\"\"\"", delim)
		case 2:
			sb.WriteString("\"two\nlines\"")
		}
		fmt.Fprintf(&sb, "%s%g%s", delim, float64(i)/2, nl)
	}
	return sb.String()
}

func TestCSVRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const n, d = 500, 3
	x := testData(n, d, false)
	wantW := make([]float64, n)
	for i := range wantW {
		wantW[i] = float64(i) / 2
	}
	for _, delim := range []string{",", "\t", ";"} {
		for _, crlf := range []bool{false, true} {
			text := csvText(x, n, d, delim, crlf)
			name := "a.csv"
			o := Options{Weights: "w", Columns: []string{"x2", "x0", "1"}}
			switch delim {
			case "\t":
				name = "a.tsv"
			case ";":
				o.Delimiter = ';'
			}
			path := writeFile(t, dir, name, []byte(text))
			var want []float64
			for i := range n {
				want = append(want, x[i*d+2], x[i*d], x[i*d+1])
			}
			for _, chunk := range []int{0, 1, 40, 333} {
				for _, workers := range []int{1, 3} {
					for _, f64 := range []bool{false, true} {
						o := o
						o.chunkBytes, o.Workers, o.Float64, o.BlockRows = chunk, workers, f64, 37
						a := openAll(t, path, o)
						w, ww := want, wantW
						if !f64 {
							w, ww = f32s(want), f32s(wantW)
						}
						what := fmt.Sprintf("%q crlf=%v chunk=%d workers=%d f64=%v", delim, crlf, chunk, workers, f64)
						eqF(t, what, a.x, w)
						eqF(t, what+" w", a.w, ww)
						eqI(t, what+" rows", a.rows, seq(n))
					}
				}
			}
		}
	}
}

func TestCSVForms(t *testing.T) {
	// No header, BOM, blank lines, spaces, quoted numbers, last line
	// without newline, columns by index.
	text := "\xEF\xBB\xBF1, 2 ,3\n\n\"4\",5,6\r\n\r\n7,8,9"
	r, err := NewReader(strings.NewReader(text), "h", Options{Format: CSV, NoHeader: true, Workers: 2, chunkBytes: 4})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.Columns()) != "[0 1 2]" {
		t.Fatalf("Columns %v", r.Columns())
	}
	a := drain(t, r)
	eqF(t, "x", a.x, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9})
	r, err = NewReader(strings.NewReader(text), "h", Options{Format: CSV, NoHeader: true, Columns: []string{"2", "0"}})
	if err != nil {
		t.Fatal(err)
	}
	eqF(t, "x", drain(t, r).x, []float64{3, 1, 6, 4, 9, 7})
	// A header whose names are numbers: names win over indexes.
	r, err = NewReader(strings.NewReader("1,0\n5,6\n"), "n", Options{Format: CSV, Columns: []string{"0"}})
	if err != nil {
		t.Fatal(err)
	}
	eqF(t, "x", drain(t, r).x, []float64{6})
	// Only a header.
	r, err = NewReader(strings.NewReader("a,b\n"), "e", Options{Format: CSV})
	if err != nil {
		t.Fatal(err)
	}
	if a := drain(t, r); len(a.x) != 0 || a.err != nil {
		t.Fatal(a)
	}
	_, err = NewReader(strings.NewReader(""), "empty", Options{Format: CSV})
	wantErr(t, err, "empty", -1, 0, "", "empty")
	_, err = NewReader(strings.NewReader("a,b\n1,2\n"), "c", Options{Format: CSV, Columns: []string{"z"}})
	wantErr(t, err, "c", -1, 0, "", `no column "z"`)
	_, err = NewReader(strings.NewReader("a,b\n1,2\n"), "c", Options{Format: CSV, Delimiter: '"'})
	wantErr(t, err, "c", -1, 0, "", "delimiter")
	_, err = NewReader(strings.NewReader("a,b\n1,2\n"), "c", Options{Format: CSV, Dim: 3})
	wantErr(t, err, "c", -1, 0, "", "Dim is 3")
}

func TestCSVMissing(t *testing.T) {
	text := "a,b,w\n1,2,1\n3,,1\n5,6,1\n,8,1\n9,10,\n11,12,2\n"
	for _, chunk := range []int{0, 7} {
		r, err := NewReader(strings.NewReader(text), "m", Options{Format: CSV, Weights: "w", chunkBytes: chunk, BlockRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		a := drain(t, r)
		if a.err != nil {
			t.Fatal(a.err)
		}
		eqF(t, "x", a.x, []float64{1, 2, 5, 6, 11, 12})
		eqF(t, "w", a.w, []float64{1, 1, 2})
		eqI(t, "rows", a.rows, []int64{0, 2, 5})
		if r.Skipped() != 3 {
			t.Fatalf("Skipped = %d", r.Skipped())
		}
		r, _ = NewReader(strings.NewReader(text), "m", Options{Format: CSV, Weights: "w", Strict: true, chunkBytes: chunk})
		a = drain(t, r)
		wantErr(t, a.err, "m", 1, 3, "b", "missing value")
		eqF(t, "x", a.x, []float64{1, 2})
	}
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	good := "a,b,note,w\n1,2,x,1\n3,4,\"y\ny\",1\n5,6,z,1\n"
	for _, tc := range []struct {
		bad      string
		row      int64
		line     int64
		col, msg string
	}{
		{"7,8,t", 3, 6, "w", "3 fields, but the header has 4"},
		{"7,8,t,1,9", 3, 6, "", "more than the 4 fields"},
		{"7,x8,t,1", 3, 6, "b", `cannot parse "x8"`},
		{"7,NaN,t,1", 3, 6, "b", "not a finite number"},
		{"-inf,8,t,1", 3, 6, "a", "not a finite number"},
		{"7,1e999,t,1", 3, 6, "b", "out of the float"},
		{"7,8,t,-1", 3, 6, "w", "negative"},
		{"7,8,t\"t,1", 3, 6, "note", "bare quote"},
		{"7,8,\"t\"t,1", 3, 6, "note", "after a quoted field"},
		{"7,8,\"t,1\n", 3, 6, "note", "not closed"},
	} {
		text := good + tc.bad + "\n9,9,q,1\n"
		path := writeFile(t, dir, "e.csv", []byte(text))
		for _, chunk := range []int{0, 5, 13} {
			for _, workers := range []int{1, 2} {
				r, err := Open(path, Options{Columns: []string{"a", "b"}, Weights: "w", chunkBytes: chunk, Workers: workers, BlockRows: 2})
				if err != nil {
					t.Fatal(err)
				}
				a := drain(t, r)
				wantErr(t, a.err, path, tc.row, tc.line, tc.col, tc.msg)
				eqF(t, tc.bad, a.x, []float64{1, 2, 3, 4, 5, 6})
				if !strings.Contains(a.err.Error(), fmt.Sprintf("e.csv:%d: row %d", tc.line, tc.row)) {
					t.Fatalf("message %q", a.err)
				}
			}
		}
	}
	// float32 range.
	r, _ := NewReader(strings.NewReader("a\n1e39\n"), "r", Options{Format: CSV})
	wantErr(t, drain(t, r).err, "r", 0, 2, "a", "out of the float32 range")
	r, _ = NewReader(strings.NewReader("a\n1e39\n"), "r", Options{Format: CSV, Float64: true})
	eqF(t, "x", drain(t, r).x, []float64{1e39})
}

func TestCSVReadError(t *testing.T) {
	text := "a,b\n1,2\n3,4\n5,"
	for _, chunk := range []int{0, 3} {
		in := io.MultiReader(strings.NewReader(text), iotest.ErrReader(errors.New("disk on fire")))
		r, err := NewReader(in, "d", Options{Format: CSV, chunkBytes: chunk})
		if err != nil {
			t.Fatal(err)
		}
		a := drain(t, r)
		e := wantErr(t, a.err, "d", 2, 4, "", "read error")
		if !strings.Contains(e.Error(), "disk on fire") {
			t.Fatal(e)
		}
		eqF(t, "x", a.x, []float64{1, 2, 3, 4})
	}
	defer func(m int) { maxRecordBytes = m }(maxRecordBytes)
	maxRecordBytes = 100
	long := "a,b\n1,2\n3,\"" + strings.Repeat("x", 300) + "\n"
	r, err := NewReader(strings.NewReader(long), "l", Options{Format: CSV, Columns: []string{"a"}, chunkBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	a := drain(t, r)
	wantErr(t, a.err, "l", 1, 3, "", "longer than 100 bytes")
	eqF(t, "x", a.x, []float64{1})
	_, err = NewReader(strings.NewReader("\"a"+strings.Repeat("y", 300)), "l", Options{Format: CSV, chunkBytes: 16})
	wantErr(t, err, "l", -1, 1, "", "too long")
}

// TestCSVAgainstEncodingCSV compares with the standard library on a file
// with awkward quoting.
func TestCSVAgainstEncodingCSV(t *testing.T) {
	x := testData(200, 2, false)
	text := csvText(x, 200, 2, ",", false)
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	for _, rec := range recs[1:] {
		for _, j := range []int{0, 1, 3} {
			v, _ := strconv.ParseFloat(rec[j], 64)
			want = append(want, v)
		}
	}
	r, err := NewReader(strings.NewReader(text), "s", Options{Format: CSV, Float64: true, Columns: []string{"x0", "x1", "w"}, chunkBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	eqF(t, "x", drain(t, r).x, want)
}

func TestStdin(t *testing.T) {
	dir := t.TempDir()
	x := testData(100, 2, true)
	for _, tc := range []struct {
		format string
		data   []byte
	}{
		{CSV, []byte(csvText(x, 100, 2, ",", false))},
		{F32, rawBytes(x, 4)},
		{Npy, npyBytes("<f4", "(100, 2)", rawBytes(x, 4))},
	} {
		path := writeFile(t, dir, "in", tc.data)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		old := os.Stdin
		os.Stdin = f
		o := Options{Format: tc.format, Dim: 2}
		if tc.format == CSV {
			o.Columns = []string{"x0", "x1"}
		}
		r, err := Open("-", o)
		os.Stdin = old
		if err != nil {
			t.Fatal(err)
		}
		eqF(t, tc.format, drain(t, r).x, x)
		f.Close()
	}
	// A pipe: Parquet cannot be read from it; raw streams.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { pw.Write(rawBytes(x, 4)); pw.Close() }()
	_, err = NewReader(pr, "stdin", Options{Format: Parquet})
	wantErr(t, err, "stdin", -1, 0, "", "seekable")
	r, err := NewReader(pr, "stdin", Options{Format: F32, Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rows() != -1 {
		t.Fatalf("Rows() = %d on a pipe", r.Rows())
	}
	eqF(t, "pipe", drain(t, r).x, x)
	_, err = Open("-", Options{})
	wantErr(t, err, "stdin", -1, 0, "", "format must be given")
}

// TestCloseEarly: closing in the middle stops the goroutines and Next
// returns an error.
func TestCloseEarly(t *testing.T) {
	dir := t.TempDir()
	x := testData(5000, 2, true)
	path := writeFile(t, dir, "big.csv", []byte(csvText(x, 5000, 2, ",", false)))
	for range 20 {
		r, err := Open(path, Options{chunkBytes: 512, BlockRows: 10, Weights: "w", Columns: []string{"x0"}})
		if err != nil {
			t.Fatal(err)
		}
		var b Block
		if err := r.Next(&b); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Next(&b); err == nil {
			t.Fatal("Next after Close")
		}
	}
}

// FuzzCSV: no panic or hang, and parsing in small chunks on several
// workers gives what one chunk on one worker gives.
func FuzzCSV(f *testing.F) {
	f.Add("a,b\n1,2\n3,4\n", false, byte(','), uint8(3))
	f.Add("a,\"b\nc\"\n1,\"2\"\n\"3\",4", false, byte(','), uint8(1))
	f.Add("1;2\r\n\r\n3; 4\r\n", true, byte(';'), uint8(2))
	f.Add("x\tn\n1\t\"a\"\"b\"\n2\t\"\n\"\n", false, byte('\t'), uint8(5))
	f.Add("a,b\n1,\n,2\nnan,1\n1e999,2\n\"1\"x,2\n", false, byte(','), uint8(7))
	f.Add(csvText(testData(20, 2, false), 20, 2, ",", true), false, byte(','), uint8(9))
	f.Fuzz(func(t *testing.T, text string, noHeader bool, delim byte, chunk uint8) {
		if delim == 0 || delim >= 0x80 || delim == '"' || delim == '\n' || delim == '\r' {
			delim = ','
		}
		read := func(chunkBytes, workers int) (all, error) {
			r, err := NewReader(strings.NewReader(text), "f", Options{Format: CSV, NoHeader: noHeader,
				Delimiter: rune(delim), chunkBytes: chunkBytes, Workers: workers, BlockRows: 3, Float64: true})
			if err != nil {
				return all{}, err
			}
			return drain(t, r), nil
		}
		one, err1 := read(1<<20, 1)
		many, err2 := read(1+int(chunk%32), 3)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("open: %v vs %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if fmt.Sprint(one.err) != fmt.Sprint(many.err) {
			t.Fatalf("errors differ:\n%v\n%v", one.err, many.err)
		}
		if !bytes.Equal([]byte(fmt.Sprint(one.x, one.rows)), []byte(fmt.Sprint(many.x, many.rows))) {
			t.Fatalf("rows differ:\n%v %v\n%v %v", one.x, one.rows, many.x, many.rows)
		}
		for _, v := range one.x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value %v", v)
			}
		}
	})
}
