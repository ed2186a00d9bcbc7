package dataio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// all is everything a reader returned, in float64.
type all struct {
	x    []float64
	w    []float64
	rows []int64
	d    int
	err  error
}

// drain reads r to the end (or the first error) and checks the blocks'
// shapes.
func drain(t testing.TB, r Reader) all {
	t.Helper()
	a := all{d: r.Dim()}
	var b Block
	for {
		err := r.Next(&b)
		if err != nil {
			if err != io.EOF {
				a.err = err
			}
			if err2 := r.Next(&b); err2 != err && !(errors.Is(err, err2)) {
				t.Fatalf("Next after %v gave %v", err, err2)
			}
			break
		}
		if b.Rows <= 0 {
			t.Fatalf("block of %d rows", b.Rows)
		}
		if len(b.RowNums) != 0 && len(b.RowNums) != b.Rows {
			t.Fatalf("%d RowNums for %d rows", len(b.RowNums), b.Rows)
		}
		if (b.X32 == nil) == (b.X64 == nil) {
			t.Fatalf("X32 %v and X64 %v: want exactly one", b.X32 != nil, b.X64 != nil)
		}
		if b.X32 != nil {
			if len(b.X32) != b.Rows*a.d {
				t.Fatalf("len(X32) = %d for %d rows of %d", len(b.X32), b.Rows, a.d)
			}
			for _, v := range b.X32 {
				a.x = append(a.x, float64(v))
			}
		} else {
			if len(b.X64) != b.Rows*a.d {
				t.Fatalf("len(X64) = %d for %d rows of %d", len(b.X64), b.Rows, a.d)
			}
			a.x = append(a.x, b.X64...)
		}
		if r.Weighted() {
			switch {
			case b.W32 != nil && len(b.W32) == b.Rows && b.W64 == nil:
				for _, v := range b.W32 {
					a.w = append(a.w, float64(v))
				}
			case b.W64 != nil && len(b.W64) == b.Rows && b.W32 == nil:
				a.w = append(a.w, b.W64...)
			default:
				t.Fatalf("weighted block: %d W32, %d W64 for %d rows", len(b.W32), len(b.W64), b.Rows)
			}
		} else if b.W32 != nil || b.W64 != nil {
			t.Fatal("weights in an unweighted block")
		}
		for i := range b.Rows {
			a.rows = append(a.rows, b.Row(i))
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return a
}

func openAll(t testing.TB, path string, o Options) all {
	t.Helper()
	r, err := Open(path, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return drain(t, r)
}

// wantErr checks that err is an *Error with these fields (line 0 and
// column "-" are not checked).
func wantErr(t testing.TB, err error, file string, row, line int64, col, msg string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.File != file || e.Row != row || (line != 0 && e.Line != line) || (col != "-" && e.Column != col) || !strings.Contains(e.Msg, msg) {
		t.Fatalf("error %q: got file %q row %d line %d column %q msg %q; want %q %d %d %q %q",
			e, e.File, e.Row, e.Line, e.Column, e.Msg, file, row, line, col, msg)
	}
	return e
}

func seq(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i)
	}
	return s
}

func eqF(t testing.TB, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func eqI(t testing.TB, what string, got, want []int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// f32s rounds to float32 and back.
func f32s(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(float32(x))
	}
	return out
}

// testData is n×d values with many bits, exactly representable in
// float32 when f32.
func testData(n, d int, f32 bool) []float64 {
	x := make([]float64, n*d)
	s := uint64(12345)
	for i := range x {
		s = s*6364136223846793005 + 1442695040888963407
		v := float64(int64(s>>11))/float64(1<<52)*8 - 4
		if f32 {
			v = float64(float32(v))
		}
		x[i] = v
	}
	return x
}

func rawBytes(x []float64, elem int) []byte {
	out := make([]byte, len(x)*elem)
	for i, v := range x {
		if elem == 4 {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(v)))
		} else {
			binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(v))
		}
	}
	return out
}

// npyBytes is a .npy file (version 1.0) of x with the given dtype and shape.
func npyBytes(descr, shape string, data []byte) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	pad := 64 - (10+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	out = append(out, h...)
	return append(out, data...)
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
