package nn

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"unsafe"

	"github.com/clkit/clkit/internal/atomicfile"
)

// ArchKey is the metadata key under which a saved net's architecture is
// stored: the JSON list of its layers' LayerSpecs.
const ArchKey = "clkit.arch"

// Tensors is the net's parameters as named tensors, in the order of
// Params: "3.weight" is layer 3's, "2.0.bias" that of the first layer inside
// the Residual at index 2 (the names PyTorch gives an nn.Sequential). The
// data aliases Params.
func (n *Net[T]) Tensors() []Tensor {
	var ts []Tensor
	var zero T
	for i, l := range n.layers {
		p := n.LayerParams(i)
		for _, pt := range l.ParamTensors() {
			k := numel(pt.Shape)
			t := Tensor{Name: fmt.Sprintf("%d.%s", i, pt.Name), Shape: pt.Shape}
			if unsafe.Sizeof(zero) == 4 {
				t.DType, t.F32 = F32, as[float32](p[:k:k])
			} else {
				t.DType, t.F64 = F64, as[float64](p[:k:k])
			}
			ts = append(ts, t)
			p = p[k:]
		}
	}
	return ts
}

// Write writes the net in the safetensors format: its Tensors, and meta
// (which may be nil) plus its architecture under ArchKey.
func (n *Net[T]) Write(w io.Writer, meta map[string]string) error {
	if _, ok := meta[ArchKey]; ok {
		return fmt.Errorf("nn: metadata key %q is reserved", ArchKey)
	}
	arch, err := json.Marshal(n.Specs())
	if err != nil {
		return fmt.Errorf("nn: architecture: %w", err)
	}
	m := map[string]string{ArchKey: string(arch)}
	for k, v := range meta {
		m[k] = v
	}
	return WriteSafetensors(w, n.Tensors(), m)
}

// Save writes the net to path (see Write), atomically: a failed Save
// leaves any previous file in place.
func (n *Net[T]) Save(path string, meta map[string]string) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return n.Write(w, meta) }); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadNet reads a net written by Write: it rebuilds the layers from the
// architecture, checks that the file holds exactly their tensors with
// their shapes, and returns the other metadata. A file of the other
// precision is converted (float64 to float32 rounds).
func ReadNet[T Float](r io.Reader) (*Net[T], map[string]string, error) {
	ts, meta, err := ReadSafetensors(r)
	if err != nil {
		return nil, nil, err
	}
	arch, ok := meta[ArchKey]
	if !ok {
		return nil, nil, fmt.Errorf("nn: no %q in the metadata: not a saved nn.Net", ArchKey)
	}
	delete(meta, ArchKey)
	dec := json.NewDecoder(bytes.NewReader([]byte(arch)))
	dec.DisallowUnknownFields()
	var specs []LayerSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, nil, fmt.Errorf("nn: architecture: %w", err)
	}
	if dec.More() {
		return nil, nil, errors.New("nn: architecture: data after the JSON list")
	}
	layers := make([]Layer[T], len(specs))
	for i, s := range specs {
		if layers[i], err = fromSpec[T](s); err != nil {
			return nil, nil, fmt.Errorf("nn: architecture, layer %d: %w", i, err)
		}
	}
	n, err := chain(layers)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: architecture: %w", err)
	}
	// Compare sizes before allocating: a forged architecture must not
	// make us allocate more than the file holds.
	have := 0
	for i := range ts {
		have += ts[i].dataLen()
	}
	if np := n.off[len(layers)]; np != have {
		return nil, nil, fmt.Errorf("nn: the architecture has %d parameters, the file %d values", np, have)
	}
	n.params = make([]T, have)
	byName := make(map[string]*Tensor, len(ts))
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	want := n.Tensors()
	for _, w := range want {
		t := byName[w.Name]
		if t == nil {
			return nil, nil, fmt.Errorf("nn: tensor %q missing", w.Name)
		}
		if !slices.Equal(t.Shape, w.Shape) {
			return nil, nil, fmt.Errorf("nn: tensor %q has shape %v, the architecture wants %v", w.Name, t.Shape, w.Shape)
		}
		switch {
		case w.F32 != nil && t.F32 != nil:
			copy(w.F32, t.F32)
		case w.F64 != nil && t.F64 != nil:
			copy(w.F64, t.F64)
		case w.F32 != nil:
			for i, v := range t.F64 {
				w.F32[i] = float32(v)
			}
		default:
			for i, v := range t.F32 {
				w.F64[i] = float64(v)
			}
		}
		delete(byName, w.Name)
	}
	for _, t := range ts {
		if byName[t.Name] != nil {
			return nil, nil, fmt.Errorf("nn: tensor %q is not part of the architecture", t.Name)
		}
	}
	return n, meta, nil
}

// Load reads the net saved in path (see ReadNet). Errors name the file.
func Load[T Float](path string) (*Net[T], map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	n, meta, err := ReadNet[T](bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, meta, nil
}
