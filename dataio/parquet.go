package dataio

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// pqColumn is a selected Parquet leaf column.
type pqColumn struct {
	name     string
	index    int // leaf column index in row groups
	kind     parquet.Kind
	unsigned bool
	scale    float64 // 10^-scale of a DECIMAL, else 1
	maxDef   byte
}

// pqCursor walks the pages of one column chunk, row by row.
type pqCursor struct {
	col   *pqColumn
	pages parquet.Pages
	page  parquet.Page
	n     int // rows in page
	pos   int // next row in page
	vpos  int // next non-null value in page
	defs  []byte
	f32   []float32
	f64   []float64
	i32   []int32
	i64   []int64
	idx   []int32 // dictionary indexes (then the slices above are the dictionary)
}

type pqSource struct {
	name     string
	file     *parquet.File
	cols     []*pqColumn
	wcol     *pqColumn
	names    []string
	f64      bool
	strict   bool
	rowGroup int   // next row group
	left     int64 // rows left in the current row group
	row      int64 // next row of the file
	curs     []*pqCursor
	wcur     *pqCursor
	bad      []bool
	nskip    int64
}

func newParquet(in io.Reader, name string, o *Options) (source, error) {
	ra, ok := in.(io.ReaderAt)
	sk, ok2 := in.(io.Seeker)
	if !ok || !ok2 {
		return nil, newErr(name, -1, "", "Parquet needs a seekable file: it cannot be read from a pipe or stdin")
	}
	var size int64
	if f, isFile := in.(*os.File); isFile {
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, newErr(name, -1, "", "Parquet needs a seekable file: it cannot be read from a pipe or stdin")
		}
		size = st.Size()
	} else {
		var err error
		if size, err = sk.Seek(0, io.SeekEnd); err != nil {
			return nil, newErr(name, -1, "", "Parquet needs a seekable file: %v", err)
		}
	}
	pf, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(64<<10))
	if err != nil {
		return nil, &Error{File: name, Row: -1, Msg: "not a readable Parquet file", Err: err}
	}
	s := &pqSource{name: name, file: pf, f64: o.Float64, strict: o.Strict}
	schema := pf.Schema()
	var all []string
	for _, path := range schema.Columns() {
		all = append(all, strings.Join(path, "."))
	}
	column := func(n string) (*pqColumn, error) {
		for _, path := range schema.Columns() {
			if strings.Join(path, ".") != n {
				continue
			}
			leaf, _ := schema.Lookup(path...)
			return pqLeaf(name, n, leaf)
		}
		return nil, newErr(name, -1, "", "no column %q among the %d: %s", n, len(all), listNames(all))
	}
	if o.Weights != "" {
		if s.wcol, err = column(o.Weights); err != nil {
			return nil, err
		}
	}
	sel := o.Columns
	if len(sel) == 0 {
		for _, n := range all {
			if n != o.Weights {
				sel = append(sel, n)
			}
		}
	}
	seen := map[string]bool{}
	for _, n := range sel {
		if seen[n] {
			return nil, newErr(name, -1, n, "column selected twice")
		}
		seen[n] = true
		c, err := column(n)
		if err != nil {
			if len(o.Columns) == 0 {
				err.(*Error).Msg += " (select the columns to read)"
			}
			return nil, err
		}
		s.cols = append(s.cols, c)
		s.names = append(s.names, n)
	}
	if len(s.cols) == 0 {
		return nil, newErr(name, -1, "", "no columns to read")
	}
	return s, nil
}

func pqLeaf(file, name string, leaf parquet.LeafColumn) (*pqColumn, error) {
	if leaf.MaxRepetitionLevel > 0 {
		return nil, newErr(file, -1, name, "repeated (list) columns are not supported")
	}
	if leaf.MaxDefinitionLevel > 255 {
		return nil, newErr(file, -1, name, "nested too deep")
	}
	t := leaf.Node.Type()
	c := &pqColumn{name: name, index: leaf.ColumnIndex, kind: t.Kind(), scale: 1, maxDef: byte(leaf.MaxDefinitionLevel)}
	switch c.kind {
	case parquet.Float, parquet.Double, parquet.Int32, parquet.Int64:
	default:
		return nil, newErr(file, -1, name, "type %v is not numeric: FLOAT, DOUBLE, INT32 and INT64 columns can be read", c.kind)
	}
	if lt := t.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.IntType:
			c.unsigned = !v.IsSigned
		case *format.DecimalType:
			c.scale = math.Pow(10, -float64(v.Scale))
		}
	}
	return c, nil
}

func (s *pqSource) info() srcInfo {
	return srcInfo{cols: s.names, weighted: s.wcol != nil, rows: s.file.NumRows()}
}

func (s *pqSource) skipped() int64 { return s.nskip }

func (s *pqSource) close() error {
	s.closeCursors()
	return nil
}

func (s *pqSource) closeCursors() {
	for _, c := range s.curs {
		c.close()
	}
	if s.wcur != nil {
		s.wcur.close()
	}
	s.curs, s.wcur = s.curs[:0], nil
}

func (c *pqCursor) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	c.pages.Close()
}

// nextRowGroup opens cursors on the next row group with rows; false at the
// end of the file.
func (s *pqSource) nextRowGroup() bool {
	s.closeCursors()
	groups := s.file.RowGroups()
	for s.rowGroup < len(groups) {
		g := groups[s.rowGroup]
		s.rowGroup++
		if g.NumRows() == 0 {
			continue
		}
		chunks := g.ColumnChunks()
		for _, col := range s.cols {
			s.curs = append(s.curs, &pqCursor{col: col, pages: chunks[col.index].Pages()})
		}
		if s.wcol != nil {
			s.wcur = &pqCursor{col: s.wcol, pages: chunks[s.wcol.index].Pages()}
		}
		s.left = g.NumRows()
		return true
	}
	return false
}

func (s *pqSource) fill(b *Block, n int) (err error) {
	defer func() {
		// parquet-go may panic on a corrupt file rather than fail.
		if p := recover(); p != nil {
			err = &Error{File: s.name, Row: s.row, Msg: fmt.Sprintf("corrupt Parquet data: %v", p)}
		}
	}()
	d := len(s.cols)
	weighted := s.wcol != nil
	b.reserve(n, d, s.f64, weighted)
	defer b.shape(d, s.f64, weighted)
	if len(s.bad) < n {
		s.bad = make([]bool, n)
	}
	for b.Rows < n {
		if s.left == 0 && !s.nextRowGroup() {
			return io.EOF
		}
		k := int(min(int64(n-b.Rows), s.left))
		r0 := b.Rows
		bad := s.bad[:k]
		clear(bad)
		firstNull, nullCol := k, ""
		read := func(c *pqCursor, j int) error {
			var fn int
			var err error
			if s.f64 {
				if c == s.wcur {
					fn, err = readCol(c, b.W64[r0:], 1, 0, k, bad)
				} else {
					fn, err = readCol(c, b.X64[r0*d:], d, j, k, bad)
				}
			} else {
				if c == s.wcur {
					fn, err = readCol(c, b.W32[r0:], 1, 0, k, bad)
				} else {
					fn, err = readCol(c, b.X32[r0*d:], d, j, k, bad)
				}
			}
			if err != nil {
				return &Error{File: s.name, Row: s.row, Column: c.col.name, Msg: "cannot read the column", Err: err}
			}
			if fn < firstNull {
				firstNull, nullCol = fn, c.col.name
			}
			return nil
		}
		for j, c := range s.curs {
			if err := read(c, j); err != nil {
				return err
			}
		}
		if s.wcur != nil {
			if err := read(s.wcur, 0); err != nil {
				return err
			}
		}
		if firstNull < k && s.strict {
			b.noteRows(s.row, firstNull)
			return newErr(s.name, s.row+int64(firstNull), nullCol, "missing value (null)")
		}
		if firstNull == k {
			b.noteRows(s.row, k)
		} else {
			dst := r0
			for i := range k {
				if bad[i] {
					s.nskip++
					continue
				}
				if dst != r0+i {
					if s.f64 {
						copy(b.X64[dst*d:(dst+1)*d], b.X64[(r0+i)*d:])
					} else {
						copy(b.X32[dst*d:(dst+1)*d], b.X32[(r0+i)*d:])
					}
					if weighted {
						if s.f64 {
							b.W64[dst] = b.W64[r0+i]
						} else {
							b.W32[dst] = b.W32[r0+i]
						}
					}
				}
				b.noteRows(s.row+int64(i), 1)
				dst++
			}
		}
		s.row += int64(k)
		s.left -= int64(k)
		if weighted {
			bi := -1
			if s.f64 {
				bi = checkWeights(b.W64[r0:b.Rows])
			} else {
				bi = checkWeights(b.W32[r0:b.Rows])
			}
			if bi >= 0 {
				var v float64
				if s.f64 {
					v = b.W64[r0+bi]
				} else {
					v = float64(b.W32[r0+bi])
				}
				row := b.Row(r0 + bi)
				b.truncate(r0 + bi)
				return newErr(s.name, row, s.wcol.name, "weight %v is not finite and non-negative", v)
			}
		}
	}
	return nil
}

// truncate keeps the first n rows of b.
func (b *Block) truncate(n int) {
	if len(b.RowNums) > 0 {
		b.RowNums = b.RowNums[:n]
	}
	b.Rows = n
}

// nextPage loads the cursor's next page.
func (c *pqCursor) nextPage() error {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	p, err := c.pages.ReadPage()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("column chunk ends before its row group")
		}
		return err
	}
	c.page = p
	c.pos, c.vpos = 0, 0
	c.n = int(p.NumRows())
	c.defs = nil
	if c.col.maxDef > 0 {
		c.defs = p.DefinitionLevels()
		if len(c.defs) != c.n {
			return fmt.Errorf("page has %d definition levels for %d rows", len(c.defs), c.n)
		}
	}
	c.f32, c.f64, c.i32, c.i64, c.idx = nil, nil, nil, nil, nil
	data := p.Data()
	values := 0
	if dict := p.Dictionary(); dict != nil {
		c.idx = data.Int32()
		values = len(c.idx)
		data = dict.Page().Data()
	}
	var dlen int
	switch c.col.kind {
	case parquet.Float:
		c.f32 = data.Float()
		dlen = len(c.f32)
	case parquet.Double:
		c.f64 = data.Double()
		dlen = len(c.f64)
	case parquet.Int32:
		c.i32 = data.Int32()
		dlen = len(c.i32)
	case parquet.Int64:
		c.i64 = data.Int64()
		dlen = len(c.i64)
	}
	if c.idx != nil {
		for _, ix := range c.idx {
			if uint32(ix) >= uint32(dlen) {
				return fmt.Errorf("dictionary index %d out of range (%d values)", ix, dlen)
			}
		}
	} else {
		values = dlen
	}
	want := c.n
	if c.defs != nil {
		want = 0
		for _, l := range c.defs {
			if l == c.col.maxDef {
				want++
			}
		}
	}
	if values != want {
		return fmt.Errorf("page has %d values for %d non-null rows", values, want)
	}
	return nil
}

// readCol writes the column's next k rows to out[i*d+j] and marks nulls in
// bad; it returns the index of the first null (k if none).
func readCol[T float32 | float64](c *pqCursor, out []T, d, j, k int, bad []bool) (int, error) {
	first := k
	for r := 0; r < k; {
		if c.page == nil || c.pos == c.n {
			if err := c.nextPage(); err != nil {
				return first, err
			}
			continue
		}
		m := min(k-r, c.n-c.pos)
		var defs []byte
		if c.defs != nil {
			defs = c.defs[c.pos : c.pos+m]
		}
		var used, fn int
		switch {
		case c.f32 != nil:
			used, fn = put(out, d, j, r, m, c.f32, c.idx, c.vpos, defs, c.col.maxDef, bad)
		case c.f64 != nil:
			used, fn = put(out, d, j, r, m, c.f64, c.idx, c.vpos, defs, c.col.maxDef, bad)
		case c.i32 != nil && c.col.unsigned:
			u := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(c.i32))), len(c.i32))
			used, fn = put(out, d, j, r, m, u, c.idx, c.vpos, defs, c.col.maxDef, bad)
		case c.i32 != nil:
			used, fn = put(out, d, j, r, m, c.i32, c.idx, c.vpos, defs, c.col.maxDef, bad)
		case c.i64 != nil && c.col.unsigned:
			u := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(c.i64))), len(c.i64))
			used, fn = put(out, d, j, r, m, u, c.idx, c.vpos, defs, c.col.maxDef, bad)
		case c.i64 != nil:
			used, fn = put(out, d, j, r, m, c.i64, c.idx, c.vpos, defs, c.col.maxDef, bad)
		default:
			// An all-null page has no values.
			used, fn = put(out, d, j, r, m, []float32(nil), c.idx, c.vpos, defs, c.col.maxDef, bad)
		}
		if c.col.scale != 1 {
			for i := r; i < r+m; i++ {
				out[i*d+j] *= T(c.col.scale)
			}
		}
		if fn < m && r+fn < first {
			first = r + fn
		}
		c.pos += m
		c.vpos += used
		r += m
	}
	return first, nil
}

type number interface {
	float32 | float64 | int32 | int64 | uint32 | uint64
}

// put converts m rows, starting at value v0 of vals (or of the dictionary
// indexes idx), into out rows r, r+1, … at column j; defs marks nulls.
// It returns the values used and the offset of the first null (m if none).
func put[S number, T float32 | float64](out []T, d, j, r, m int, vals []S, idx []int32, v0 int, defs []byte, maxDef byte, bad []bool) (int, int) {
	o := out[r*d+j:]
	if defs == nil {
		if idx != nil {
			for i, ix := range idx[v0 : v0+m] {
				o[i*d] = T(vals[ix])
			}
		} else if d == 1 {
			for i, v := range vals[v0 : v0+m] {
				o[i] = T(v)
			}
		} else {
			for i, v := range vals[v0 : v0+m] {
				o[i*d] = T(v)
			}
		}
		return m, m
	}
	v, first := v0, m
	for i, l := range defs {
		if l != maxDef {
			o[i*d] = 0
			bad[r+i] = true
			first = min(first, i)
			continue
		}
		if idx != nil {
			o[i*d] = T(vals[idx[v]])
		} else {
			o[i*d] = T(vals[v])
		}
		v++
	}
	return v - v0, first
}
