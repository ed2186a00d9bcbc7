package beamsketch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/clkit/clkit/dataio"
)

// Batch is a block of consecutive rows of one file, as dataio read it:
// the elements that Sketch sums.
type Batch struct {
	File         string   // the file, as matched: errors name it
	Columns      []string // names of the columns, for errors
	dataio.Block          // the rows (row numbers as in the whole file)
}

// Split is the unit of reading: a range of rows of a file, or the whole
// file.
type Split struct {
	File string
	// Whole: read the file with dataio.Open (Parquet, CSV, compressed and
	// remote files). Otherwise rows [First, First+Rows) of an .npy or raw
	// file, at byte DataOff + row·Width·Elem.
	Whole       bool
	First, Rows int64
	DataOff     int64
	Width, Elem int // values a row in the file, bytes a value
}

// ReadOptions says how to read the files.
type ReadOptions struct {
	// Options are dataio's, as for clkit sketch (format, columns, weights,
	// dim, precision, CSV details, strictness, block size).
	Options dataio.Options
	// SplitRows is the number of rows of an .npy or raw file read as one
	// element, rounded up to a multiple of the reader's block size (so the
	// blocks are those of the whole file): 0 means about 64 MiB of data,
	// < 0 whole files. Other formats are read one element per file.
	SplitRows int64
}

const defaultSplitBytes = 64 << 20

// ReadFiles matches each glob of the PCollection<string> (local paths, or
// any scheme a Beam filesystem is registered for) and reads the files into
// a PCollection<Batch>: one element per split (row ranges of .npy and raw
// files, whole files otherwise), shuffled between the stages so that a
// runner spreads the splits over its workers. A glob that matches nothing,
// a file that cannot be read or bad data fails the job with an error
// naming the file (and the row and column where dataio gives them).
func ReadFiles(s beam.Scope, globs beam.PCollection, o ReadOptions) beam.PCollection {
	s = s.Scope("clkit.ReadFiles")
	files := beam.ParDo(s, &matchFn{}, globs)
	splits := beam.ParDo(s, &splitFn{Opts: o}, beam.Reshuffle(s, files))
	return beam.ParDo(s, &readFn{Opts: o.Options}, beam.Reshuffle(s, splits))
}

// ReadGlob is ReadFiles of one glob.
func ReadGlob(s beam.Scope, glob string, o ReadOptions) beam.PCollection {
	return ReadFiles(s, beam.Create(s.Scope("clkit.Glob"), glob), o)
}

var (
	rowsRead    = beam.NewCounter("clkit", "rows")
	rowsSkipped = beam.NewCounter("clkit", "skipped")
)

// ---- matching ----

type matchFn struct{}

func (fn *matchFn) ProcessElement(ctx context.Context, glob string, emit func(string)) error {
	files, err := Match(ctx, glob)
	if err != nil {
		return err
	}
	for _, f := range files {
		emit(f)
	}
	return nil
}

// Match lists the files a glob matches, sorted and without duplicates;
// matching nothing is an error.
func Match(ctx context.Context, glob string) ([]string, error) {
	fs, err := filesystem.New(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", glob, err)
	}
	defer fs.Close()
	files, err := fs.List(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", glob, err)
	}
	var out []string
	for _, f := range files {
		if !isRemote(f) {
			if st, err := os.Stat(f); err == nil && st.IsDir() {
				continue
			}
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no files match", glob)
	}
	// Filesystems list in their own order (and may list a file twice):
	// sort, so that the first files, which --sigma auto samples, are the
	// same on every run.
	slices.Sort(out)
	return slices.Compact(out), nil
}

// isRemote reports a path with a scheme (gs://, s3://, …): read through a
// Beam filesystem into a local temporary copy.
func isRemote(path string) bool {
	return strings.Index(path, "://") > 0
}

// ---- splitting ----

type splitFn struct {
	Opts ReadOptions
}

func (fn *splitFn) ProcessElement(ctx context.Context, path string, emit func(Split)) error {
	splits, err := SplitFile(path, fn.Opts)
	if err != nil {
		return err
	}
	for _, sp := range splits {
		emit(sp)
	}
	return nil
}

// SplitFile cuts a file into splits: row ranges of SplitRows rows for an
// uncompressed local .npy or raw file, else the whole file. It opens the
// file (dataio checks its header, columns and size), so most bad files fail
// here, before any row is read.
func SplitFile(path string, o ReadOptions) ([]Split, error) {
	whole := []Split{{File: path, Whole: true}}
	lower := strings.ToLower(path)
	if isRemote(path) || o.SplitRows < 0 || strings.HasSuffix(lower, ".gz") || strings.HasSuffix(lower, ".zst") {
		return whole, nil // compressed files are read from their start
	}
	format := strings.ToLower(o.Options.Format)
	if format == "" {
		format = dataio.FormatOf(path)
	}
	if format != dataio.Npy && format != dataio.F32 && format != dataio.F64 {
		return whole, nil
	}
	r, err := dataio.Open(path, o.Options)
	if err != nil {
		return nil, err
	}
	rows := r.Rows()
	// The size of the reader's blocks: splits start at multiples of it, so
	// that every row is sketched in the same block (and kernel call) as
	// when the whole file is read, as clkit sketch reads it.
	var blk dataio.Block
	err = r.Next(&blk)
	r.Close()
	if err != nil && err != io.EOF {
		return nil, err
	}
	if rows < 0 {
		return whole, nil
	}
	if rows <= int64(blk.Rows) {
		return whole, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var off int64
	elem := 4
	if format == dataio.F64 {
		elem = 8
	}
	if format == dataio.Npy {
		if off, elem, err = npyLayout(f); err != nil {
			return nil, &dataio.Error{File: path, Row: -1, Msg: err.Error()}
		}
	}
	data := st.Size() - off
	width := data / (rows * int64(elem))
	if width < 1 || width*rows*int64(elem) != data {
		return whole, nil // dataio would not have opened it; let it say why
	}
	per := o.SplitRows
	if per == 0 {
		per = defaultSplitBytes / (width * int64(elem))
	}
	block := int64(blk.Rows)
	per = max(1, (per+block-1)/block) * block
	var out []Split
	for first := int64(0); first < rows; first += per {
		out = append(out, Split{File: path, First: first, Rows: min(per, rows-first),
			DataOff: off, Width: int(width), Elem: elem})
	}
	return out, nil
}

var npyDescr = regexp.MustCompile(`['"]descr['"]\s*:\s*['"]<f([48])['"]`)

// npyLayout reads where an .npy file's data starts and the size of its
// values (the header was checked by dataio.Open already).
func npyLayout(f *os.File) (off int64, elem int, err error) {
	var pre [12]byte
	if _, err := f.ReadAt(pre[:], 0); err != nil {
		return 0, 0, errors.New("truncated .npy header")
	}
	var hlen int64
	switch pre[6] {
	case 1:
		hlen, off = int64(binary.LittleEndian.Uint16(pre[8:])), 10
	default:
		hlen, off = int64(binary.LittleEndian.Uint32(pre[8:])), 12
	}
	if hlen > 1<<20 {
		return 0, 0, errors.New(".npy header too long")
	}
	hdr := make([]byte, hlen)
	if _, err := f.ReadAt(hdr, off); err != nil {
		return 0, 0, errors.New("truncated .npy header")
	}
	m := npyDescr.FindSubmatch(hdr)
	if m == nil {
		return 0, 0, errors.New(".npy dtype: want <f4 or <f8")
	}
	return off + hlen, int(m[1][0] - '0'), nil
}

// ---- reading ----

type readFn struct {
	Opts dataio.Options
}

func (fn *readFn) ProcessElement(ctx context.Context, sp Split, emit func(Batch)) error {
	return ReadSplit(ctx, sp, fn.Opts, func(b Batch) error {
		emit(b)
		return nil
	})
}

// ReadSplit reads a split and hands each block of rows to emit, as a Batch
// that owns its buffers (they are not reused). Errors name the file and,
// where dataio gives them, the row and column.
func ReadSplit(ctx context.Context, sp Split, o dataio.Options, emit func(Batch) error) error {
	r, err := openSplit(ctx, sp, o)
	if err != nil {
		return err
	}
	defer r.Close()
	cols := r.Columns()
	var skipped int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		blk := new(dataio.Block) // a fresh block: the batch keeps its buffers
		err := r.Next(blk)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rowsRead.Inc(ctx, int64(blk.Rows))
		if err := emit(Batch{File: sp.File, Columns: cols, Block: *blk}); err != nil {
			return err
		}
		if n := r.Skipped(); n > skipped {
			rowsSkipped.Inc(ctx, n-skipped)
			skipped = n
		}
	}
	if n := r.Skipped(); n > skipped {
		rowsSkipped.Inc(ctx, n-skipped)
	}
	return nil
}

// openSplit opens the rows of a split.
func openSplit(ctx context.Context, sp Split, o dataio.Options) (dataio.Reader, error) {
	if sp.Whole {
		if !isRemote(sp.File) {
			return dataio.Open(sp.File, o)
		}
		local, cleanup, err := fetch(ctx, sp.File)
		if err != nil {
			return nil, err
		}
		r, err := dataio.Open(local, o)
		if err != nil {
			cleanup()
			return nil, renamed(err, local, sp.File)
		}
		return &splitReader{Reader: r, local: local, name: sp.File, cleanup: cleanup}, nil
	}
	f, err := os.Open(sp.File)
	if err != nil {
		return nil, err
	}
	rb := int64(sp.Width * sp.Elem)
	sec := io.NewSectionReader(f, sp.DataOff+sp.First*rb, sp.Rows*rb)
	ro := o
	ro.Dim = sp.Width
	ro.Format = dataio.F32
	if sp.Elem == 8 {
		ro.Format = dataio.F64
	}
	r, err := dataio.NewReader(sec, sp.File, ro)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &splitReader{Reader: r, first: sp.First, file: f, name: sp.File}, nil
}

// splitReader numbers the rows of a row range as in the whole file, and
// closes what it opened.
type splitReader struct {
	dataio.Reader
	first   int64
	file    *os.File
	name    string
	local   string // a temporary copy's path, named in errors as name
	cleanup func()
}

func (r *splitReader) Next(b *dataio.Block) error {
	err := r.Reader.Next(b)
	if err == nil {
		b.FirstRow += r.first
		for i := range b.RowNums {
			b.RowNums[i] += r.first
		}
		return nil
	}
	var de *dataio.Error
	if errors.As(err, &de) {
		e := *de
		if e.Row >= 0 {
			e.Row += r.first
		}
		if r.local != "" && e.File == r.local {
			e.File = r.name
		}
		return &e
	}
	return err
}

func (r *splitReader) Close() error {
	err := r.Reader.Close()
	if r.file != nil {
		r.file.Close()
	}
	if r.cleanup != nil {
		r.cleanup()
	}
	return err
}

// renamed puts the original name into a dataio error about a local copy.
func renamed(err error, local, name string) error {
	var de *dataio.Error
	if errors.As(err, &de) && de.File == local {
		e := *de
		e.File = name
		return &e
	}
	return fmt.Errorf("%s: %w", name, err)
}

// fetch copies a remote file into a temporary directory, under its own
// base name (which tells dataio its format and compression).
func fetch(ctx context.Context, path string) (string, func(), error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	defer fs.Close()
	in, err := fs.OpenRead(ctx, path)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	defer in.Close()
	dir, err := os.MkdirTemp("", "clkit-beam-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	local := filepath.Join(dir, filepath.Base(path))
	out, err := os.Create(local)
	if err == nil {
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("%s: copying to a local file: %w", path, err)
	}
	return local, cleanup, nil
}

// ---- the Batch coder: little-endian, values copied in bulk ----

const batchVersion = 1

func encodeBatch(b Batch) []byte {
	var flags byte
	n := 0
	switch {
	case b.X64 != nil:
		flags |= 1
		n = len(b.X64)
	default:
		n = len(b.X32)
	}
	if b.W32 != nil || b.W64 != nil {
		flags |= 2
	}
	size := 64 + len(b.File) + 8*len(b.RowNums) + 8*n + 8*b.Rows
	for _, c := range b.Columns {
		size += 4 + len(c)
	}
	out := make([]byte, 0, size)
	le := binary.LittleEndian
	out = append(out, batchVersion, flags)
	out = appendString(out, b.File)
	out = le.AppendUint32(out, uint32(len(b.Columns)))
	for _, c := range b.Columns {
		out = appendString(out, c)
	}
	out = le.AppendUint64(out, uint64(b.FirstRow))
	out = le.AppendUint64(out, uint64(b.Rows))
	out = le.AppendUint64(out, uint64(n))
	out = le.AppendUint64(out, uint64(len(b.RowNums)))
	out = appendSlice(out, b.RowNums)
	if flags&1 != 0 {
		out = appendSlice(out, b.X64)
		if flags&2 != 0 {
			out = appendSlice(out, b.W64)
		}
	} else {
		out = appendSlice(out, b.X32)
		if flags&2 != 0 {
			out = appendSlice(out, b.W32)
		}
	}
	return out
}

func decodeBatch(data []byte) (Batch, error) {
	d := decoder{b: data}
	var b Batch
	if v := d.byte(); v != batchVersion {
		return b, fmt.Errorf("clkit: batch encoding version %d, want %d", v, batchVersion)
	}
	flags := d.byte()
	b.File = d.string()
	nc := d.uint()
	if nc > uint64(len(data)) {
		return b, errors.New("clkit: corrupt batch")
	}
	if nc > 0 {
		b.Columns = make([]string, nc)
		for i := range b.Columns {
			b.Columns[i] = d.string()
		}
	}
	b.FirstRow = int64(d.u64())
	rows, n, nr := d.u64(), d.u64(), d.u64()
	if d.err != nil || rows > uint64(len(data)) || n > uint64(len(data)) || nr > uint64(len(data)) {
		return b, errors.New("clkit: corrupt batch")
	}
	b.Rows = int(rows)
	if nr > 0 {
		b.RowNums = readSlice[int64](&d, int(nr))
	}
	if flags&1 != 0 {
		b.X64 = readSlice[float64](&d, int(n))
		if flags&2 != 0 {
			b.W64 = readSlice[float64](&d, b.Rows)
		}
	} else {
		b.X32 = readSlice[float32](&d, int(n))
		if flags&2 != 0 {
			b.W32 = readSlice[float32](&d, b.Rows)
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return Batch{}, errors.New("clkit: corrupt batch")
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

type number interface{ ~int64 | ~float32 | ~float64 }

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func appendSlice[T number](b []byte, s []T) []byte {
	if len(s) == 0 {
		return b
	}
	size := int(unsafe.Sizeof(s[0]))
	if littleEndian {
		return append(b, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*size)...)
	}
	for _, v := range s {
		switch x := any(v).(type) {
		case int64:
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		case float32:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		case float64:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	return b
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.err = io.ErrUnexpectedEOF
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) uint() uint64 {
	if v := d.take(4); v != nil {
		return uint64(binary.LittleEndian.Uint32(v))
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) string() string {
	return string(d.take(int(d.uint())))
}

func readSlice[T number](d *decoder, n int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if n > len(d.b)/size {
		d.err = io.ErrUnexpectedEOF
		return nil
	}
	raw := d.take(n * size)
	out := make([]T, n)
	if littleEndian {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), n*size), raw)
		return out
	}
	for i := range out {
		switch p := any(&out[i]).(type) {
		case *int64:
			*p = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		case *float32:
			*p = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		case *float64:
			*p = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	}
	return out
}

func init() {
	beam.RegisterCoder(reflect.TypeOf(Batch{}), encodeBatch, decodeBatch)
	beam.RegisterType(reflect.TypeOf(Split{}))
	register.DoFn3x1[context.Context, string, func(string), error](&matchFn{})
	register.DoFn3x1[context.Context, string, func(Split), error](&splitFn{})
	register.DoFn3x1[context.Context, Split, func(Batch), error](&readFn{})
	register.Emitter1[string]()
	register.Emitter1[Split]()
	register.Emitter1[Batch]()
}

// Sample reads the first rows of the files, in order, in whole blocks until
// it has at least limit rows (the σ estimate of clkit-beam sketch --sigma
// auto, which so takes the same rows from a file as clkit sketch), in the
// precision o asks for, widened to float64, and returns them with the
// number of values a row. It is NewSampler, Rows and Close.
func Sample(ctx context.Context, files []string, o dataio.Options, limit int) (x []float64, d int, err error) {
	sm, err := NewSampler(ctx, files, o)
	if err != nil {
		return nil, 0, err
	}
	defer sm.Close()
	x, err = sm.Rows(limit)
	if err != nil {
		return nil, 0, err
	}
	return x, sm.Dim(), nil
}

// Sampler reads the first rows of files, in order, as Sample does, but in
// steps: NewSampler opens the first file and so learns the number of
// values a row, which the size of the sample may depend on, and Rows then
// reads on from where it is. Each file is opened at most once (a remote
// file is copied to a local temporary file once, and removed when it has
// been read or by Close).
type Sampler struct {
	ctx   context.Context
	files []string
	o     dataio.Options
	next  int           // the index in files of the next file to open
	r     dataio.Reader // the open file; nil when there is none
	b     dataio.Block
	d     int
	x     []float64
}

// NewSampler opens the first of files. Close it when done.
func NewSampler(ctx context.Context, files []string, o dataio.Options) (*Sampler, error) {
	if len(files) == 0 {
		return nil, errors.New("beamsketch: no files to sample")
	}
	s := &Sampler{ctx: ctx, files: files, o: o}
	if err := s.open(); err != nil {
		return nil, err
	}
	s.d = s.r.Dim()
	return s, nil
}

// open opens the next file, which must have rows of d values (unless it
// is the first).
func (s *Sampler) open() error {
	path := s.files[s.next]
	r, err := openSplit(s.ctx, Split{File: path, Whole: true}, s.o)
	if err != nil {
		return err
	}
	s.next++
	if s.d != 0 && r.Dim() != s.d {
		r.Close()
		return &dataio.Error{File: path, Row: -1, Msg: fmt.Sprintf("rows of %d values, but %s has %d", r.Dim(), s.files[0], s.d)}
	}
	s.r, s.b = r, dataio.Block{}
	return nil
}

// Dim is the number of values a row, that of the first file.
func (s *Sampler) Dim() int { return s.d }

// Rows returns the first rows of the files, row-major, reading on in whole
// blocks until there are at least limit of them or the files end: every
// call returns those of the calls before it and more. The slice is the
// Sampler's until the next call.
func (s *Sampler) Rows(limit int) ([]float64, error) {
	d := s.d
	for len(s.x) < limit*d {
		if s.r == nil {
			if s.next == len(s.files) {
				break
			}
			if err := s.open(); err != nil {
				return nil, err
			}
		}
		err := s.r.Next(&s.b)
		if err == io.EOF {
			s.closeFile()
			continue
		}
		if err != nil {
			return nil, err
		}
		b := &s.b
		if b.X32 != nil {
			for _, v := range b.X32[:b.Rows*d] {
				s.x = append(s.x, float64(v))
			}
		} else {
			s.x = append(s.x, b.X64[:b.Rows*d]...)
		}
	}
	return s.x, nil
}

// Close closes the open file (and removes its temporary copy): Rows then
// returns the rows read so far, and reads no more.
func (s *Sampler) Close() error {
	s.next = len(s.files)
	return s.closeFile()
}

func (s *Sampler) closeFile() error {
	if s.r == nil {
		return nil
	}
	err := s.r.Close()
	s.r = nil
	return err
}
