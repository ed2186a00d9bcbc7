package nn

import (
	"bytes"
	"strings"
	"testing"
)

// TestBundle: two nets and extra tensors in one file, read back bit for
// bit; corrupt bundles are refused.
func TestBundle(t *testing.T) {
	a, err := MLP[float32](3, []int{5}, 2, ReLU, Identity)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewNet(Dense[float32](2, 4), Act[float32](Tanh), LayerNorm[float32](4))
	if err != nil {
		t.Fatal(err)
	}
	a.Init(1)
	b.Init(2)
	extra := []Tensor{{Name: "omega", DType: F32, Shape: []int{2, 3}, F32: []float32{1, 2, 3, 4, 5, 6}}}
	var buf bytes.Buffer
	if err := WriteBundle(&buf, map[string]*Net[float32]{"sketch": a, "query": b}, extra, map[string]string{"task": "pca"}); err != nil {
		t.Fatal(err)
	}
	nets, ex, meta, err := ReadBundle[float32](bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if meta["task"] != "pca" || len(meta) != 1 {
		t.Errorf("metadata %v", meta)
	}
	for name, want := range map[string]*Net[float32]{"sketch": a, "query": b} {
		got := nets[name]
		if got == nil || got.NumParams() != want.NumParams() {
			t.Fatalf("net %s: %v", name, got)
		}
		for i, p := range want.Params() {
			if got.Params()[i] != p {
				t.Fatalf("net %s parameter %d differs", name, i)
			}
		}
	}
	if o := ex["omega"]; len(ex) != 1 || o.F32[5] != 6 || o.Shape[1] != 3 {
		t.Errorf("extra tensors %v", ex)
	}
	// A missing tensor, a clash of names, a reserved key.
	if err := WriteBundle(&buf, map[string]*Net[float32]{"sketch": a}, []Tensor{{Name: "sketch.x", DType: F32, Shape: []int{1}, F32: []float32{1}}}, nil); err == nil {
		t.Error("extra tensor inside a net's names: no error")
	}
	if err := WriteBundle(&buf, map[string]*Net[float32]{"a.b": a}, nil, nil); err == nil {
		t.Error("net name with a dot: no error")
	}
	if err := WriteBundle(&buf, map[string]*Net[float32]{"a": a}, nil, map[string]string{ArchKey + ".a": "x"}); err == nil {
		t.Error("reserved metadata key: no error")
	}
	var one bytes.Buffer
	if err := WriteBundle(&one, map[string]*Net[float32]{"s": a}, nil, nil); err != nil {
		t.Fatal(err)
	}
	ts, meta2, err := ReadSafetensors(bytes.NewReader(one.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var short bytes.Buffer
	if err := WriteSafetensors(&short, ts[1:], meta2); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ReadBundle[float32](bytes.NewReader(short.Bytes())); err == nil || !strings.Contains(err.Error(), "net s") {
		t.Errorf("bundle with a tensor missing: %v", err)
	}
}
