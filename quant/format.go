package quant

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"

	"github.com/clkit/clkit/internal/atomicfile"
	"github.com/clkit/clkit/internal/box"
	"github.com/clkit/clkit/rff"
)

// File format of a quantized Sketch (little-endian), version 1:
//
//	0   magic "CLKQSKCH" (8 bytes)
//	8   version uint16 = 1
//	10  quantizer uint16 = 1: universal 1-bit, dithered, q(t) = sign(cos t) +
//	    i·sign(sin t), bit 1 = sign +1
//	12  law uint8, flags uint8 (bit 1: box present; bit 0, no dither, is
//	    never set), reserved uint16 = 0
//	16  d uint32, m uint32, nsigma uint32 (1 or d), reserved uint32 = 0
//	32  seed uint64, fingerprint uint64 (of the rff frequencies)
//	48  rows uint64, unweighted rows uint64
//	64  Σw of the weighted rows float64, first-harmonic factor float64 = 4/π
//	80  σ: nsigma float64
//	    box (if flag bit 1): per-dimension minima, d float64, then maxima
//	    unweighted +1 counts: cos m uint64, then sin m uint64
//	    weighted Σ w over +1 bits: cos m float64, then sin m float64
//	end crc32 (IEEE) of all preceding bytes, uint32
//
// Ω and ξ are not stored: they are regenerated from (law, d, m, σ, seed)
// by rff and must reproduce the stored fingerprint. The factor is written
// so that a reader needs no knowledge of the quantizer to turn the sums
// into a smooth sketch; this version accepts only 4/π, exactly.
const (
	fileMagic     = "CLKQSKCH"
	formatVersion = 1
	quantUniform1 = 1
	headerSize    = 80
)

// FormatError describes data that cannot be read as a quantized sketch: not
// one, another version, truncated, or corrupt.
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return "quant: sketch data: " + e.Msg }

// MarshalBinary encodes the sketch (format above).
func (s *Sketch) MarshalBinary() ([]byte, error) {
	p := s.p.f.Params()
	m := p.M
	le := binary.LittleEndian
	b := make([]byte, 0, headerSize+8*len(p.Sigma)+16*len(s.box.Lo)+32*m+4)
	b = append(b, fileMagic...)
	b = le.AppendUint16(b, formatVersion)
	b = le.AppendUint16(b, quantUniform1)
	var flags uint8
	if s.box.Known() {
		flags |= 2
	}
	b = append(b, uint8(p.Law), flags, 0, 0)
	b = le.AppendUint32(b, uint32(p.D))
	b = le.AppendUint32(b, uint32(m))
	b = le.AppendUint32(b, uint32(len(p.Sigma)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, p.Seed)
	b = le.AppendUint64(b, s.p.fp)
	b = le.AppendUint64(b, uint64(s.rows))
	b = le.AppendUint64(b, uint64(s.urows))
	b = le.AppendUint64(b, math.Float64bits(s.wsum))
	b = le.AppendUint64(b, math.Float64bits(FirstHarmonic))
	for _, v := range p.Sigma {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	b = box.Append(b, s.box)
	for _, c := range [][]int64{s.cntC, s.cntS} {
		for _, v := range c {
			b = le.AppendUint64(b, uint64(v))
		}
	}
	for _, c := range [][]float64{s.onesC, s.onesS} {
		for _, v := range c {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
	}
	return le.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalBinary decodes data into s. If s already has frequencies with
// the stored fingerprint they are reused; otherwise they are regenerated.
// Every inconsistency is a *FormatError; on error s is unchanged.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	le := binary.LittleEndian
	if len(data) < len(fileMagic) || string(data[:len(fileMagic)]) != fileMagic {
		return &FormatError{"not a clkit quantized sketch (bad magic)"}
	}
	if len(data) < headerSize {
		return &FormatError{fmt.Sprintf("truncated: %d bytes, header alone is %d", len(data), headerSize)}
	}
	if v := le.Uint16(data[8:]); v != formatVersion {
		return &FormatError{fmt.Sprintf("unsupported format version %d (this build reads %d)", v, formatVersion)}
	}
	if q := le.Uint16(data[10:]); q != quantUniform1 {
		return &FormatError{fmt.Sprintf("quantizer %d is not the dithered universal 1-bit quantizer (%d)", q, quantUniform1)}
	}
	law, flags := rff.Law(data[12]), data[13]
	d, m, ns := le.Uint32(data[16:]), le.Uint32(data[20:]), le.Uint32(data[24:])
	if d < 1 || d > rff.MaxD || m < 1 || m > rff.MaxM || (ns != 1 && ns != d) || flags&^2 != 0 ||
		le.Uint16(data[14:]) != 0 || le.Uint32(data[28:]) != 0 {
		return &FormatError{fmt.Sprintf("implausible header (d=%d, m=%d, %d sigmas, flags %#x)", d, m, ns, flags)}
	}
	nbox := 0
	if flags&2 != 0 {
		nbox = 2 * int(d)
	}
	want := headerSize + 8*int(ns) + 8*nbox + 32*int(m) + 4
	if len(data) != want {
		return &FormatError{fmt.Sprintf("size %d bytes, want %d for d=%d, m=%d (truncated or trailing data)", len(data), want, d, m)}
	}
	if got, stored := crc32.ChecksumIEEE(data[:want-4]), le.Uint32(data[want-4:]); got != stored {
		return &FormatError{fmt.Sprintf("checksum mismatch (stored %08x, computed %08x): the data is corrupt", stored, got)}
	}
	if f := math.Float64frombits(le.Uint64(data[72:])); f != FirstHarmonic {
		return &FormatError{fmt.Sprintf("first-harmonic factor %v, want 4/π for this quantizer", f)}
	}
	prm := rff.Params{Law: law, D: int(d), M: int(m), Seed: le.Uint64(data[32:])}
	fp := le.Uint64(data[40:])
	rows, urows := le.Uint64(data[48:]), le.Uint64(data[56:])
	wsum := math.Float64frombits(le.Uint64(data[64:]))
	off := headerSize
	next := func() uint64 { v := le.Uint64(data[off:]); off += 8; return v }
	prm.Sigma = make([]float64, ns)
	for i := range prm.Sigma {
		prm.Sigma[i] = math.Float64frombits(next())
	}
	var bx box.Box
	if nbox > 0 {
		var err error
		if bx, err = box.Decode(data[off:], int(d)); err != nil {
			return &FormatError{"bad bounding box: " + err.Error()}
		}
		off += 8 * nbox
	}
	if rows > math.MaxInt64 || urows > rows {
		return &FormatError{fmt.Sprintf("implausible row counts (%d rows, %d of them unweighted)", rows, urows)}
	}
	if !(wsum >= 0) || math.IsInf(wsum, 0) || (rows == urows && wsum != 0) {
		return &FormatError{fmt.Sprintf("implausible weight %v of %d weighted rows", wsum, rows-urows)}
	}
	cnt := make([]int64, 2*m)
	for i := range cnt {
		v := next()
		if v > urows {
			return &FormatError{fmt.Sprintf("count %d exceeds the %d unweighted rows", v, urows)}
		}
		cnt[i] = int64(v)
	}
	ones := make([]float64, 2*m)
	for i := range ones {
		v := math.Float64frombits(next())
		// Each is a sum of some of the weights in the order Σw sums all
		// of them, so it lies in [0, Σw] exactly (rounding is monotone).
		if !(v >= 0 && v <= wsum) {
			return &FormatError{fmt.Sprintf("weighted sum %v outside [0, Σw = %v]", v, wsum)}
		}
		ones[i] = v
	}
	pl := s.p
	if pl == nil || pl.fp != fp || !pl.f.Params().Equal(prm) {
		f, err := rff.NewFrequencies(prm)
		if err != nil {
			return &FormatError{"bad parameters: " + err.Error()}
		}
		if f.Fingerprint() != fp {
			return &FormatError{fmt.Sprintf("frequencies regenerated from the parameters have fingerprint %016x, file says %016x", f.Fingerprint(), fp)}
		}
		if pl, err = newPlan(f); err != nil {
			return &FormatError{err.Error()}
		}
	}
	k := s.k
	if k.count32 == nil {
		k = kernels[0]
	}
	*s = Sketch{p: pl, k: k, cntC: cnt[:m:m], cntS: cnt[m:], onesC: ones[:m:m], onesS: ones[m:],
		urows: int64(urows), rows: int64(rows), wsum: wsum, box: bx}
	return nil
}

// WriteFile writes the sketch to path atomically: to a temporary file in the
// same directory, synced, then renamed over path. A crash leaves either the
// old file or the new one, never half of it.
func (s *Sketch) WriteFile(path string) error {
	b, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, b)
}

// ReadFile reads a sketch written by WriteFile (or MarshalBinary). Errors
// name the file.
func ReadFile(path string) (*Sketch, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := new(Sketch)
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
