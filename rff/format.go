package rff

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"

	"github.com/clkit/clkit/internal/atomicfile"
	"github.com/clkit/clkit/internal/box"
)

// File format of a Sketch (little-endian), version 2:
//
//	0   magic "CLKSKTCH" (8 bytes)
//	8   version uint16 = 2 (1 is read too: no box, flag bit 1 never set)
//	10  kind uint16 = 1 (complex-exponential sketch; other kinds are other packages')
//	12  law uint8, flags uint8 (bit 0: no dither, bit 1: box present), reserved uint16 = 0
//	16  d uint32, m uint32, nsigma uint32 (1 or d), reserved uint32 = 0
//	32  seed uint64, fingerprint uint64
//	48  rows uint64, Σw float64
//	64  σ: nsigma float64
//	    box (if flag bit 1): per-dimension minima, d float64, then maxima
//	    Σ w·cos: m float64, then Σ w·sin: m float64
//	end crc32 (IEEE) of all preceding bytes, uint32
//
// Ω and ξ are not stored: they are regenerated from (law, d, m, σ, seed,
// flags) and must reproduce the stored fingerprint.
const (
	sketchMagic   = "CLKSKTCH"
	formatVersion = 2
	kindComplex   = 1
	headerSize    = 64
)

// FormatError describes a sketch file that cannot be read: not a sketch,
// another version, truncated, or corrupt.
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return "rff: sketch data: " + e.Msg }

// MarshalBinary encodes the sketch (format above).
func (s *Sketch) MarshalBinary() ([]byte, error) {
	p := s.freq.p
	if p.Law == Custom {
		return nil, fmt.Errorf("rff: a sketch over custom frequencies cannot be written (its file would not know Ω)")
	}
	m := p.M
	b := make([]byte, 0, headerSize+8*len(p.Sigma)+16*len(s.box.Lo)+16*m+4)
	le := binary.LittleEndian
	b = append(b, sketchMagic...)
	b = le.AppendUint16(b, formatVersion)
	b = le.AppendUint16(b, kindComplex)
	var flags uint8
	if p.NoDither {
		flags |= 1
	}
	if s.box.Known() {
		flags |= 2
	}
	b = append(b, uint8(p.Law), flags, 0, 0)
	b = le.AppendUint32(b, uint32(p.D))
	b = le.AppendUint32(b, uint32(m))
	b = le.AppendUint32(b, uint32(len(p.Sigma)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, p.Seed)
	b = le.AppendUint64(b, s.freq.fp)
	b = le.AppendUint64(b, uint64(s.rows))
	b = le.AppendUint64(b, math.Float64bits(s.sumW))
	for _, v := range p.Sigma {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	b = box.Append(b, s.box)
	for _, v := range s.sumC[:m] {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	for _, v := range s.sumS[:m] {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	return le.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalBinary decodes data into s. If s already has frequencies with
// the stored fingerprint they are reused; otherwise they are regenerated.
// On error s is unchanged.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	le := binary.LittleEndian
	if len(data) < len(sketchMagic) || string(data[:len(sketchMagic)]) != sketchMagic {
		return &FormatError{"not a clkit sketch (bad magic)"}
	}
	if len(data) < headerSize {
		return &FormatError{fmt.Sprintf("truncated: %d bytes, header alone is %d", len(data), headerSize)}
	}
	version := le.Uint16(data[8:])
	if version != 1 && version != formatVersion {
		return &FormatError{fmt.Sprintf("unsupported format version %d (this build reads 1 and %d)", version, formatVersion)}
	}
	if k := le.Uint16(data[10:]); k != kindComplex {
		return &FormatError{fmt.Sprintf("sketch kind %d is not a complex-exponential sketch (kind %d)", k, kindComplex)}
	}
	law, flags := Law(data[12]), data[13]
	d, m, ns := le.Uint32(data[16:]), le.Uint32(data[20:]), le.Uint32(data[24:])
	knownFlags := uint8(3)
	if version == 1 {
		knownFlags = 1
	}
	if d < 1 || d > MaxD || m < 1 || m > MaxM || (ns != 1 && ns != d) || flags&^knownFlags != 0 {
		return &FormatError{fmt.Sprintf("implausible header (d=%d, m=%d, %d sigmas, flags %#x)", d, m, ns, flags)}
	}
	nbox := 0
	if flags&2 != 0 {
		nbox = 2 * int(d)
	}
	want := headerSize + 8*int(ns) + 8*nbox + 16*int(m) + 4
	if len(data) != want {
		return &FormatError{fmt.Sprintf("size %d bytes, want %d for d=%d, m=%d (truncated or trailing data)", len(data), want, d, m)}
	}
	body := data[:want-4]
	if got, stored := crc32.ChecksumIEEE(body), le.Uint32(data[want-4:]); got != stored {
		return &FormatError{fmt.Sprintf("checksum mismatch (stored %08x, computed %08x): the data is corrupt", stored, got)}
	}
	p := Params{Law: law, D: int(d), M: int(m), Seed: le.Uint64(data[32:]), NoDither: flags&1 != 0}
	fp := le.Uint64(data[40:])
	rows := le.Uint64(data[48:])
	sumW := math.Float64frombits(le.Uint64(data[56:]))
	off := headerSize
	f64 := func() float64 { v := math.Float64frombits(le.Uint64(data[off:])); off += 8; return v }
	p.Sigma = make([]float64, ns)
	for i := range p.Sigma {
		p.Sigma[i] = f64()
	}
	var bx box.Box
	if nbox > 0 {
		var err error
		if bx, err = box.Decode(data[off:], int(d)); err != nil {
			return &FormatError{"bad bounding box: " + err.Error()}
		}
		off += 8 * nbox
	}
	c, sn := make([]float64, m), make([]float64, m)
	for i := range c {
		c[i] = f64()
	}
	for i := range sn {
		sn[i] = f64()
	}
	for _, v := range append(append([]float64{sumW}, c...), sn...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &FormatError{"non-finite sum"}
		}
	}
	if rows > math.MaxInt64 || sumW < 0 {
		return &FormatError{"implausible row count or weight"}
	}
	f := s.freq
	if f == nil || f.fp != fp || !f.p.Equal(p) {
		var err error
		if f, err = NewFrequencies(p); err != nil {
			return &FormatError{"bad parameters: " + err.Error()}
		}
		if f.fp != fp {
			return &FormatError{fmt.Sprintf("frequencies regenerated from the parameters have fingerprint %016x, file says %016x", f.fp, fp)}
		}
	}
	k := s.k
	if k.f32 == nil {
		k = kernels[0]
	}
	*s = Sketch{freq: f, k: k, sumC: make([]float64, f.mp), sumS: make([]float64, f.mp), sumW: sumW, rows: int64(rows), box: bx}
	copy(s.sumC, c)
	copy(s.sumS, sn)
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
