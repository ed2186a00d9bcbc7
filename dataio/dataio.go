package dataio

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Formats accepted in Options.Format.
const (
	Parquet = "parquet"
	Npy     = "npy"
	CSV     = "csv"
	TSV     = "tsv" // CSV with a tab delimiter by default
	F32     = "f32" // raw little-endian float32, Options.Dim values a row
	F64     = "f64" // raw little-endian float64, Options.Dim values a row
)

// DefaultBlockRows is the number of rows in a block when Options.BlockRows
// is 0. Blocks are also kept under about 4 MiB of values: with many columns
// they hold fewer rows.
const DefaultBlockRows = 16384

const maxBlockBytes = 4 << 20

// Options says what to read and how. The zero value reads every column of a
// file whose format is given by its extension into float32 blocks.
type Options struct {
	// Format is one of Parquet, Npy, CSV, TSV, F32, F64; "" guesses it from
	// the file name: .parquet/.pq, .npy, .csv, .tsv/.tab, .f32, .f64
	// (.raw and .bin need an explicit F32 or F64), after a final .gz or
	// .zst, which Open decompresses (not for Parquet). Required for stdin.
	Format string
	// Columns selects the columns of X, in this order. Parquet: leaf column
	// names (nested ones as "a.b"). CSV: header names, or 0-based indexes
	// written in decimal (a header name wins over an index). Npy and raw:
	// 0-based indexes. Empty means every column but the weights.
	Columns []string
	// Weights names the column of per-row weights (same rules as Columns),
	// returned in Block.W32/W64 rather than in X. Weights must be finite
	// and non-negative. Empty means unweighted (W32 and W64 are nil).
	Weights string
	// Dim is the number of values a row for raw files (required) and for a
	// 1-D .npy array (then read as rows of Dim values). For other inputs a
	// non-zero Dim must equal the number of columns read.
	Dim int
	// Float64 makes blocks float64 (X64, W64); the default is float32 (X32,
	// W32), the fast path of the sketch kernels. Values are converted from
	// the stored type (float32, float64, int32, int64).
	Float64 bool
	// Delimiter is the CSV field separator: default ',' (tab for TSV).
	Delimiter rune
	// NoHeader says the CSV has no header line: columns are named by their
	// 0-based index.
	NoHeader bool
	// Strict turns missing values (Parquet nulls, empty CSV cells in a
	// selected column) into errors; by default such rows are skipped and
	// counted (Reader.Skipped).
	Strict bool
	// BlockRows is the maximum number of rows in a block (default
	// DefaultBlockRows).
	BlockRows int
	// Workers is the number of goroutines parsing CSV (default GOMAXPROCS).
	// The other formats are read by one goroutine besides the caller's.
	Workers int

	chunkBytes int           // CSV chunk size in bytes (tests shrink it)
	done       chan struct{} // closed by Reader.Close
}

// Block is a block of consecutive rows read from a source, row-major: row i
// is X32[i*Dim : (i+1)*Dim] (or X64). Only the slices of the precision asked
// for are set; the others are nil.
type Block struct {
	X32 []float32 // Rows×Dim values, unless Options.Float64
	X64 []float64 // Rows×Dim values, if Options.Float64
	W32 []float32 // Rows weights, if Options.Weights is set and !Float64
	W64 []float64 // Rows weights, if Options.Weights is set and Float64
	// Rows is the number of rows in the block, ≥ 1 after a successful Next.
	Rows int
	// FirstRow is the 0-based row number in the source of the block's first
	// row. Row numbers count every data row of the source (the header is
	// not a row), skipped ones included.
	FirstRow int64
	// RowNums is empty when the block's rows are the source rows FirstRow,
	// FirstRow+1, …; after skipped rows it holds each row's number. Use Row.
	RowNums []int64
}

// Row returns the 0-based source row number of the block's row i.
func (b *Block) Row(i int) int64 {
	if len(b.RowNums) > 0 {
		return b.RowNums[i]
	}
	return b.FirstRow + int64(i)
}

// Reader streams the rows of a source in blocks.
type Reader interface {
	// Dim is the number of values in a row of X.
	Dim() int
	// Columns are the names of X's columns, Dim of them.
	Columns() []string
	// Weighted reports whether blocks carry weights.
	Weighted() bool
	// Rows is the number of data rows in the source (skipped ones included)
	// when known before reading it (Parquet, npy, raw files), else -1.
	Rows() int64
	// Next fills b with the next block: it returns io.EOF after the last
	// one, and then again. b's buffers are reused: on return they may be
	// exchanged with the reader's, so data from an earlier call must not be
	// used after the next. Rows before a bad one come in earlier blocks;
	// the error (an *Error, or io.EOF) then comes from every later call.
	Next(b *Block) error
	// Skipped is the number of rows with missing values skipped so far:
	// up to the last block returned (CSV: up to the end of the chunk it
	// came from), and all of them after io.EOF.
	Skipped() int64
	// Close stops reading and closes the file that Open opened. A reader
	// from NewReader does not close its io.Reader.
	Close() error
}

// Error is an error about the data, with where it is.
type Error struct {
	File   string // as given to Open or NewReader
	Row    int64  // 0-based data row, as in Block.Row; -1 if not row-specific
	Line   int64  // 1-based line of a text file where the row starts; 0 if none
	Column string // the column's name, "" if not column-specific
	Msg    string
	Err    error // underlying error, if any
}

func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString(e.File)
	switch {
	case e.Line > 0 && e.Row >= 0:
		fmt.Fprintf(&sb, ":%d: row %d", e.Line, e.Row)
	case e.Line > 0:
		fmt.Fprintf(&sb, ":%d", e.Line)
	case e.Row >= 0:
		fmt.Fprintf(&sb, ": row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&sb, ", column %q", e.Column)
	}
	sb.WriteString(": ")
	sb.WriteString(e.Msg)
	if e.Err != nil && !strings.Contains(e.Msg, e.Err.Error()) {
		sb.WriteString(": ")
		sb.WriteString(e.Err.Error())
	}
	return sb.String()
}

func (e *Error) Unwrap() error { return e.Err }

func newErr(file string, row int64, col, format string, args ...any) *Error {
	return &Error{File: file, Row: row, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// FormatOf returns the format guessed from a file name's extension, or "".
func FormatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet", ".pq":
		return Parquet
	case ".npy":
		return Npy
	case ".csv":
		return CSV
	case ".tsv", ".tab":
		return TSV
	case ".f32":
		return F32
	case ".f64":
		return F64
	}
	return ""
}

// Open opens a file, or standard input for "-", and reads its header. A
// file whose name ends in .gz or .zst is decompressed as it is read.
func Open(path string, o Options) (Reader, error) {
	if path == "-" {
		return NewReader(os.Stdin, "stdin", o)
	}
	comp := compression(path)
	if o.Format == "" {
		o.Format = FormatOf(strings.TrimSuffix(path, comp))
		if o.Format == "" {
			return nil, newErr(path, -1, "", "cannot tell the format from the extension %q: give it (parquet, npy, csv, tsv, f32, f64)", filepath.Ext(path))
		}
	}
	if comp != "" && strings.EqualFold(o.Format, Parquet) {
		return nil, newErr(path, -1, "", "a compressed Parquet file cannot be read: Parquet compresses its pages itself")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var (
		in      io.Reader = f
		cleanup func()
	)
	switch comp {
	case ".gz":
		z, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			f.Close()
			return nil, &Error{File: path, Row: -1, Msg: "not a gzip file", Err: err}
		}
		in, cleanup = z, func() { z.Close() }
	case ".zst":
		z, err := zstd.NewReader(f)
		if err != nil {
			f.Close()
			return nil, &Error{File: path, Row: -1, Msg: "cannot read zstd", Err: err}
		}
		in, cleanup = z, z.Close
	}
	r, err := newReader(in, path, o, f)
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		f.Close()
		return nil, err
	}
	r.cleanup = cleanup
	return r, nil
}

// compression returns ".gz" or ".zst" when the file name ends so.
func compression(path string) string {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".gz", ".zst":
		return ext
	}
	return ""
}

// NewReader reads a stream of the given format (Options.Format is
// required); name is used in errors. Parquet needs random access: r must
// be an io.ReaderAt and io.Seeker (a regular *os.File, a *bytes.Reader).
func NewReader(r io.Reader, name string, o Options) (Reader, error) {
	if o.Format == "" {
		return nil, newErr(name, -1, "", "the format must be given (parquet, npy, csv, tsv, f32, f64)")
	}
	return newReader(r, name, o, nil)
}

// newReader starts reading in; file, if not nil, is the file that Close
// closes.
func newReader(in io.Reader, name string, o Options, file io.Closer) (*reader, error) {
	if o.BlockRows < 0 || o.Dim < 0 || o.Workers < 0 {
		return nil, newErr(name, -1, "", "BlockRows, Dim and Workers must not be negative")
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.done = make(chan struct{})
	var (
		src source
		err error
	)
	switch strings.ToLower(o.Format) {
	case Parquet:
		src, err = newParquet(in, name, &o)
	case Npy:
		src, err = newNpy(in, name, &o)
	case CSV, TSV:
		if o.Delimiter == 0 && strings.EqualFold(o.Format, TSV) {
			o.Delimiter = '\t'
		}
		src, err = newCSV(in, name, &o)
	case F32:
		src, err = newRaw(in, name, &o, 4)
	case F64:
		src, err = newRaw(in, name, &o, 8)
	default:
		return nil, newErr(name, -1, "", "unknown format %q (parquet, npy, csv, tsv, f32, f64)", o.Format)
	}
	if err != nil {
		return nil, err
	}
	info := src.info()
	if o.Dim != 0 && o.Dim != len(info.cols) {
		src.close()
		return nil, newErr(name, -1, "", "Dim is %d but %d columns are read", o.Dim, len(info.cols))
	}
	n := o.BlockRows
	if n == 0 {
		size := 4
		if o.Float64 {
			size = 8
		}
		n = max(1, min(DefaultBlockRows, maxBlockBytes/(size*max(1, len(info.cols)))))
	}
	r := &reader{
		name:   name,
		info:   info,
		n:      n,
		src:    src,
		full:   make(chan result, 1),
		free:   make(chan *Block, 3),
		done:   o.done,
		exited: make(chan struct{}),
	}
	r.closer = file
	for range 2 {
		r.free <- new(Block)
	}
	go r.run()
	return r, nil
}

// source is one format's reader, used by a single goroutine.
type source interface {
	info() srcInfo
	// fill appends up to n rows to b (b.Rows == 0 on entry) and returns
	// io.EOF at the end of the data, or an error, possibly with rows.
	fill(b *Block, n int) error
	skipped() int64
	close() error
}

type srcInfo struct {
	cols     []string
	weighted bool
	rows     int64
}

type result struct {
	b       *Block
	err     error
	skipped int64
}

// reader runs a source in its own goroutine, a block ahead of Next: blocks
// are exchanged, not copied.
type reader struct {
	name    string
	info    srcInfo
	n       int
	src     source
	closer  io.Closer // the file Open opened
	cleanup func()    // after the source goroutine stopped (decompressor)

	full   chan result
	free   chan *Block
	done   chan struct{}
	exited chan struct{}

	err     error
	skip    int64
	closeMu sync.Mutex
	closed  bool
}

func (r *reader) Dim() int          { return len(r.info.cols) }
func (r *reader) Columns() []string { return append([]string(nil), r.info.cols...) }
func (r *reader) Weighted() bool    { return r.info.weighted }
func (r *reader) Rows() int64       { return r.info.rows }
func (r *reader) Skipped() int64    { return r.skip }

func (r *reader) run() {
	defer close(r.exited)
	defer r.src.close()
	for {
		var b *Block
		select {
		case b = <-r.free:
		case <-r.done:
			return
		}
		b.Rows, b.FirstRow, b.RowNums = 0, 0, b.RowNums[:0]
		err := r.src.fill(b, r.n)
		if err != nil && err != io.EOF {
			if _, ok := err.(*Error); !ok {
				err = &Error{File: r.name, Row: -1, Msg: "read error", Err: err}
			}
		}
		select {
		case r.full <- result{b, err, r.src.skipped()}:
		case <-r.done:
			return
		}
		if err != nil {
			return
		}
	}
}

var errClosed = errors.New("dataio: reader is closed")

func (r *reader) Next(b *Block) error {
	if r.err != nil {
		return r.err
	}
	for {
		res, ok := <-r.full
		if !ok {
			r.err = errClosed
			return r.err
		}
		r.skip = res.skipped
		if res.err != nil {
			r.err = res.err
		}
		if res.b.Rows > 0 {
			nb := res.b
			b.X32, nb.X32 = nb.X32, b.X32
			b.X64, nb.X64 = nb.X64, b.X64
			b.W32, nb.W32 = nb.W32, b.W32
			b.W64, nb.W64 = nb.W64, b.W64
			b.RowNums, nb.RowNums = nb.RowNums, b.RowNums
			b.Rows, b.FirstRow = nb.Rows, nb.FirstRow
			r.free <- nb
			return nil
		}
		r.free <- res.b
		if r.err != nil {
			return r.err
		}
	}
}

func (r *reader) Close() error {
	r.closeMu.Lock()
	defer r.closeMu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.err == nil {
		r.err = errClosed
	}
	close(r.done)
	var err error
	if r.closer != nil {
		// Closing the file unblocks a read in progress; then the source
		// goroutine sees done and stops.
		err = r.closer.Close()
		<-r.exited
	}
	if r.cleanup != nil {
		r.cleanup()
	}
	return err
}

// ---- helpers shared by the sources ----

// grow returns s with length n, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/8)
	}
	return s[:n]
}

// noteRows records that k rows numbered start, start+1, … were appended.
func (b *Block) noteRows(start int64, k int) {
	if k <= 0 {
		return
	}
	if b.Rows == 0 {
		b.FirstRow = start
	}
	if len(b.RowNums) == 0 && start == b.FirstRow+int64(b.Rows) {
		b.Rows += k
		return
	}
	if len(b.RowNums) == 0 {
		for i := range b.Rows {
			b.RowNums = append(b.RowNums, b.FirstRow+int64(i))
		}
	}
	for i := range k {
		b.RowNums = append(b.RowNums, start+int64(i))
	}
	b.Rows += k
}

// shape sets the lengths of b's slices for its Rows and the precision.
func (b *Block) shape(d int, f64, weighted bool) {
	n := b.Rows
	if f64 {
		b.X64, b.X32 = b.X64[:n*d], nil
		if weighted {
			b.W64, b.W32 = b.W64[:n], nil
		} else {
			b.W64, b.W32 = nil, nil
		}
	} else {
		b.X32, b.X64 = b.X32[:n*d], nil
		if weighted {
			b.W32, b.W64 = b.W32[:n], nil
		} else {
			b.W64, b.W32 = nil, nil
		}
	}
}

// reserve gives b room for n more rows.
func (b *Block) reserve(n, d int, f64, weighted bool) {
	if f64 {
		b.X64 = grow(b.X64, n*d)
		if weighted {
			b.W64 = grow(b.W64, n)
		}
	} else {
		b.X32 = grow(b.X32, n*d)
		if weighted {
			b.W32 = grow(b.W32, n)
		}
	}
}

// checkWeights returns the index of the first weight that is not finite
// and non-negative, or -1.
func checkWeights[T float32 | float64](w []T) int {
	for i, v := range w {
		if !(v >= 0) || math.IsInf(float64(v), 1) {
			return i
		}
	}
	return -1
}

// selectByIndex resolves Columns and Weights given as 0-based indexes
// among ncol columns (npy and raw files).
func selectByIndex(name string, o *Options, ncol int) (sel []int, wcol int, names []string, err error) {
	idx := func(s string) (int, error) {
		i, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || i < 0 || i >= ncol {
			return 0, newErr(name, -1, "", "column %q: want a 0-based index below %d", s, ncol)
		}
		return i, nil
	}
	wcol = -1
	if o.Weights != "" {
		if wcol, err = idx(o.Weights); err != nil {
			return nil, 0, nil, err
		}
	}
	if len(o.Columns) == 0 {
		for i := range ncol {
			if i != wcol {
				sel = append(sel, i)
			}
		}
	} else {
		for _, c := range o.Columns {
			i, err := idx(c)
			if err != nil {
				return nil, 0, nil, err
			}
			sel = append(sel, i)
		}
	}
	for _, i := range sel {
		names = append(names, strconv.Itoa(i))
	}
	return sel, wcol, names, nil
}
