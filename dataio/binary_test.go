package dataio

import (
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestRawRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const n, d = 1000, 5
	for _, elem := range []int{4, 8} {
		x := testData(n, d, elem == 4)
		ext := map[int]string{4: ".f32", 8: ".f64"}[elem]
		path := writeFile(t, dir, "x"+ext, rawBytes(x, elem))
		for _, f64 := range []bool{false, true} {
			want := x
			if !f64 {
				want = f32s(x)
			}
			for _, br := range []int{0, 1, 7, 1000, 5000} {
				a := openAll(t, path, Options{Dim: d, Float64: f64, BlockRows: br})
				eqF(t, "x", a.x, want)
				eqI(t, "rows", a.rows, seq(n))
			}
			// Columns 3 and 0, weights from column 4 (made non-negative).
			xw := append([]float64(nil), x...)
			for i := range n {
				xw[i*d+4] = float64(i) / 4
			}
			pw := writeFile(t, dir, "w"+ext, rawBytes(xw, elem))
			a := openAll(t, pw, Options{Dim: d, Float64: f64, Columns: []string{"3", "0"}, Weights: "4", BlockRows: 64})
			var wx, ww []float64
			for i := range n {
				wx = append(wx, xw[i*d+3], xw[i*d])
				ww = append(ww, xw[i*d+4])
			}
			if !f64 {
				wx, ww = f32s(wx), f32s(ww)
			}
			eqF(t, "x", a.x, wx)
			eqF(t, "w", a.w, ww)
			if a.d != 2 {
				t.Fatalf("Dim %d", a.d)
			}
		}
	}
}

func TestRawErrors(t *testing.T) {
	dir := t.TempDir()
	x := testData(10, 3, true)
	data := append(rawBytes(x, 4), 1, 2, 3, 4, 5) // 10 rows and 5 bytes
	path := writeFile(t, dir, "x.f32", data)
	_, err := Open(path, Options{Dim: 3})
	wantErr(t, err, path, 10, 0, "", "data ends inside this row")

	// The same as a stream: the 10 rows come, then the error.
	r, err := NewReader(bytes.NewReader(data), "pipe", Options{Format: F32, Dim: 3, BlockRows: 4})
	if err != nil {
		t.Fatal(err)
	}
	a := drain(t, r)
	eqF(t, "x", a.x, x)
	wantErr(t, a.err, "pipe", 10, 0, "", "data ends inside this row")

	_, err = Open(path, Options{})
	wantErr(t, err, path, -1, 0, "", "needs Dim")
	_, err = Open(writeFile(t, dir, "x.raw", data), Options{Dim: 3})
	wantErr(t, err, joinPath(dir, "x.raw"), -1, 0, "", "cannot tell the format")
	_, err = Open(path, Options{Dim: 3, Columns: []string{"3"}})
	wantErr(t, err, path, -1, 0, "", "0-based index below 3")

	// A negative weight stops the stream at its row.
	xw := testData(6, 2, true)
	for i := range 6 {
		xw[2*i+1] = 1
	}
	xw[2*4+1] = -2
	pw := writeFile(t, dir, "w.f32", rawBytes(xw, 4))
	r, err = Open(pw, Options{Dim: 2, Weights: "1", BlockRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	a = drain(t, r)
	wantErr(t, a.err, pw, 4, 0, "1", "weight -2")
	eqI(t, "rows", a.rows, seq(4))
}

func joinPath(dir, name string) string { return dir + string(os.PathSeparator) + name }

func TestNpy(t *testing.T) {
	dir := t.TempDir()
	const n, d = 300, 4
	x8 := testData(n, d, false)
	x4 := f32s(x8)
	for _, tc := range []struct {
		descr, shape string
		x            []float64
		elem         int
		dim          int
		wantD        int
	}{
		{"<f4", "(300, 4)", x4, 4, 0, 4},
		{"<f8", "(300, 4)", x8, 8, 0, 4},
		{"<f8", "(300, 2, 2)", x8, 8, 0, 4},
		{"<f4", "(1200,)", x4, 4, 4, 4},
		{"<f4", "(1200,)", x4, 4, 0, 1},
	} {
		path := writeFile(t, dir, "a.npy", npyBytes(tc.descr, tc.shape, rawBytes(tc.x, tc.elem)))
		for _, f64 := range []bool{false, true} {
			want := tc.x
			if !f64 {
				want = f32s(want)
			}
			a := openAll(t, path, Options{Dim: tc.dim, Float64: f64, BlockRows: 50})
			if a.d != tc.wantD {
				t.Fatalf("%s %s: Dim %d, want %d", tc.descr, tc.shape, a.d, tc.wantD)
			}
			eqF(t, tc.descr+tc.shape, a.x, want)
			eqI(t, "rows", a.rows, seq(len(want)/tc.wantD))
			// Streamed.
			f, _ := os.ReadFile(path)
			r, err := NewReader(bytes.NewReader(f), "s", Options{Format: Npy, Dim: tc.dim, Float64: f64})
			if err != nil {
				t.Fatal(err)
			}
			if r.Rows() != int64(len(want)/tc.wantD) {
				t.Fatalf("Rows() = %d", r.Rows())
			}
			eqF(t, "stream", drain(t, r).x, want)
		}
	}
	// Version 2.0 header.
	body := npyBytes("<f4", "(300, 4)", rawBytes(x4, 4))
	hl := int(body[8]) | int(body[9])<<8
	v2 := append([]byte("\x93NUMPY\x02\x00"), byte(hl), byte(hl>>8), 0, 0)
	v2 = append(v2, body[10:]...)
	eqF(t, "v2", openAll(t, writeFile(t, dir, "v2.npy", v2), Options{}).x, x4)

	// Truncated: the file ends inside row 123.
	full := npyBytes("<f8", "(300, 4)", rawBytes(x8, 8))
	cut := full[:len(full)-(300-123)*32+5]
	path := writeFile(t, dir, "cut.npy", cut)
	_, err := Open(path, Options{})
	wantErr(t, err, path, 123, 0, "", "truncated")
	r, err := NewReader(bytes.NewReader(cut), "cut", Options{Format: Npy, BlockRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	a := drain(t, r)
	wantErr(t, a.err, "cut", 123, 0, "", "data ends inside this row")
	eqF(t, "before the cut", a.x, f32s(x8[:123*4]))
	cut = full[:len(full)-(300-123)*32]
	r, _ = NewReader(bytes.NewReader(cut), "cut", Options{Format: Npy})
	wantErr(t, drain(t, r).err, "cut", 123, 0, "", "truncated")
	// Extra data.
	path = writeFile(t, dir, "long.npy", append(full, 0, 0, 0, 0))
	_, err = Open(path, Options{})
	wantErr(t, err, path, -1, 0, "", "4 bytes after the 300 rows")
	r, _ = NewReader(bytes.NewReader(append(full, 0)), "long", Options{Format: Npy})
	wantErr(t, drain(t, r).err, "long", -1, 0, "", "goes on after the 300 rows")

	for _, bad := range []struct{ descr, shape, fortran, msg string }{
		{"<i4", "(3, 4)", "False", "not supported"},
		{">f8", "(3, 4)", "False", "not supported"},
		{"<f8", "(3, 4)", "True", "Fortran order"},
		{"<f8", "()", "False", "scalar"},
		{"<f8", "(3, 0)", "False", "not supported"},
		{"<f8", "[3, 4]", "False", "nested"},
	} {
		h := "{'descr': '" + bad.descr + "', 'fortran_order': " + bad.fortran + ", 'shape': " + bad.shape + "}"
		h += strings.Repeat(" ", 10) + "\n"
		f := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), 0)
		f = append(f, h...)
		_, err := NewReader(bytes.NewReader(f), "bad.npy", Options{Format: Npy})
		wantErr(t, err, "bad.npy", -1, 0, "", bad.msg)
	}
	_, err = NewReader(strings.NewReader("PK\x03\x04 zip"), "z.npy", Options{Format: Npy})
	wantErr(t, err, "z.npy", -1, 0, "", "not a .npy file")
	_, err = NewReader(bytes.NewReader(npyBytes("<f4", "(10,)", nil)), "d.npy", Options{Format: Npy, Dim: 3})
	wantErr(t, err, "d.npy", -1, 0, "", "not a whole number of rows")
}

func TestNpyHeaderParser(t *testing.T) {
	good := []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		"{\"shape\":(2,3),\"fortran_order\":False,\"descr\":\"<f4\"}",
		"{'descr':'<f8','fortran_order':False,'shape':(6L,)}",
	}
	for _, h := range good {
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)+1), 0)
		b = append(b, h+"\n"...)
		if _, err := parseNpyHeader(b); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	bad := []string{
		"{'descr': '<f4', 'fortran_order': False}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (2, 3)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}",
		"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}",
		"{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x",
	}
	for _, h := range bad {
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)+1), 0)
		b = append(b, h+"\n"...)
		if _, err := parseNpyHeader(b); err == nil {
			t.Errorf("%s: no error", h)
		}
	}
}

func FuzzNpyHeader(f *testing.F) {
	for _, s := range []string{"(300, 4)", "(12,)", "(2, 3, 4)", "()"} {
		f.Add(npyBytes("<f4", s, nil))
		f.Add(npyBytes("<f8", s, make([]byte, 64)))
	}
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00{'descr': '<f4',}\n"))
	f.Add([]byte("\x93NUMPY\x01\x00\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseNpyHeader(b)
		if err == nil {
			if h.elem != 4 && h.elem != 8 || len(h.shape) == 0 || h.dataOff > int64(len(b)) {
				t.Fatalf("accepted %q as %+v", b, h)
			}
		}
		// The streaming path must agree and never read the data it has no
		// rows for.
		r, err2 := NewReader(bytes.NewReader(b), "f", Options{Format: Npy, BlockRows: 3})
		if (err == nil) != (err2 == nil) && err == nil {
			// A valid header with unusable rows (zero-width) may still fail.
			if !strings.Contains(err2.Error(), "not supported") {
				t.Fatalf("parse ok, NewReader: %v", err2)
			}
		}
		if err2 == nil {
			var blk Block
			for i := 0; i < 1000; i++ {
				if err := r.Next(&blk); err != nil {
					break
				}
			}
			r.Close()
		}
	})
}

func TestCompressed(t *testing.T) {
	dir := t.TempDir()
	x := testData(300, 3, true)
	text := csvText(x, 300, 3, ",", false)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	enc, _ := zstd.NewWriter(nil)
	zst := enc.EncodeAll(rawBytes(x, 4), nil)
	cols := Options{Columns: []string{"x0", "x1", "x2"}}
	eqF(t, "csv.gz", openAll(t, writeFile(t, dir, "a.csv.gz", gz.Bytes()), cols).x, x)
	eqF(t, "f32.zst", openAll(t, writeFile(t, dir, "a.f32.zst", zst), Options{Dim: 3}).x, x)
	eqF(t, "raw.zst", openAll(t, writeFile(t, dir, "a.raw.zst", zst), Options{Format: F32, Dim: 3}).x, x)
	p := writeFile(t, dir, "b.parquet.gz", gz.Bytes())
	_, err := Open(p, Options{})
	wantErr(t, err, p, -1, 0, "", "compressed Parquet")
	p = writeFile(t, dir, "c.csv.gz", []byte(text))
	_, err = Open(p, Options{})
	wantErr(t, err, p, -1, 0, "", "not a gzip file")
	// Closing early does not race with the decompressor.
	r, err := Open(writeFile(t, dir, "d.f32.zst", zst), Options{Dim: 3, BlockRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	var b Block
	r.Next(&b)
	r.Close()
}
