package quant

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clkit/clkit/rff"
)

// sampleSketch has both parts: unweighted counts and weighted sums.
func sampleSketch(t testing.TB) *Sketch {
	f := mustFreq(t, rff.Params{Law: rff.AdaptedRadius, D: 4, M: 37, Sigma: []float64{0.5, 1, 2, 4}, Seed: 99})
	s, err := NewSketch(f)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	_, x := randRows(r, 500, 4, 1)
	_, w := randWeights(r, 200)
	if err := s.AddF64(x, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddF64(x[:800], w); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFormatRoundTrip(t *testing.T) {
	s := sampleSketch(t)
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var fresh Sketch
	if err := fresh.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !sameSketch(s, &fresh) || fresh.Kernel() != DefaultKernel() {
		t.Fatal("round trip changed the sketch")
	}
	// Frequencies are reused when they match; the result still merges and
	// sketches.
	into, _ := NewSketch(s.Frequencies())
	if err := into.UnmarshalBinary(b); err != nil || into.Frequencies() != s.Frequencies() {
		t.Fatalf("reuse: %v", err)
	}
	if err := fresh.Merge(s); err != nil {
		t.Fatal(err)
	}
	if err := fresh.AddF64(make([]float64, 4), nil); err != nil {
		t.Fatal(err)
	}
	b2, _ := into.MarshalBinary()
	if !slices.Equal(b, b2) {
		t.Fatal("re-encoding differs")
	}
	empty, _ := NewSketch(s.Frequencies())
	eb, _ := empty.MarshalBinary()
	var back Sketch
	if err := back.UnmarshalBinary(eb); err != nil || back.Rows() != 0 {
		t.Fatalf("empty sketch: %v", err)
	}
}

func TestFormatErrors(t *testing.T) {
	s := sampleSketch(t)
	good, _ := s.MarshalBinary()
	le := binary.LittleEndian
	m, ns := 37, 4
	counts := headerSize + 8*ns + 16*4 // after σ and the box (d = 4)
	ones := counts + 16*m
	reseal := func(b []byte) []byte { // fix the CRC after a deliberate edit
		le.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		return b
	}
	edit := func(off int, v uint64, size int) []byte {
		b := slices.Clone(good)
		switch size {
		case 1:
			b[off] = byte(v)
		case 2:
			le.PutUint16(b[off:], uint16(v))
		case 4:
			le.PutUint32(b[off:], uint32(v))
		case 8:
			le.PutUint64(b[off:], v)
		}
		return reseal(b)
	}
	f64 := math.Float64bits
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"rff sketch", func() []byte {
			b, _ := rff.NewSketch(s.Frequencies()).MarshalBinary()
			return b
		}(), "bad magic"},
		{"header only", good[:40], "truncated"},
		{"short", good[:len(good)-1], "size"},
		{"trailing", append(slices.Clone(good), 0), "size"},
		{"version", edit(8, 2, 2), "version 2"},
		{"quantizer", edit(10, 2, 2), "quantizer 2"},
		{"no dither", edit(13, 3, 1), "implausible"},
		{"no box flag", edit(13, 0, 1), "size"},
		{"box", edit(headerSize+8*ns, f64(1e300), 8), "bounding box"},
		{"reserved", edit(14, 1, 2), "implausible"},
		{"zero m", edit(20, 0, 4), "implausible"},
		{"huge d", edit(16, 1<<30, 4), "implausible"},
		{"nsigma", edit(24, 2, 4), "implausible"},
		{"law", edit(12, 9, 1), "bad parameters"},
		{"fingerprint", edit(40, 12345, 8), "fingerprint"},
		{"seed", edit(32, 100, 8), "fingerprint"},
		{"sigma", edit(headerSize, f64(0.75), 8), "fingerprint"},
		{"rows", edit(48, 1<<63, 8), "row counts"},
		{"unweighted rows", edit(56, 701, 8), "row counts"},
		{"factor 2.22", edit(72, f64(2.22), 8), "4/π"},
		{"factor π/4", edit(72, f64(math.Pi/4), 8), "4/π"},
		{"negative weight", edit(64, f64(-1), 8), "weight"},
		{"NaN weight", edit(64, f64(math.NaN()), 8), "weight"},
		{"Inf weight", edit(64, f64(math.Inf(1)), 8), "weight"},
		{"count", edit(counts+8*5, 501, 8), "count"},
		{"negative count", edit(counts+16*m-8, 1<<63, 8), "count"},
		{"ones > Σw", edit(ones+8*3, f64(s.wsum*1.0000001), 8), "outside"},
		{"negative ones", edit(ones+16*m-8, f64(-0.5), 8), "outside"},
		{"NaN ones", edit(ones, f64(math.NaN()), 8), "outside"},
	}
	flip := slices.Clone(good)
	flip[100] ^= 4
	cases = append(cases, struct {
		name string
		data []byte
		want string
	}{"bit flip", flip, "checksum"})
	for _, c := range cases {
		into := s.Clone()
		err := into.UnmarshalBinary(c.data)
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a FormatError mentioning %q", c.name, err, c.want)
		}
		if !sameSketch(into, s) {
			t.Errorf("%s: failed decode changed the sketch", c.name)
		}
	}
	// Every truncation and every single-byte corruption is caught.
	for n := 0; n < len(good); n++ {
		if err := new(Sketch).UnmarshalBinary(good[:n]); err == nil {
			t.Fatalf("truncated to %d bytes accepted", n)
		}
	}
	for i := 0; i < len(good); i++ {
		b := slices.Clone(good)
		b[i] ^= 0x10
		if err := new(Sketch).UnmarshalBinary(b); err == nil {
			t.Fatalf("corruption at byte %d accepted", i)
		}
	}
}

func TestFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.qsketch")
	s := sampleSketch(t)
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	s.AddF64(make([]float64, 4), nil)
	if err := s.WriteFile(path); err != nil { // over the old file
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil || !sameSketch(s, got) {
		t.Fatalf("ReadFile: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	os.WriteFile(path, []byte("garbage"), 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error should name the file: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "absent")); err == nil {
		t.Fatal("missing file read")
	}
	if err := s.WriteFile(filepath.Join(dir, "no", "such", "dir")); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func FuzzUnmarshal(f *testing.F) {
	good, _ := sampleSketch(f).MarshalBinary()
	f.Add(good)
	f.Add(good[:90])
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sketch
		if s.UnmarshalBinary(b) == nil {
			out, _ := s.MarshalBinary()
			if !slices.Equal(out, b) {
				t.Fatal("accepted data does not re-encode identically")
			}
			s.Smooth() // usable
		}
	})
}
