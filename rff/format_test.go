package rff

import (
	"encoding/binary"
	"errors"
	"github.com/clkit/clkit/internal/box"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func sampleSketch(t testing.TB) *Sketch {
	f := mustFreq(t, Params{Law: AdaptedRadius, D: 4, M: 37, Sigma: []float64{0.5, 1, 2, 4}, Seed: 99})
	s := NewSketch(f)
	_, x := randRows(rand.New(rand.NewPCG(9, 9)), 500, 4, 1)
	if err := s.AddF64(x, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

func sameSketch(a, b *Sketch) bool {
	ac, as := a.Sums()
	bc, bs := b.Sums()
	return slices.Equal(ac, bc) && slices.Equal(as, bs) && a.Rows() == b.Rows() &&
		a.Weight() == b.Weight() && a.freq.fp == b.freq.fp &&
		slices.Equal(a.box.Lo, b.box.Lo) && slices.Equal(a.box.Hi, b.box.Hi) && a.box.Known() == b.box.Known()
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
	if !sameSketch(s, &fresh) {
		t.Fatal("round trip changed the sketch")
	}
	// Frequencies are reused when they match, and the result still merges.
	into := NewSketch(s.freq)
	if err := into.UnmarshalBinary(b); err != nil || into.freq != s.freq {
		t.Fatalf("reuse: %v", err)
	}
	if err := fresh.Merge(s); err != nil {
		t.Fatal(err)
	}
	b2, _ := into.MarshalBinary()
	if !slices.Equal(b, b2) {
		t.Fatal("re-encoding differs")
	}
}

func TestFormatErrors(t *testing.T) {
	s := sampleSketch(t)
	good, _ := s.MarshalBinary()
	le := binary.LittleEndian
	reseal := func(b []byte) []byte { // fix the CRC after a deliberate edit
		b = slices.Clone(b)
		le.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		return b
	}
	edit := func(off int, v uint64, size int) []byte {
		b := slices.Clone(good)
		switch size {
		case 2:
			le.PutUint16(b[off:], uint16(v))
		case 4:
			le.PutUint32(b[off:], uint32(v))
		case 8:
			le.PutUint64(b[off:], v)
		}
		return reseal(b)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"foreign", []byte("PAR1 this is a parquet file, honest"), "bad magic"},
		{"header only", good[:40], "truncated"},
		{"short", good[:len(good)-1], "size"},
		{"trailing", append(slices.Clone(good), 0), "size"},
		{"version", edit(8, 3, 2), "version 3"},
		{"box flag in version 1", edit(8, 1, 2), "implausible"},
		// The box starts after the 4 σ values; its first minimum made
		// larger than every maximum.
		{"box", edit(headerSize+4*8, math.Float64bits(1e300), 8), "bounding box"},
		{"kind", edit(10, 7, 2), "kind 7"},
		{"zero m", edit(20, 0, 4), "implausible"},
		{"huge d", edit(16, 1<<30, 4), "implausible"},
		{"fingerprint", edit(40, 12345, 8), "fingerprint"},
		{"seed", edit(32, 100, 8), "fingerprint"},
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

// Version 1 files (no box) are still read.
func TestFormatVersion1(t *testing.T) {
	s := sampleSketch(t)
	s.box = box.Box{}
	b, _ := s.MarshalBinary()
	binary.LittleEndian.PutUint16(b[8:], 1)
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	var got Sketch
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !sameSketch(&got, s) {
		t.Error("version 1 round trip differs")
	}
	if _, _, ok := got.Box(); ok {
		t.Error("version 1 file has no box")
	}
}

func TestFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.sketch")
	s := sampleSketch(t)
	if err := s.WriteFile(path); err != nil {
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
	if err := s.WriteFile(filepath.Join(dir, "no", "such", "dir")); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func FuzzUnmarshal(f *testing.F) {
	good, _ := sampleSketch(f).MarshalBinary()
	f.Add(good)
	f.Add(good[:70])
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sketch
		if s.UnmarshalBinary(b) == nil {
			out, _ := s.MarshalBinary()
			if !slices.Equal(out, b) {
				t.Fatal("accepted data does not re-encode identically")
			}
		}
	})
}
