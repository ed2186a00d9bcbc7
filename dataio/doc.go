// Package dataio streams the rows of large data sets, in blocks, from
// Parquet, .npy, CSV/TSV and raw float files or standard input, for the
// sketches of package rff (clkit sketch) and other one-pass consumers.
//
// Start with Open and a loop over Next:
//
//	r, err := dataio.Open("data.parquet", dataio.Options{Columns: []string{"x", "y"}})
//	if err != nil { … }
//	defer r.Close()
//	var b dataio.Block
//	for {
//		err := r.Next(&b)
//		if err == io.EOF {
//			break
//		}
//		if err != nil { … } // an *Error: file, row, line, column
//		sk.AddParallelF32(b.X32, b.W32, 0) // b.Rows rows of r.Dim() values
//	}
//
// Blocks are row-major float32 (X32, W32) unless Options.Float64 asks for
// float64 (X64, W64), converted once from the stored FLOAT, DOUBLE, INT32 or
// INT64 values, so they go to the sketch kernels with no further copy.
// Weights (Options.Weights) come apart from X, in the same precision; they
// are checked to be finite and non-negative.
//
// Each reader works a block ahead in its own goroutine, so reading overlaps
// the caller's computing, and Next hands over the block by exchanging
// buffers with the caller's Block. Memory is bounded whatever the size of
// the data: a few blocks of at most DefaultBlockRows rows (or about 4 MiB)
// plus, for CSV, a few 1 MiB chunks per worker, and for Parquet one page
// per column.
//
// Row numbers: Block.FirstRow and Block.Row(i), and Error.Row, are 0-based
// numbers of data rows in the source, counting rows that were skipped (a
// CSV header is not a row). Errors in text files also give Error.Line, the
// 1-based line where the row starts.
//
// Formats:
//
//   - Parquet (.parquet, .pq): columns chosen by name (nested ones as
//     "a.b"), read column-wise page by page into typed buffers; any
//     compression parquet-go reads (snappy, zstd, gzip, lz4, brotli) and
//     dictionary encoding. Unsigned integer columns are read as unsigned;
//     DECIMAL columns are scaled. A row with a null in a read column is
//     skipped and counted (Reader.Skipped), or an error with Strict.
//     Parquet needs random access: it cannot be read from stdin or a pipe.
//   - .npy: float32 or float64, little-endian, C order; shape (n, d) is n
//     rows of d values (more dimensions are flattened), (n,) is n rows of
//     one value or, with Options.Dim, n/Dim rows of Dim values. The file is
//     streamed, never loaded whole; a truncated file is an error naming the
//     row where its data ends (at Open for a regular file).
//   - CSV (.csv) and TSV (.tsv, .tab): a header line with the column names
//     unless NoHeader (then columns are named 0, 1, …); columns chosen by
//     name or 0-based index. Text is cut into chunks at newlines outside
//     quotes and parsed by Options.Workers goroutines; quoted fields,
//     including ones holding delimiters or newlines, are handled (the
//     quotes are counted from the start of the stream, as RFC 4180 has
//     them; a quote inside an unquoted field is an error). Blank lines are
//     skipped, CRLF line ends and a UTF-8 byte order mark are accepted, and
//     spaces around numbers are ignored. An empty cell in a read column is
//     a missing value: the row is skipped and counted, or an error with
//     Strict. A record with too few or too many fields, a cell that does
//     not parse as a number, or NaN/Inf, is an error.
//   - raw little-endian float32 (.f32) or float64 (.f64) with Options.Dim
//     values a row (.raw and .bin need the format given); a partial last
//     row is an error. Npy and raw columns are chosen by 0-based index.
//
// Every format but Parquet streams: Open("-", o) or NewReader(r, name, o)
// read standard input or any io.Reader (Options.Format is then required).
//
// Values of X are not checked for NaN or Inf in the binary formats:
// rff.Sketch rejects them, naming the block row and column, which
// Block.Row and Reader.Columns turn into the source's.
package dataio
