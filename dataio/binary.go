package dataio

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"unsafe"
)

// nativeLE reports a little-endian machine, where file bytes are read
// straight into float slices.
var nativeLE = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// maxRowValues bounds the width of a row, so that a block of one row stays
// within the memory budget.
const maxRowValues = 1 << 22

// binSource reads rows of ncol little-endian floats of elem bytes (raw
// files and the data of .npy files).
type binSource struct {
	name     string
	r        io.Reader
	elem     int // 4 or 8
	ncol     int // values a row in the input
	sel      []int
	wcol     int
	cols     []string
	wname    string
	identity bool // every input column, in order, no weights
	f64      bool
	rows     int64 // rows in the input, -1 if unknown
	next     int64 // next row to read
	npy      bool
	stage    []uint64
}

func (s *binSource) info() srcInfo {
	return srcInfo{cols: s.cols, weighted: s.wcol >= 0, rows: s.rows}
}
func (s *binSource) skipped() int64 { return 0 }
func (s *binSource) close() error   { return nil }

func newRaw(in io.Reader, name string, o *Options, elem int) (source, error) {
	if o.Dim <= 0 {
		return nil, newErr(name, -1, "", "raw %s input needs Dim, the number of values a row", map[int]string{4: F32, 8: F64}[elem])
	}
	if o.Dim > maxRowValues {
		return nil, newErr(name, -1, "", "rows of %d values are not supported (at most %d)", o.Dim, maxRowValues)
	}
	s, err := newBin(in, name, o, elem, o.Dim, -1)
	if err != nil {
		return nil, err
	}
	if len(s.cols) != o.Dim {
		// Dim is the input's row length; with Columns or Weights the rows
		// read are narrower: do not compare it again with len(cols).
		o.Dim = 0
	}
	return s, nil
}

// newBin sets up a binSource; rows < 0 means unknown (a stream), in which
// case the size of a regular file decides it.
func newBin(in io.Reader, name string, o *Options, elem, ncol int, rows int64) (*binSource, error) {
	sel, wcol, cols, err := selectByIndex(name, o, ncol)
	if err != nil {
		return nil, err
	}
	s := &binSource{name: name, r: in, elem: elem, ncol: ncol, sel: sel, wcol: wcol, cols: cols,
		f64: o.Float64, rows: rows, npy: rows >= 0}
	if wcol >= 0 {
		s.wname = o.Weights
	}
	s.identity = wcol < 0 && len(sel) == ncol
	for i, c := range sel {
		s.identity = s.identity && c == i
	}
	rb := int64(ncol * elem)
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if pos, err := f.Seek(0, io.SeekCurrent); err == nil {
				left := st.Size() - pos
				switch {
				case rows < 0 && left%rb != 0:
					return nil, newErr(name, left/rb, "", "data ends inside this row: %d bytes are not a whole number of rows of %d values (%d bytes)", left, ncol, rb)
				case rows < 0:
					s.rows = left / rb
				case left < rows*rb:
					return nil, newErr(name, left/rb, "", "file truncated: data ends in this row, of the %d the header announces", rows)
				case left > rows*rb:
					return nil, newErr(name, -1, "", "%d bytes after the %d rows the header announces", left-rows*rb, rows)
				}
			}
		}
	}
	return s, nil
}

func (s *binSource) fill(b *Block, n int) error {
	if s.rows >= 0 {
		n = int(min(int64(n), s.rows-s.next))
		if n == 0 {
			return s.atEnd()
		}
	}
	d := len(s.sel)
	rb := s.ncol * s.elem
	outElem := 4
	if s.f64 {
		outElem = 8
	}
	b.reserve(n, d, s.f64, s.wcol >= 0)
	direct := s.identity && s.elem == outElem && nativeLE
	var dst []byte
	if direct {
		if s.f64 {
			dst = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b.X64))), n*rb)
		} else {
			dst = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b.X32))), n*rb)
		}
	} else {
		s.stage = grow(s.stage, (n*rb+7)/8)
		dst = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s.stage))), n*rb)
	}
	got, err := io.ReadFull(s.r, dst)
	k := got / rb
	if !direct {
		s.convert(b, dst[:k*rb], k)
	}
	var werr error
	if s.wcol >= 0 {
		var bad int
		if s.f64 {
			bad = checkWeights(b.W64[:k])
		} else {
			bad = checkWeights(b.W32[:k])
		}
		if bad >= 0 {
			var v float64
			if s.f64 {
				v = b.W64[bad]
			} else {
				v = float64(b.W32[bad])
			}
			werr = newErr(s.name, s.next+int64(bad), s.wname, "weight %v is not finite and non-negative", v)
			k = bad
		}
	}
	b.noteRows(s.next, k)
	b.shape(d, s.f64, s.wcol >= 0)
	s.next += int64(k)
	if werr != nil {
		return werr
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if got%rb != 0 {
			return newErr(s.name, s.next, "", "data ends inside this row: %d of its %d bytes", got%rb, rb)
		}
		if s.rows >= 0 {
			return newErr(s.name, s.next, "", "data ends in this row, of the %d the header announces (truncated)", s.rows)
		}
		return io.EOF
	default:
		return &Error{File: s.name, Row: s.next, Msg: "read error", Err: err}
	}
}

// atEnd is reached after the announced rows: a stream must end there.
func (s *binSource) atEnd() error {
	if s.npy {
		var one [1]byte
		if m, _ := io.ReadFull(s.r, one[:]); m > 0 {
			return newErr(s.name, -1, "", "data goes on after the %d rows the header announces", s.rows)
		}
	}
	return io.EOF
}

// convert gathers k rows from the staged input bytes into b.
func (s *binSource) convert(b *Block, src []byte, k int) {
	if !nativeLE {
		swapBytes(src, s.elem)
	}
	if s.elem == 4 {
		in := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/4)
		if s.f64 {
			gather(b.X64, b.W64, in, k, s.ncol, s.sel, s.wcol, s.identity)
		} else {
			gather(b.X32, b.W32, in, k, s.ncol, s.sel, s.wcol, s.identity)
		}
	} else {
		in := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/8)
		if s.f64 {
			gather(b.X64, b.W64, in, k, s.ncol, s.sel, s.wcol, s.identity)
		} else {
			gather(b.X32, b.W32, in, k, s.ncol, s.sel, s.wcol, s.identity)
		}
	}
}

func gather[S, D float32 | float64](x, w []D, in []S, k, ncol int, sel []int, wcol int, identity bool) {
	if identity {
		for i, v := range in[:k*ncol] {
			x[i] = D(v)
		}
		return
	}
	d := len(sel)
	for i := range k {
		row := in[i*ncol : (i+1)*ncol]
		out := x[i*d : (i+1)*d]
		for j, c := range sel {
			out[j] = D(row[c])
		}
		if wcol >= 0 {
			w[i] = D(row[wcol])
		}
	}
}

func swapBytes(b []byte, elem int) {
	if elem == 4 {
		for i := 0; i+4 <= len(b); i += 4 {
			binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(b[i:]))
		}
		return
	}
	for i := 0; i+8 <= len(b); i += 8 {
		binary.BigEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:]))
	}
}
