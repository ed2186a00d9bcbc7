package nn

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	testSaveLoad[float32](t)
	testSaveLoad[float64](t)
}

func testSaveLoad[T Float](t *testing.T) {
	n := metaNet[T](t)
	path := filepath.Join(t.TempDir(), "net.safetensors")
	meta := map[string]string{"sigma": "0.5", "trained on": "s1.csv"}
	if err := n.Save(path, meta); err != nil {
		t.Fatal(err)
	}
	m, gotMeta, err := Load[T](path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata %v, want %v", gotMeta, meta)
	}
	if !reflect.DeepEqual(m.Specs(), n.Specs()) {
		t.Errorf("architecture\n%+v\nwant\n%+v", m.Specs(), n.Specs())
	}
	for i, v := range n.Params() {
		if math.Float64bits(float64(m.Params()[i])) != math.Float64bits(float64(v)) {
			t.Fatalf("%T parameter %d: %v after loading, %v saved", v, i, m.Params()[i], v)
		}
	}
	x := make([]T, 7*n.In())
	for i := range x {
		x[i] = T(math.Sin(float64(i)))
	}
	y1, y2 := n.Forward(new(Workspace[T]), x, 7), m.Forward(new(Workspace[T]), x, 7)
	if !slices.Equal(y1, y2) {
		t.Errorf("outputs differ after loading: %v, %v", y1, y2)
	}

	// The file is safetensors, with PyTorch's names and layouts.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if hl := binary.LittleEndian.Uint64(b); (8+hl)%8 != 0 {
		t.Errorf("header length %d: the data does not start at a multiple of 8", hl)
	}
	ts, _, err := ReadSafetensors(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tt := range ts {
		names = append(names, tt.Name)
	}
	if !slices.Contains(names, "0.weight") || !slices.Contains(names, "2.0.weight") || !slices.Contains(names, "3.2.bias") || !slices.Contains(names, "4.weight") {
		t.Errorf("tensor names %v", names)
	}
	if !slices.Equal(ts[0].Shape, []int{8, 6}) {
		t.Errorf("0.weight has shape %v, want [8 6] (out×in)", ts[0].Shape)
	}

	// The other precision loads too, converted.
	if _, ok := any(n).(*Net[float32]); ok {
		m64, _, err := Load[float64](path)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range n.Params() {
			if m64.Params()[i] != float64(v) {
				t.Fatalf("float32 file read as float64: parameter %d is %v, want %v", i, m64.Params()[i], v)
			}
		}
	}
	if err := n.Save(path, map[string]string{ArchKey: "x"}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Save with the reserved key: error %v, want one naming the file", err)
	}
}

// The exact bytes of a small file, as the format specifies them.
func TestSafetensorsBytes(t *testing.T) {
	var buf bytes.Buffer
	err := WriteSafetensors(&buf, []Tensor{
		{Name: "a", DType: F32, Shape: []int{2}, F32: []float32{1, -2}},
		{Name: "b", DType: F64, Shape: []int{}, F64: []float64{0.5}},
	}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	want = append(want, header...)
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(1))
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(-2))
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(0.5))
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("file\n%q\nwant\n%q", buf.Bytes(), want)
	}
	ts, meta, err := ReadSafetensors(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "a" || !slices.Equal(ts[0].F32, []float32{1, -2}) || ts[1].DType != F64 || len(ts[1].Shape) != 0 || ts[1].F64[0] != 0.5 || meta["k"] != "v" {
		t.Errorf("read back %+v, %v", ts, meta)
	}
}

func TestWriteSafetensorsErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		ts   []Tensor
		want string
	}{
		{"duplicate", []Tensor{{Name: "a", DType: F32, Shape: []int{1}, F32: []float32{1}}, {Name: "a", DType: F32, Shape: []int{1}, F32: []float32{1}}}, "two tensors"},
		{"shape", []Tensor{{Name: "a", DType: F32, Shape: []int{2}, F32: []float32{1}}}, "shape"},
		{"dtype", []Tensor{{Name: "a", DType: "F16", Shape: []int{1}, F32: []float32{1}}}, "dtype"},
		{"field", []Tensor{{Name: "a", DType: F64, Shape: []int{1}, F32: []float32{1}}}, "other field"},
		{"reserved", []Tensor{{Name: "__metadata__", DType: F32, Shape: []int{}, F32: []float32{1}}}, "reserved"},
	} {
		if err := WriteSafetensors(&bytes.Buffer{}, c.ts, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// file builds a safetensors file from a header (padded as given) and data.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestReadSafetensorsCorrupt(t *testing.T) {
	eight := make([]byte, 8)
	ok := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	if _, _, err := ReadSafetensors(bytes.NewReader(file(ok, eight))); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "header length"},
		{"short length", []byte{1, 2, 3}, "header length"},
		{"huge header", append(huge, "{}"...), "outside"},
		{"truncated header", file(ok, eight)[:30], "truncated"},
		{"truncated data", file(ok, eight[:7]), "truncated"},
		{"trailing", file(ok, make([]byte, 9)), "trailing"},
		{"bad json", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`, eight), "header"},
		{"not an object", file(`[1, 2]`, nil), "start with"},
		{"after object", file(ok+` x`, eight), "after the JSON"},
		{"not utf-8", file("{\"\xff\":1}", nil), "UTF-8"},
		{"dtype", file(`{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}`, eight), "dtype \"F16\""},
		{"shape mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "does not fill"},
		{"shape overflow", file(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, eight), "shape"},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "header"},
		{"null dim", file(`{"a":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}`, eight[:4]), "shape"},
		{"offsets reversed", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, eight), "begin ≤ end"},
		{"fractional offset", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}}`, eight), "header"},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlaps"},
		{"gap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "gap"},
		{"duplicate tensor", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "twice"},
		{"duplicate field", file(`{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight), "twice"},
		{"unknown field", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight), "unknown key"},
		{"missing field", file(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, eight), "want dtype, shape"},
		{"metadata number", file(`{"__metadata__":{"k":1}}`, nil), "metadata"},
		{"metadata null", file(`{"__metadata__":{"k":null}}`, nil), "null"},
		{"empty name", file(`{"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight), "empty name"},
	} {
		_, _, err := ReadSafetensors(bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}

	// Every truncation of a valid net file fails.
	var buf bytes.Buffer
	if err := clgn[float32](t).Write(&buf, nil); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	for n := 0; n < len(full); n += 1 + n/50 {
		if _, _, err := ReadSafetensors(bytes.NewReader(full[:n])); err == nil {
			t.Fatalf("a file cut to %d of %d bytes read without error", n, len(full))
		}
	}
}

// ReadNet's own checks: the tensors must be those of the architecture.
func TestReadNetCorrupt(t *testing.T) {
	n := clgn[float64](t)
	specs := `[{"type":"dense","in":2,"out":3}]`
	w := make([]byte, 8*9)
	dense := func(arch, tensors string, data []byte) []byte {
		h := `{"__metadata__":{"clkit.arch":` + quote(arch) + `}` + tensors + `}`
		return file(h, data)
	}
	good := `,"0.weight":{"dtype":"F64","shape":[3,2],"data_offsets":[0,48]},"0.bias":{"dtype":"F64","shape":[3],"data_offsets":[48,72]}`
	if _, _, err := ReadNet[float64](bytes.NewReader(dense(specs, good, w))); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"no arch", file(`{"0.bias":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}`, w[:24]), "not a saved"},
		{"arch json", dense(`[{"type":"dense",`, good, w), "architecture"},
		{"arch field", dense(`[{"type":"dense","in":2,"out":3,"colour":1}]`, good, w), "colour"},
		{"arch type", dense(`[{"type":"conv","in":2,"out":3}]`, good, w), "unknown layer type"},
		{"arch chain", dense(`[{"type":"dense","in":2,"out":3},{"type":"dense","in":2,"out":3}]`, good, w), "layer 1"},
		{"arch size", dense(`[{"type":"dense","in":30000,"out":30000}]`, good, w), "parameters"},
		{"shape", dense(specs, `,"0.weight":{"dtype":"F64","shape":[2,3],"data_offsets":[0,48]},"0.bias":{"dtype":"F64","shape":[3],"data_offsets":[48,72]}`, w), "shape [2 3]"},
		{"missing", dense(specs, `,"0.weight":{"dtype":"F64","shape":[3,2],"data_offsets":[0,48]},"0.b":{"dtype":"F64","shape":[3],"data_offsets":[48,72]}`, w), `"0.bias" missing`},
		{"extra", dense(specs, good+`,"1.weight":{"dtype":"F64","shape":[1],"data_offsets":[72,80]}`, append(w, w[:8]...)), "parameters"},
	} {
		_, _, err := ReadNet[float64](bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := n.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-1], 0o644)
	if _, _, err := Load[float64](path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("truncated file: error %v, want one naming %s", err, path)
	}
	if _, _, err := Load[float64](path + ".missing"); err == nil {
		t.Error("missing file: no error")
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// FuzzSafetensors: the reader never panics, and what it accepts it writes
// back and reads again to the same tensors. ReadNet is fuzzed along.
func FuzzSafetensors(f *testing.F) {
	var buf bytes.Buffer
	clgn[float32](f).Write(&buf, map[string]string{"k": "v"})
	f.Add(buf.Bytes())
	buf.Reset()
	metaNet[float64](f).Write(&buf, nil)
	f.Add(buf.Bytes())
	f.Add(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(file(`{}      `, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadNet[float32](bytes.NewReader(b))
		ts, meta, err := ReadSafetensors(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteSafetensors(&out, ts, meta); err != nil {
			t.Fatalf("accepted tensors do not write back: %v", err)
		}
		ts2, meta2, err := ReadSafetensors(&out)
		if err != nil {
			t.Fatalf("written back, they do not read: %v", err)
		}
		if len(meta) == 0 {
			meta = nil
		}
		if len(meta2) == 0 {
			meta2 = nil
		}
		if !reflect.DeepEqual(meta, meta2) || len(ts) != len(ts2) {
			t.Fatalf("round trip changed the file")
		}
		for i := range ts {
			a, b := ts[i], ts2[i]
			if a.Name != b.Name || a.DType != b.DType || !slices.Equal(a.Shape, b.Shape) || !sameBits(a.F32, b.F32) || !sameBits(a.F64, b.F64) {
				t.Fatalf("round trip changed tensor %q", a.Name)
			}
		}
	})
}

func sameBits[T Float](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(float64(a[i])) != math.Float64bits(float64(b[i])) {
			return false
		}
	}
	return true
}
