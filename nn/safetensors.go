package nn

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"
)

// The safetensors format (github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON
//
//	{"__metadata__": {"k": "v", …}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, …}
//
// padded with spaces, then the tensors' little-endian bytes, back to back.
// Offsets count from the end of the header.

// DType is a safetensors element type; nn reads and writes F32 and F64.
type DType string

const (
	F32 DType = "F32"
	F64 DType = "F64"
)

func (d DType) size() int {
	switch d {
	case F32:
		return 4
	case F64:
		return 8
	}
	return 0
}

// Tensor is one named array of a safetensors file; its data is in F32 or
// F64, according to DType, row-major.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	F32   []float32
	F64   []float64
}

// maxHeader is the reference implementation's bound on N.
const maxHeader = 100_000_000

const metaKey = "__metadata__"

// numel is the product of shape, or -1 if a dimension is negative or the
// product overflows an int.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || d > 0 && n > math.MaxInt/d {
			return -1
		}
		n *= d
	}
	return n
}

func (t *Tensor) dataLen() int {
	if t.DType == F32 {
		return len(t.F32)
	}
	return len(t.F64)
}

// WriteSafetensors writes the tensors, in order, and the metadata (which
// may be nil) in the safetensors format.
func WriteSafetensors(w io.Writer, tensors []Tensor, meta map[string]string) error {
	var h bytes.Buffer
	h.WriteByte('{')
	if len(meta) > 0 {
		h.WriteString(`"__metadata__":`)
		b, err := json.Marshal(meta) // keys sorted: the same input gives the same bytes
		if err != nil {
			return fmt.Errorf("safetensors: metadata: %w", err)
		}
		h.Write(b)
	}
	seen := make(map[string]bool, len(tensors))
	off := 0
	for i := range tensors {
		t := &tensors[i]
		switch {
		case t.Name == "" || t.Name == metaKey:
			return fmt.Errorf("safetensors: tensor %d has the reserved name %q", i, t.Name)
		case seen[t.Name]:
			return fmt.Errorf("safetensors: two tensors named %q", t.Name)
		case t.DType != F32 && t.DType != F64:
			return fmt.Errorf("safetensors: tensor %q: dtype %q, want F32 or F64", t.Name, t.DType)
		case t.DType == F32 && t.F64 != nil || t.DType == F64 && t.F32 != nil:
			return fmt.Errorf("safetensors: tensor %q: data in the other field than its dtype %s", t.Name, t.DType)
		}
		if n := numel(t.Shape); n < 0 || n != t.dataLen() {
			return fmt.Errorf("safetensors: tensor %q: shape %v for %d values", t.Name, t.Shape, t.dataLen())
		}
		seen[t.Name] = true
		if h.Len() > 1 {
			h.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name)
		shape, _ := json.Marshal(append([]int{}, t.Shape...)) // [] rather than null for scalars
		end := off + t.dataLen()*t.DType.size()
		fmt.Fprintf(&h, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, t.DType, shape, off, end)
		off = end
	}
	h.WriteByte('}')
	for (h.Len())%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > maxHeader {
		return fmt.Errorf("safetensors: header of %d bytes exceeds the format's %d", h.Len(), maxHeader)
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(h.Len()))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(h.Bytes()); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	flush := func() error {
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for i := range tensors {
		t := &tensors[i]
		for _, v := range t.F32 {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		for _, v := range t.F64 {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			if len(buf) == cap(buf) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

type tensorInfo struct {
	Tensor
	begin, end uint64
	order      int
}

// ReadSafetensors reads a whole safetensors stream, strictly: the header
// must be valid UTF-8 JSON without duplicate or unknown keys, every tensor
// F32 or F64 with a byte range that matches its shape, and the ranges must
// tile the data exactly, with nothing after it. It returns the tensors in
// file order and the metadata (nil if there is none). Memory grows with
// the bytes actually read, so a lying header cannot make it allocate much.
func ReadSafetensors(r io.Reader) ([]Tensor, map[string]string, error) {
	var nb [8]byte
	if _, err := io.ReadFull(r, nb[:]); err != nil {
		return nil, nil, fmt.Errorf("safetensors: reading the header length: %w", eofIsUnexpected(err))
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n < 2 || n > maxHeader {
		return nil, nil, fmt.Errorf("safetensors: header length %d outside [2, %d]", n, maxHeader)
	}
	header, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: reading the header: %w", err)
	}
	if uint64(len(header)) != n {
		return nil, nil, fmt.Errorf("safetensors: truncated: header of %d bytes announced, %d present", n, len(header))
	}
	infos, meta, err := parseHeader(header)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %w", err)
	}
	slices.SortStableFunc(infos, func(a, b tensorInfo) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	var total uint64
	for i := range infos {
		t := &infos[i]
		if t.begin != total {
			if t.begin < total {
				return nil, nil, fmt.Errorf("safetensors: tensor %q (bytes %d–%d) overlaps the one before (ending at %d)", t.Name, t.begin, t.end, total)
			}
			return nil, nil, fmt.Errorf("safetensors: gap in the data before tensor %q (bytes %d–%d, previous end %d)", t.Name, t.begin, t.end, total)
		}
		total = t.end
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(min(total, math.MaxInt64-1))+1))
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: reading the data: %w", err)
	}
	if uint64(len(data)) < total {
		return nil, nil, fmt.Errorf("safetensors: truncated: %d bytes of data announced, %d present", total, len(data))
	}
	if uint64(len(data)) > total {
		return nil, nil, fmt.Errorf("safetensors: trailing bytes after the %d bytes of data", total)
	}
	out := make([]Tensor, len(infos))
	for i := range infos {
		t := infos[i].Tensor
		b := data[infos[i].begin:infos[i].end]
		if t.DType == F32 {
			t.F32 = make([]float32, len(b)/4)
			for j := range t.F32 {
				t.F32[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			}
		} else {
			t.F64 = make([]float64, len(b)/8)
			for j := range t.F64 {
				t.F64[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*j:]))
			}
		}
		out[i] = t
	}
	return out, meta, nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseHeader walks the JSON by tokens, so duplicate keys (which
// encoding/json would silently merge) are errors.
func parseHeader(h []byte) ([]tensorInfo, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("not valid UTF-8")
	}
	if h[0] != '{' {
		return nil, nil, errors.New("does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	var infos []tensorInfo
	var meta map[string]string
	err := object(dec, func(key string) error {
		if key == metaKey {
			meta = map[string]string{}
			return object(dec, func(k string) error {
				var v string
				if err := decodeStrict(dec, &v); err != nil {
					return fmt.Errorf("metadata %q: %w", k, err)
				}
				meta[k] = v
				return nil
			})
		}
		if key == "" {
			return errors.New("a tensor with an empty name")
		}
		t, err := tensorEntry(dec)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", key, err)
		}
		t.Name, t.order = key, len(infos)
		infos = append(infos, t)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// Only the padding may follow the object.
	if rest := bytes.TrimRight(h[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, nil, fmt.Errorf("%d bytes after the JSON object", len(rest))
	}
	return infos, meta, nil
}

// object reads a JSON object from dec, calling each(key) to read each value
// and failing on a repeated key.
func object(dec *json.Decoder, each func(key string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want an object, found %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("want a key, found %v", tok)
		}
		if seen[key] {
			return fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		if err := each(key); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing brace; the decoder checks the syntax
	return err
}

// decodeStrict decodes one value into v, refusing null (which
// encoding/json would accept as "leave unchanged").
func decodeStrict(dec *json.Decoder, v any) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	if string(raw) == "null" {
		return errors.New("null")
	}
	return json.Unmarshal(raw, v)
}

func tensorEntry(dec *json.Decoder) (tensorInfo, error) {
	var t tensorInfo
	var shape, offs []*uint64 // pointers, so that a null element is seen
	var dtype string
	have := 0
	err := object(dec, func(key string) error {
		switch key {
		case "dtype":
			have |= 1
			return decodeStrict(dec, &dtype)
		case "shape":
			have |= 2
			return decodeStrict(dec, &shape)
		case "data_offsets":
			have |= 4
			return decodeStrict(dec, &offs)
		}
		return fmt.Errorf("unknown key %q", key)
	})
	if err != nil {
		return t, err
	}
	if have != 7 {
		return t, errors.New("want dtype, shape and data_offsets")
	}
	t.DType = DType(dtype)
	size := t.DType.size()
	if size == 0 {
		return t, fmt.Errorf("dtype %q: only F32 and F64 are supported", dtype)
	}
	if len(offs) != 2 || offs[0] == nil || offs[1] == nil || *offs[0] > *offs[1] {
		return t, errors.New("data_offsets must be [begin, end] with begin ≤ end")
	}
	t.begin, t.end = *offs[0], *offs[1]
	t.Shape = make([]int, len(shape))
	for i, d := range shape {
		if d == nil || *d > math.MaxInt {
			return t, errors.New("shape: want an array of non-negative integers")
		}
		t.Shape[i] = int(*d)
	}
	ne := numel(t.Shape)
	if ne < 0 || uint64(ne) > (t.end-t.begin)/uint64(size) || uint64(ne)*uint64(size) != t.end-t.begin {
		return t, fmt.Errorf("shape %v of %s does not fill data_offsets [%d, %d] (%d bytes)", t.Shape, dtype, t.begin, t.end, t.end-t.begin)
	}
	return t, nil
}
