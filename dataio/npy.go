package dataio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyHeader is what a .npy header says about its array.
type npyHeader struct {
	elem    int // 4 (float32) or 8 (float64)
	shape   []int64
	dataOff int64 // bytes before the data
}

const npyMaxHeader = 1 << 20

var npyMagic = []byte("\x93NUMPY")

// readNpyHeader reads and checks a .npy preamble and header from r.
func readNpyHeader(r io.Reader) (npyHeader, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return npyHeader{}, errors.New("not a .npy file: too short")
	}
	if string(pre[:6]) != string(npyMagic) {
		return npyHeader{}, errors.New("not a .npy file: bad magic")
	}
	var hlen, off int64
	switch pre[6] {
	case 1:
		hlen, off = int64(binary.LittleEndian.Uint16(pre[8:])), 10
	case 2, 3:
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return npyHeader{}, errors.New("truncated .npy header")
		}
		hlen, off = int64(binary.LittleEndian.Uint32(pre[8:])), 12
	default:
		return npyHeader{}, fmt.Errorf("unsupported .npy version %d.%d", pre[6], pre[7])
	}
	if hlen > npyMaxHeader {
		return npyHeader{}, fmt.Errorf(".npy header of %d bytes is too long", hlen)
	}
	buf := make([]byte, off+hlen)
	copy(buf, pre[:off])
	if _, err := io.ReadFull(r, buf[off:]); err != nil {
		return npyHeader{}, errors.New("truncated .npy header")
	}
	return parseNpyHeader(buf)
}

// parseNpyHeader parses a whole .npy preamble and header: magic, version,
// length, then a Python dict literal with the keys descr, fortran_order and
// shape, ended by a newline.
func parseNpyHeader(buf []byte) (npyHeader, error) {
	var h npyHeader
	if len(buf) < 10 || string(buf[:6]) != string(npyMagic) {
		return h, errors.New("not a .npy file: bad magic")
	}
	var hlen int
	switch buf[6] {
	case 1:
		hlen, h.dataOff = int(binary.LittleEndian.Uint16(buf[8:])), 10
	case 2, 3:
		if len(buf) < 12 {
			return h, errors.New("truncated .npy header")
		}
		n := binary.LittleEndian.Uint32(buf[8:])
		if n > npyMaxHeader {
			return h, fmt.Errorf(".npy header of %d bytes is too long", n)
		}
		hlen, h.dataOff = int(n), 12
	default:
		return h, fmt.Errorf("unsupported .npy version %d.%d", buf[6], buf[7])
	}
	if int64(len(buf)) < h.dataOff+int64(hlen) {
		return h, errors.New("truncated .npy header")
	}
	text := string(buf[h.dataOff : h.dataOff+int64(hlen)])
	h.dataOff += int64(hlen)
	if !strings.HasSuffix(text, "\n") {
		return h, errors.New(".npy header does not end with a newline")
	}
	p := &pyParser{s: strings.TrimRight(text, " \n")}
	d, err := p.dict()
	if err != nil {
		return h, fmt.Errorf("bad .npy header %q: %v", p.s, err)
	}
	descr, ok := d["descr"].(string)
	if !ok {
		return h, errors.New(".npy header: descr missing or not a string (structured arrays are not supported)")
	}
	switch descr {
	case "<f4":
		h.elem = 4
	case "<f8":
		h.elem = 8
	default:
		return h, fmt.Errorf(".npy dtype %q is not supported: want little-endian float32 (<f4) or float64 (<f8)", descr)
	}
	fo, ok := d["fortran_order"].(bool)
	if !ok {
		return h, errors.New(".npy header: fortran_order missing or not True/False")
	}
	if fo {
		return h, errors.New(".npy array is in Fortran order: it cannot be streamed by rows (save it with np.ascontiguousarray)")
	}
	shape, ok := d["shape"].([]int64)
	if !ok {
		return h, errors.New(".npy header: shape missing or not a tuple of integers")
	}
	if len(shape) == 0 {
		return h, errors.New(".npy array is a scalar (shape ())")
	}
	total := int64(h.elem)
	for _, n := range shape {
		if n != 0 && total > math.MaxInt64/n {
			return h, errors.New(".npy shape is too large")
		}
		total *= n
	}
	h.shape = shape
	return h, nil
}

// pyParser parses the tiny subset of Python literals in .npy headers.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) dict() (map[string]any, error) {
	if !p.eat('{') {
		return nil, errors.New("want '{'")
	}
	m := map[string]any{}
	for {
		if p.eat('}') {
			break
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.eat(':') {
			return nil, errors.New("want ':'")
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("key %q twice", k)
		}
		m[k] = v
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return nil, errors.New("want ',' or '}'")
		}
	}
	p.skip()
	if p.i != len(p.s) {
		return nil, errors.New("text after '}'")
	}
	return m, nil
}

func (p *pyParser) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("want a string")
	}
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += j + 2
	return v, nil
}

func (p *pyParser) value() (any, error) {
	p.skip()
	if p.i >= len(p.s) {
		return nil, errors.New("want a value")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case c == '(':
		p.i++
		var t []int64
		for {
			if p.eat(')') {
				return t, nil
			}
			n, err := p.int()
			if err != nil {
				return nil, err
			}
			t = append(t, n)
			if p.eat(')') {
				return t, nil
			}
			if !p.eat(',') {
				return nil, errors.New("want ',' or ')' in tuple")
			}
		}
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	case c == '[' || c == '{':
		return nil, errors.New("nested lists and dicts are not supported")
	}
	return nil, fmt.Errorf("unexpected %q", p.s[p.i])
}

func (p *pyParser) int() (int64, error) {
	p.skip()
	j := p.i
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	if j == p.i {
		return 0, errors.New("want a non-negative integer")
	}
	n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return 0, errors.New("integer out of range")
	}
	p.i = j
	if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long
		p.i++
	}
	return n, nil
}

// newNpy reads the header and sets up the row reader: shape (n, d1, d2, …)
// is n rows of d1·d2·… values; shape (n,) is n rows of one value, or of
// Options.Dim values when given.
func newNpy(in io.Reader, name string, o *Options) (source, error) {
	h, err := readNpyHeader(in)
	if err != nil {
		return nil, &Error{File: name, Row: -1, Msg: err.Error()}
	}
	rows, ncol := h.shape[0], int64(1)
	for _, n := range h.shape[1:] {
		ncol *= n
	}
	if len(h.shape) == 1 && o.Dim > 0 {
		if rows%int64(o.Dim) != 0 {
			return nil, newErr(name, -1, "", "1-D array of %d values is not a whole number of rows of Dim=%d", rows, o.Dim)
		}
		rows, ncol = rows/int64(o.Dim), int64(o.Dim)
	}
	if ncol == 0 || ncol > maxRowValues {
		return nil, newErr(name, -1, "", ".npy shape %v: rows of %d values are not supported", h.shape, ncol)
	}
	s, err := newBin(in, name, o, h.elem, int(ncol), rows)
	if err != nil {
		return nil, err
	}
	if len(h.shape) == 1 && o.Dim > 0 {
		o.Dim = 0 // used for the shape: do not compare it with the columns read
	}
	return s, nil
}
