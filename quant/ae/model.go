package ae

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/clkit/clkit/nn"
)

// Model is a 1-bit autoencoder: the encoder c = sign(Bx) ∈ {±1}^N for
// x ∈ R^D, and a decoder, one of
//
//	linear     x̂ = A c (+ β with an affine decoder)
//	denoised   x̂ = f(A c + β), f coordinate-wise: the Bayes posterior mean
//	           for Bernoulli-Gaussian data (BayesBG) or a learned network
//	deep       the denoised estimate refined by blocks (ours, see Block)
//
// A Model is read-only once made: Encode and Decode may run in several
// goroutines at once.
type Model struct {
	d, n   int
	tie    Tie
	b, bt  []float32        // N×D with unit rows, and its transpose
	a, at  []float32        // D×N, and its transpose
	bias   []float32        // D, nil for a linear decoder
	bayes  []BayesBG        // one for every coordinate, or D, one each
	f      *nn.Net[float32] // learned denoiser, 1 → 1
	blocks []Block
	k      kernel
	pool   sync.Pool // *work
}

// NewModel makes a linear (bias nil) or affine decoder's model from its
// matrices, copied: b is N×D (rows are scaled to unit norm, which does not
// change the code; none may be zero), a is D×N, bias D values or nil.
func NewModel(d, n int, tie Tie, b, a, bias []float32) (*Model, error) {
	if d < 1 || n < 1 {
		return nil, fmt.Errorf("ae: model of D = %d, N = %d", d, n)
	}
	if tie != TiePlus && tie != TieZero {
		return nil, fmt.Errorf("ae: unknown tie %d", int(tie))
	}
	if len(b) != n*d || len(a) != d*n || (bias != nil && len(bias) != d) {
		return nil, fmt.Errorf("ae: matrices of %d, %d and %d values for D = %d, N = %d", len(b), len(a), len(bias), d, n)
	}
	for _, v := range [][]float32{b, a, bias} {
		for i, x := range v {
			if !(math.Abs(float64(x)) <= math.MaxFloat32) {
				return nil, fmt.Errorf("ae: non-finite parameter %v at %d", x, i)
			}
		}
	}
	b64 := to64(b)
	for i := range n {
		if dot(b64[i*d:(i+1)*d], b64[i*d:(i+1)*d]) == 0 {
			return nil, fmt.Errorf("ae: encoder row %d is zero", i)
		}
	}
	normalizeRows(b64, n, d)
	m := &Model{d: d, n: n, tie: tie, a: slices.Clone(a), bias: slices.Clone(bias), k: kernels[0]}
	m.b = to32(b64)
	m.bt, m.at = transpose(m.b, n, d), transpose(m.a, d, n)
	return m, nil
}

// newModel is NewModel from float64 matrices (B already has unit rows).
func newModel(d, n int, tie Tie, b, a, bias []float64) (*Model, error) {
	return NewModel(d, n, tie, to32(b), to32(a), to32(bias))
}

func to32(v []float64) []float32 { return convert[float32](v) }
func to64(v []float32) []float64 { return convert[float64](v) }

// D is the input dimension, N the number of code bits, Rate N/D.
func (m *Model) D() int        { return m.d }
func (m *Model) N() int        { return m.n }
func (m *Model) Rate() float64 { return float64(m.n) / float64(m.d) }

// Tie is the value the encoder gives sign(0).
func (m *Model) Tie() Tie { return m.tie }

// Encoder returns a copy of B (N×D, unit rows).
func (m *Model) Encoder() []float32 { return slices.Clone(m.b) }

// Decoder returns copies of A (D×N) and of the bias (nil if linear).
func (m *Model) Decoder() (a, bias []float32) { return slices.Clone(m.a), slices.Clone(m.bias) }

// Kind names the decoder: "linear", "affine", "bayes" (closed-form
// denoiser), "denoised" (learned denoiser) or "deep".
func (m *Model) Kind() string {
	switch {
	case len(m.blocks) > 0:
		return "deep"
	case m.f != nil:
		return "denoised"
	case m.bayes != nil:
		return "bayes"
	case m.bias != nil:
		return "affine"
	}
	return "linear"
}

// Bayes returns the closed-form denoisers, if the model has them: one for
// every coordinate, or D, coordinate i's at i.
func (m *Model) Bayes() ([]BayesBG, bool) {
	if m.bayes == nil {
		return nil, false
	}
	return slices.Clone(m.bayes), true
}

// clone is a shallow copy sharing the (read-only) matrices and nets.
func (m *Model) clone() *Model {
	return &Model{d: m.d, n: m.n, tie: m.tie, b: m.b, bt: m.bt, a: m.a, at: m.at, bias: m.bias,
		bayes: m.bayes, f: m.f, blocks: m.blocks, k: m.k}
}

// WithBayes returns the model with the closed-form Bayes denoiser f after
// its linear estimate, in place of any learned one: f for every
// coordinate, right for a random rotation's even channels.
func (m *Model) WithBayes(f BayesBG) (*Model, error) {
	return m.withBayes([]BayesBG{f})
}

// WithBayesChannels is WithBayes with coordinate i's denoiser built for
// its own channel ch[i] (D channels, from EstimateChannels or
// PopulationReport.Channels): the Bayes denoiser of an encoder trained by
// gradient descent.
func (m *Model) WithBayesChannels(p float64, ch []Channel) (*Model, error) {
	if len(ch) != m.d {
		return nil, fmt.Errorf("ae: %d channels for D = %d coordinates", len(ch), m.d)
	}
	fs := make([]BayesBG, len(ch))
	for i, c := range ch {
		fs[i] = BayesBG{P: p, Channel: c}
	}
	return m.withBayes(fs)
}

func (m *Model) withBayes(fs []BayesBG) (*Model, error) {
	for i, f := range fs {
		if err := f.validate(); err != nil {
			if len(fs) == 1 {
				return nil, err
			}
			return nil, fmt.Errorf("coordinate %d: %w", i, err)
		}
	}
	c := m.clone()
	c.bayes, c.f, c.blocks = fs, nil, nil
	return c, nil
}

// SetKernel selects the bit kernels by name ("auto" or one of Kernels());
// every kernel gives the same codes and values. For benchmarks and
// cross-checks; not safe while the model is in use.
func (m *Model) SetKernel(name string) error {
	k, ok := lookupKernel(name)
	if !ok {
		return fmt.Errorf("ae: kernel %q not usable here (have %v)", name, Kernels())
	}
	m.k = k
	return nil
}

// Kernel is the name of the bit kernels in use.
func (m *Model) Kernel() string { return m.k.name }

// Codes are the packed codes of a block of rows: row r's bit j in word
// r·Words() + j/64 at bit j%64 (byte j/8, bit j%8 of the little-endian
// words: numpy's packbits(..., bitorder="little") of c > 0), 1 for +1
// (and for 0 under TiePlus). Bits past N are 0.
type Codes struct {
	Rows, Bits int
	Sign       []uint64
	// Support is the second plane of a ternary code (TieZero): bit j is 1
	// when (Bx)_j ≠ 0, and c_j = 0 where it is 0 (whatever Sign says);
	// nil for TiePlus.
	Support []uint64
}

// Words is the number of uint64 words of one row's code, ⌈Bits/64⌉.
func (c *Codes) Words() int { return words(c.Bits) }

// ErrBadCodes is wrapped by the errors Decode returns for malformed codes.
var ErrBadCodes = errors.New("ae: malformed codes")

func (m *Model) checkCodes(c *Codes) error {
	if c == nil || c.Bits != m.n || c.Rows < 0 {
		return fmt.Errorf("%w: want codes of %d bits", ErrBadCodes, m.n)
	}
	w := c.Words()
	if len(c.Sign) != c.Rows*w {
		return fmt.Errorf("%w: %d words for %d rows of %d", ErrBadCodes, len(c.Sign), c.Rows, w)
	}
	if (m.tie == TieZero) != (c.Support != nil) || (c.Support != nil && len(c.Support) != len(c.Sign)) {
		return fmt.Errorf("%w: a %s-tie model needs the support plane exactly when ternary", ErrBadCodes, m.tie)
	}
	if pad := m.n % 64; pad != 0 {
		mask := ^uint64(0) << pad
		for r := range c.Rows {
			if c.Sign[r*w+w-1]&mask != 0 || (c.Support != nil && c.Support[r*w+w-1]&mask != 0) {
				return fmt.Errorf("%w: row %d has bits set past bit %d", ErrBadCodes, r, m.n)
			}
		}
	}
	return nil
}

// blockRows is the number of rows per GEMM call: a multiple of every
// microkernel's MR (12, 6, 8, 4), small enough that a block of outputs
// stays in L2 for the bit kernel.
const blockRows = 96

// work is one call's scratch.
type work struct {
	y  []float32 // blockRows×max(N, D)
	ws decodeWork
}

func (m *Model) getWork() *work {
	if w, ok := m.pool.Get().(*work); ok {
		return w
	}
	return &work{y: make([]float32, blockRows*max(m.n, m.d))}
}

// RowError reports a bad input row: its index (0-based, within the block
// given), the column (−1 if no single value is at fault) and what is wrong.
type RowError struct {
	Row, Col int
	Msg      string
}

func (e *RowError) Error() string {
	if e.Col < 0 {
		return fmt.Sprintf("ae: row %d: %s", e.Row, e.Msg)
	}
	return fmt.Sprintf("ae: row %d, column %d: %s", e.Row, e.Col, e.Msg)
}

// checkRows refuses NaN and infinite values.
func checkRows(x []float32, d int) error {
	for i, v := range x {
		if !(v <= math.MaxFloat32 && v >= -math.MaxFloat32) {
			return &RowError{Row: i / d, Col: i % d, Msg: fmt.Sprintf("%v is not finite", v)}
		}
	}
	return nil
}

// badRow explains why a block of rows projected to a non-finite value:
// a non-finite input, or one so large that Bx overflows float32.
func (m *Model) badRow(x []float32, first int) error {
	if err := checkRows(x, m.d); err != nil {
		err.(*RowError).Row += first
		return err
	}
	for r := range len(x) / m.d {
		y := make([]float32, m.n)
		nn.Gemm(false, false, 1, m.n, m.d, 1, x[r*m.d:(r+1)*m.d], m.d, m.bt, m.n, 0, y, m.n)
		if checkRows(y, m.n) != nil {
			return &RowError{Row: first + r, Col: -1, Msg: "values so large that Bx overflows float32"}
		}
	}
	return &RowError{Row: first, Col: -1, Msg: "Bx is not finite"} // not reached
}

// Encode returns the codes of the rows of x (row-major, len(x) a multiple
// of D). NaN or infinite values, or values so large that Bx overflows,
// give a *RowError.
func (m *Model) Encode(x []float32) (*Codes, error) {
	if len(x)%m.d != 0 {
		return nil, fmt.Errorf("ae: %d values are not rows of %d", len(x), m.d)
	}
	rows := len(x) / m.d
	c := &Codes{Rows: rows, Bits: m.n, Sign: make([]uint64, rows*words(m.n))}
	if m.tie == TieZero {
		c.Support = make([]uint64, len(c.Sign))
	}
	return c, m.EncodeTo(x, c)
}

// EncodeTo writes the codes of the rows of x into c, whose Rows, Bits and
// planes must fit them (as Encode makes them). After an error (a
// *RowError) c holds codes of some rows and not of others.
//
// The input is not scanned: the sign kernel reports whether every Bx was
// finite, which a NaN or infinite input coordinate always spoils, and
// only then are the block's rows examined for the error message.
func (m *Model) EncodeTo(x []float32, c *Codes) error {
	if c == nil {
		return fmt.Errorf("%w: nil codes to encode %d values into", ErrBadCodes, len(x))
	}
	if len(x)%m.d != 0 || c.Rows*m.d != len(x) {
		return fmt.Errorf("ae: %d values for codes of %d rows of %d", len(x), c.Rows, m.d)
	}
	if err := m.checkCodes(c); err != nil {
		return err
	}
	w := m.getWork()
	defer m.pool.Put(w)
	d, n, W := m.d, m.n, c.Words()
	for r0 := 0; r0 < c.Rows; r0 += blockRows {
		rows := min(blockRows, c.Rows-r0)
		y := w.y[:rows*n]
		nn.Gemm(false, false, rows, n, d, 1, x[r0*d:(r0+rows)*d], d, m.bt, n, 0, y, n)
		if !m.k.packSign(y, rows, n, c.Sign[r0*W:(r0+rows)*W]) {
			return m.badRow(x[r0*d:(r0+rows)*d], r0)
		}
		if c.Support != nil {
			m.k.packNonzero(y, rows, n, c.Support[r0*W:(r0+rows)*W])
		}
	}
	return nil
}

// Decode returns the decoded rows (c.Rows×D, row-major).
func (m *Model) Decode(c *Codes) ([]float32, error) {
	if err := m.checkCodes(c); err != nil {
		return nil, err
	}
	out := make([]float32, c.Rows*m.d)
	m.decodeTo(c, out)
	return out, nil
}

// DecodeTo writes the decoded rows into out (c.Rows×D values).
func (m *Model) DecodeTo(c *Codes, out []float32) error {
	if err := m.checkCodes(c); err != nil {
		return err
	}
	if len(out) != c.Rows*m.d {
		return fmt.Errorf("ae: output of %d values for %d rows of %d", len(out), c.Rows, m.d)
	}
	m.decodeTo(c, out)
	return nil
}

// decodeTo is DecodeTo on codes checked and an output of the right size.
func (m *Model) decodeTo(c *Codes, out []float32) {
	w := m.getWork()
	defer m.pool.Put(w)
	d, n, W := m.d, m.n, c.Words()
	for r0 := 0; r0 < c.Rows; r0 += blockRows {
		rows := min(blockRows, c.Rows-r0)
		s := w.y[:rows*n]
		if c.Support == nil {
			m.k.unpack(c.Sign[r0*W:(r0+rows)*W], rows, n, s)
		} else {
			m.k.unpackTernary(c.Sign[r0*W:(r0+rows)*W], c.Support[r0*W:(r0+rows)*W], rows, n, s)
		}
		m.decodeSigns(s, rows, out[r0*d:(r0+rows)*d], &w.ws)
	}
}

// decodeSigns decodes rows codes given as values (±1, or 0 for TieZero's
// zeros), rows×N, into out (rows×D).
func (m *Model) decodeSigns(s []float32, rows int, out []float32, ws *decodeWork) {
	d, n := m.d, m.n
	nn.Gemm(false, false, rows, d, n, 1, s, n, m.at, d, 0, out, d)
	if m.bias != nil {
		for r := range rows {
			o := out[r*d : (r+1)*d]
			for i, b := range m.bias {
				o[i] += b
			}
		}
	}
	switch {
	case m.f != nil:
		denoiseTo(m.f, &ws.f, out, out)
	case m.bayes != nil:
		applyBayes(m.bayes, out)
	}
	for t := range m.blocks {
		m.blocks[t].forward(m, s, out, rows, ws, t)
	}
}

// MSE is the mean squared error per coordinate of encoding and decoding
// the rows of x, (1/(rows·D))·Σ‖x − x̂‖².
func (m *Model) MSE(x []float32) (float64, error) {
	c, err := m.Encode(x)
	if err != nil {
		return 0, err
	}
	xh, err := m.Decode(c)
	if err != nil {
		return 0, err
	}
	return mse(x, xh), nil
}

func mse(x, xh []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for i, v := range x {
		e := float64(v) - float64(xh[i])
		s += e * e
	}
	return s / float64(len(x))
}
