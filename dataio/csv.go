package dataio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

const defaultChunkBytes = 1 << 20

// maxRecordBytes bounds the length of a record (a variable for tests).
var maxRecordBytes = 64 << 20

// csvSource parses CSV text in parallel: a splitter cuts the stream into
// chunks that end at a record boundary (a newline outside quotes, found by
// counting quotes from the start of the stream), workers parse chunks into
// rows, and fill hands the rows out in order.
type csvSource struct {
	name     string
	in       io.Reader
	delim    byte
	names    []string // every field's name
	slot     []int32  // per field: x index ≥ 0, slotWeight, or slotSkip
	cols     []string
	weighted bool
	f64      bool
	strict   bool
	chunk    int
	done     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once

	jobs  chan csvJob
	order chan chan *csvChunk

	cur    *csvChunk
	curPos int
	base   int64 // data row number of cur's first record
	nskip  int64

	bufPool   sync.Pool // *[]byte text buffers of chunk bytes
	chunkPool sync.Pool // *csvChunk
}

const (
	slotSkip   = -1
	slotWeight = -2
)

var errRecordTooLong = errors.New("a record is too long (or a quote is not closed)")

type csvJob struct {
	c  *csvChunk
	ch chan *csvChunk
}

type csvChunk struct {
	data    []byte
	buf     *[]byte
	line    int64 // line number of data[0]
	lines   int64 // newlines in data
	readErr error // the splitter's error, after data

	x32     []float32
	x64     []float64
	w32     []float32
	w64     []float64
	rows    int     // rows kept
	records int     // data records parsed, kept or skipped
	keep    []int32 // record index of each kept row, when some were skipped
	err     *Error  // parse error; Row is the record index in the chunk
}

func newCSV(in io.Reader, name string, o *Options) (source, error) {
	delim := o.Delimiter
	if delim == 0 {
		delim = ','
	}
	if delim >= 0x80 || delim == '"' || delim == '\n' || delim == '\r' {
		return nil, newErr(name, -1, "", "delimiter %q is not supported: want one ASCII character other than a quote or newline", delim)
	}
	s := &csvSource{name: name, in: in, delim: byte(delim), f64: o.Float64, strict: o.Strict,
		chunk: o.chunkBytes, done: o.done, stop: make(chan struct{})}
	if s.chunk <= 0 {
		s.chunk = defaultChunkBytes
	}

	// Read until the first record is whole: the header, or the first row
	// that tells how many fields there are.
	buf := make([]byte, 0, min(s.chunk, 64<<10))
	eof := false
	var (
		fields []string
		end    int
		nl     int
	)
	for {
		var err error
		var ok bool
		fields, end, nl, ok, err = firstRecord(buf, s.delim, eof)
		if err != nil {
			return nil, &Error{File: name, Row: -1, Line: 1, Msg: err.Error()}
		}
		if ok {
			break
		}
		if eof {
			return nil, newErr(name, -1, "", "no data: the input is empty")
		}
		if len(buf) > maxRecordBytes {
			return nil, &Error{File: name, Row: -1, Line: 1, Msg: errRecordTooLong.Error()}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := in.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			eof = true
		} else if err != nil {
			return nil, &Error{File: name, Row: -1, Msg: "read error", Err: err}
		}
	}
	line := int64(1)
	if o.NoHeader {
		s.names = make([]string, len(fields))
		for i := range fields {
			s.names[i] = strconv.Itoa(i)
		}
		end = bomLen(buf)
	} else {
		s.names = fields
		line += int64(nl)
	}
	if err := s.selectColumns(o); err != nil {
		return nil, err
	}

	workers := max(1, o.Workers)
	s.jobs = make(chan csvJob, workers)
	// Chunks in flight: at most workers+2 (each ≤ about 1 MiB of text and
	// its rows), whatever the size of the input.
	s.order = make(chan chan *csvChunk, workers)
	carry := append([]byte(nil), buf[end:]...)
	go s.split(carry, line, eof)
	for range workers {
		go s.work()
	}
	return s, nil
}

func bomLen(b []byte) int {
	if bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		return 3
	}
	return 0
}

// firstRecord parses the first record of buf (after a UTF-8 byte order
// mark): its fields, the offset after it and the newlines in it. ok is
// false when more input is needed.
func firstRecord(buf []byte, delim byte, eof bool) (fields []string, end, newlines int, ok bool, err error) {
	p := bomLen(buf)
	if p == len(buf) {
		return nil, 0, 0, false, nil
	}
	for {
		var sb []byte
		if p < len(buf) && buf[p] == '"' {
			p++
			for {
				q := bytes.IndexByte(buf[p:], '"')
				if q < 0 {
					if eof {
						return nil, 0, 0, false, errors.New("quoted field is not closed")
					}
					return nil, 0, 0, false, nil
				}
				sb = append(sb, buf[p:p+q]...)
				newlines += bytes.Count(buf[p:p+q], []byte{'\n'})
				p += q + 1
				if p == len(buf) && !eof {
					return nil, 0, 0, false, nil
				}
				if p < len(buf) && buf[p] == '"' {
					sb = append(sb, '"')
					p++
					continue
				}
				break
			}
		} else {
			st := p
			for p < len(buf) && buf[p] != delim && buf[p] != '\n' {
				p++
			}
			sb = bytes.TrimSuffix(buf[st:p], []byte{'\r'})
		}
		if p < len(buf) && buf[p] == '\r' && p+1 < len(buf) && buf[p+1] == '\n' {
			p++
		}
		fields = append(fields, strings.TrimSpace(string(sb)))
		if p < len(buf) && buf[p] == delim {
			p++
			continue
		}
		if p < len(buf) && buf[p] == '\n' {
			return fields, p + 1, newlines + 1, true, nil
		}
		if p == len(buf) {
			if eof {
				return fields, p, newlines, true, nil
			}
			return nil, 0, 0, false, nil
		}
		return nil, 0, 0, false, fmt.Errorf("unexpected %q after a quoted field", buf[p])
	}
}

func (s *csvSource) selectColumns(o *Options) error {
	find := func(c string) (int, error) {
		for i, n := range s.names {
			if n == c {
				return i, nil
			}
		}
		if i, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && i >= 0 && i < len(s.names) {
			return i, nil
		}
		return 0, newErr(s.name, -1, "", "no column %q among the %d: %s", c, len(s.names), listNames(s.names))
	}
	s.slot = make([]int32, len(s.names))
	for i := range s.slot {
		s.slot[i] = slotSkip
	}
	if o.Weights != "" {
		i, err := find(o.Weights)
		if err != nil {
			return err
		}
		s.slot[i] = slotWeight
		s.weighted = true
	}
	if len(o.Columns) == 0 {
		for i := range s.names {
			if s.slot[i] == slotSkip {
				s.slot[i] = int32(len(s.cols))
				s.cols = append(s.cols, s.names[i])
			}
		}
		if len(s.cols) == 0 {
			return newErr(s.name, -1, "", "no columns left to read")
		}
		return nil
	}
	for _, c := range o.Columns {
		i, err := find(c)
		if err != nil {
			return err
		}
		if s.slot[i] != slotSkip {
			return newErr(s.name, -1, s.names[i], "column selected twice")
		}
		s.slot[i] = int32(len(s.cols))
		s.cols = append(s.cols, s.names[i])
	}
	return nil
}

func listNames(names []string) string {
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}

func (s *csvSource) info() srcInfo {
	return srcInfo{cols: s.cols, weighted: s.weighted, rows: -1}
}

func (s *csvSource) skipped() int64 { return s.nskip }

func (s *csvSource) close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	return nil
}

func (s *csvSource) getBuf(n int) *[]byte {
	if n <= s.chunk {
		if p, ok := s.bufPool.Get().(*[]byte); ok {
			return p
		}
		b := make([]byte, 0, s.chunk)
		return &b
	}
	b := make([]byte, 0, n)
	return &b
}

// split reads the input and sends chunks of whole records to the workers,
// and their result channels in order to fill.
func (s *csvSource) split(carry []byte, line int64, eof bool) {
	defer close(s.jobs)
	defer close(s.order)
	send := func(c *csvChunk) bool {
		ch := make(chan *csvChunk, 1)
		select {
		case s.order <- ch:
		case <-s.stop:
			return false
		}
		select {
		case s.jobs <- csvJob{c, ch}:
		case <-s.stop:
			return false
		}
		return true
	}
	for {
		need := len(carry) + 1
		if len(carry) >= s.chunk/2 {
			need = 2 * len(carry)
		}
		bp := s.getBuf(max(need, s.chunk))
		buf := append((*bp)[:0], carry...)
		var rerr error
		for len(buf) < cap(buf) && !eof {
			n, err := s.in.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				eof = true
			} else if err != nil {
				rerr = err
				break
			}
		}
		cut := len(buf)
		if !eof {
			// Only whole records; after a read error too, which follows
			// them.
			cut = recordsEnd(buf)
			if cut == 0 && rerr == nil {
				if len(buf) > maxRecordBytes {
					rerr = errRecordTooLong
				} else {
					carry = append(carry[:0], buf...)
					if cap(*bp) == s.chunk {
						s.bufPool.Put(bp)
					}
					continue
				}
			}
		}
		c, _ := s.chunkPool.Get().(*csvChunk)
		if c == nil {
			c = new(csvChunk)
		}
		c.data, c.buf, c.line, c.readErr = buf[:cut], bp, line, rerr
		c.lines = int64(bytes.Count(buf[:cut], []byte{'\n'}))
		line += c.lines
		carry = append(carry[:0], buf[cut:]...)
		if !send(c) || eof || rerr != nil {
			return
		}
	}
}

// recordsEnd returns the offset after the last newline of buf that is not
// inside a quoted field (buf starts at a record start), or 0.
func recordsEnd(buf []byte) int {
	if bytes.IndexByte(buf, '"') < 0 {
		return bytes.LastIndexByte(buf, '\n') + 1
	}
	q, last := false, 0
	for i, c := range buf {
		switch c {
		case '"':
			q = !q
		case '\n':
			if !q {
				last = i + 1
			}
		}
	}
	return last
}

func (s *csvSource) work() {
	for j := range s.jobs {
		c := j.c
		if s.f64 {
			c.x64, c.w64 = parseCSV(s, c, c.x64, c.w64)
		} else {
			c.x32, c.w32 = parseCSV(s, c, c.x32, c.w32)
		}
		if cap(*c.buf) == s.chunk {
			s.bufPool.Put(c.buf)
		}
		c.data, c.buf = nil, nil
		j.ch <- c
	}
}

func (s *csvSource) fill(b *Block, n int) error {
	d := len(s.cols)
	b.reserve(n, d, s.f64, s.weighted)
	defer b.shape(d, s.f64, s.weighted)
	for b.Rows < n {
		if s.cur != nil && s.curPos == s.cur.rows {
			c := s.cur
			if c.err != nil {
				err := *c.err
				err.Row += s.base
				return &err
			}
			if c.readErr != nil {
				e := &Error{File: s.name, Row: s.base + int64(c.records), Line: c.line + c.lines, Msg: "read error", Err: c.readErr}
				if c.readErr == errRecordTooLong {
					e.Msg, e.Err = fmt.Sprintf("a record is longer than %d bytes (or a quote is not closed)", maxRecordBytes), nil
				}
				return e
			}
			s.base += int64(c.records)
			s.cur = nil
			s.chunkPool.Put(c)
		}
		if s.cur == nil {
			var ch chan *csvChunk
			var ok bool
			select {
			case ch, ok = <-s.order:
			case <-s.done:
				return errClosed
			}
			if !ok {
				return io.EOF
			}
			select {
			case s.cur = <-ch:
			case <-s.done:
				return errClosed
			}
			s.curPos = 0
			s.nskip += int64(s.cur.records - s.cur.rows)
			if s.cur.err != nil {
				s.nskip-- // the bad record is not skipped
			}
			continue
		}
		c := s.cur
		k := min(n-b.Rows, c.rows-s.curPos)
		lo, hi := s.curPos, s.curPos+k
		if s.f64 {
			copy(b.X64[b.Rows*d:], c.x64[lo*d:hi*d])
			if s.weighted {
				copy(b.W64[b.Rows:], c.w64[lo:hi])
			}
		} else {
			copy(b.X32[b.Rows*d:], c.x32[lo*d:hi*d])
			if s.weighted {
				copy(b.W32[b.Rows:], c.w32[lo:hi])
			}
		}
		if c.keep == nil {
			b.noteRows(s.base+int64(lo), k)
		} else {
			for _, r := range c.keep[lo:hi] {
				b.noteRows(s.base+int64(r), 1)
			}
		}
		s.curPos = hi
	}
	return nil
}

// parseCSV parses the records of c.data into rows of x (and weights w),
// reusing their arrays, and sets c's counts, or c.err at the first bad
// record.
func parseCSV[T float32 | float64](s *csvSource, c *csvChunk, x, w []T) ([]T, []T) {
	bits := 64
	if unsafe.Sizeof(T(0)) == 4 {
		bits = 32
	}
	data, delim, slot, ncol := c.data, s.delim, s.slot, len(s.slot)
	d := len(s.cols)
	x, w = x[:cap(x)], w[:cap(w)]
	keep := c.keep[:0]
	skipping := false
	rows, rec := 0, 0
	line := c.line
	c.err = nil
	fail := func(recLine int64, col int, format string, args ...any) {
		name := ""
		if col >= 0 && col < len(s.names) {
			name = s.names[col]
		}
		c.err = &Error{File: s.name, Row: int64(rec), Line: recLine, Column: name, Msg: fmt.Sprintf(format, args...)}
	}
	p := 0
	for p < len(data) {
		if data[p] == '\n' {
			p, line = p+1, line+1
			continue
		}
		if data[p] == '\r' && p+1 < len(data) && data[p+1] == '\n' {
			p, line = p+2, line+1
			continue
		}
		recLine := line
		if (rows+1)*d > len(x) {
			x = append(x[:len(x)], make([]T, max(len(x), 64*d))...)
			x = x[:cap(x)]
		}
		if s.weighted && rows >= len(w) {
			w = append(w[:len(w)], make([]T, max(len(w), 64))...)
			w = w[:cap(w)]
		}
		out := x[rows*d : rows*d+d]
		var wv T
		missing := false
		f := 0
		for {
			var val []byte
			if p < len(data) && data[p] == '"' {
				p++
				st := p
				for {
					q := bytes.IndexByte(data[p:], '"')
					if q < 0 {
						fail(recLine, f, "quoted field is not closed")
						goto done
					}
					p += q + 1
					if p < len(data) && data[p] == '"' {
						p++
						continue
					}
					break
				}
				val = data[st : p-1]
				if nl := bytes.Count(val, []byte{'\n'}); nl > 0 {
					line += int64(nl)
				}
				if p < len(data) && data[p] != delim && data[p] != '\n' &&
					!(data[p] == '\r' && (p+1 == len(data) || data[p+1] == '\n')) {
					fail(recLine, f, "unexpected %q after a quoted field", data[p])
					goto done
				}
			} else {
				st := p
				for p < len(data) {
					ch := data[p]
					if ch == delim || ch == '\n' {
						break
					}
					if ch == '"' {
						fail(recLine, f, "bare quote in an unquoted field")
						goto done
					}
					p++
				}
				val = data[st:p]
				if len(val) > 0 && val[len(val)-1] == '\r' && (p == len(data) || data[p] == '\n') {
					val = val[:len(val)-1]
				}
			}
			if f >= ncol {
				fail(recLine, -1, "more than the %d fields of the header", ncol)
				goto done
			}
			if sl := slot[f]; sl != slotSkip {
				val = trimSpace(val)
				if len(val) == 0 {
					if s.strict {
						fail(recLine, f, "missing value (empty cell)")
						goto done
					}
					missing = true
				} else {
					v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(val), len(val)), bits)
					if err != nil {
						if errors.Is(err, strconv.ErrRange) {
							fail(recLine, f, "%q is out of the float%d range", val, bits)
						} else {
							fail(recLine, f, "cannot parse %q as a number", val)
						}
						goto done
					}
					if math.IsNaN(v) || math.IsInf(v, 0) {
						fail(recLine, f, "%q is not a finite number", val)
						goto done
					}
					if sl >= 0 {
						out[sl] = T(v)
					} else {
						if v < 0 {
							fail(recLine, f, "weight %q is negative", val)
							goto done
						}
						wv = T(v)
					}
				}
			}
			f++
			if p < len(data) && data[p] == delim {
				p++
				continue
			}
			if p < len(data) {
				if data[p] == '\r' {
					p++
				}
				p, line = p+1, line+1
			}
			break
		}
		if f != ncol {
			fail(recLine, f, "%d fields, but the header has %d", f, ncol)
			goto done
		}
		if missing {
			if !skipping {
				skipping = true
				for i := range rows {
					keep = append(keep, int32(i))
				}
			}
		} else {
			if skipping {
				keep = append(keep, int32(rec))
			}
			if s.weighted {
				w[rows] = wv
			}
			rows++
		}
		rec++
	}
done:
	c.rows = rows
	c.records = rec
	if c.err != nil {
		c.records++ // the bad record
	}
	if skipping {
		c.keep = keep
	} else {
		c.keep = nil
	}
	return x, w
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
