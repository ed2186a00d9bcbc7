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
	"strings"
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
	byName := make(map[string]*Tensor, len(ts))
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	n, err := netFromTensors[T](arch, byName, "", true)
	if err != nil {
		return nil, nil, err
	}
	for name := range byName {
		return nil, nil, fmt.Errorf("nn: tensor %q is not part of the architecture", name)
	}
	return n, meta, nil
}

// netFromTensors rebuilds a net from its architecture (the JSON list of
// LayerSpecs) and the tensors named prefix + its tensor names, which it
// removes from byName. With all, those must be all the tensors there are.
func netFromTensors[T Float](arch string, byName map[string]*Tensor, prefix string, all bool) (*Net[T], error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(arch)))
	dec.DisallowUnknownFields()
	var specs []LayerSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("nn: architecture: %w", err)
	}
	if dec.More() {
		return nil, errors.New("nn: architecture: data after the JSON list")
	}
	layers := make([]Layer[T], len(specs))
	for i, s := range specs {
		var err error
		if layers[i], err = fromSpec[T](s); err != nil {
			return nil, fmt.Errorf("nn: architecture, layer %d: %w", i, err)
		}
	}
	n, err := chain(layers)
	if err != nil {
		return nil, fmt.Errorf("nn: architecture: %w", err)
	}
	// Compare sizes before allocating: a forged architecture must not
	// make us allocate more than the file holds.
	have := 0
	for name, t := range byName {
		if strings.HasPrefix(name, prefix) {
			have += t.dataLen()
		}
	}
	if np := n.off[len(layers)]; np > have || all && np != have {
		return nil, fmt.Errorf("nn: the architecture has %d parameters, the file %d values", np, have)
	}
	n.params = make([]T, n.off[len(layers)])
	for _, w := range n.Tensors() {
		t := byName[prefix+w.Name]
		if t == nil {
			return nil, fmt.Errorf("nn: tensor %q missing", prefix+w.Name)
		}
		if !slices.Equal(t.Shape, w.Shape) {
			return nil, fmt.Errorf("nn: tensor %q has shape %v, the architecture wants %v", prefix+w.Name, t.Shape, w.Shape)
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
		delete(byName, prefix+w.Name)
	}
	return n, nil
}

// WriteBundle writes several nets and some extra tensors into one
// safetensors file: net "q"'s tensors as "q.3.weight" and so on, its
// architecture under metadata key ArchKey + ".q", the extra tensors under
// their own names (which must not contain a net's prefix), and meta.
// Packages whose models are several nets and loose parameters (meta's
// Sketch- and Query-Networks) save them as one file with it.
func WriteBundle[T Float](w io.Writer, nets map[string]*Net[T], extra []Tensor, meta map[string]string) error {
	m := map[string]string{}
	for k, v := range meta {
		if strings.HasPrefix(k, ArchKey) {
			return fmt.Errorf("nn: metadata key %q is reserved", k)
		}
		m[k] = v
	}
	var ts []Tensor
	names := make([]string, 0, len(nets))
	for name := range nets {
		if name == "" || strings.Contains(name, ".") {
			return fmt.Errorf("nn: net name %q must be non-empty and without dots", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n := nets[name]
		arch, err := json.Marshal(n.Specs())
		if err != nil {
			return fmt.Errorf("nn: architecture of %s: %w", name, err)
		}
		m[ArchKey+"."+name] = string(arch)
		for _, t := range n.Tensors() {
			t.Name = name + "." + t.Name
			ts = append(ts, t)
		}
	}
	for _, t := range extra {
		if pfx, _, ok := strings.Cut(t.Name, "."); ok && nets[pfx] != nil {
			return fmt.Errorf("nn: extra tensor %q collides with net %q", t.Name, pfx)
		}
		ts = append(ts, t)
	}
	return WriteSafetensors(w, ts, m)
}

// ReadBundle reads a file written by WriteBundle: the nets by name, the
// extra tensors by name, and the metadata without the architectures.
func ReadBundle[T Float](r io.Reader) (map[string]*Net[T], map[string]Tensor, map[string]string, error) {
	ts, meta, err := ReadSafetensors(r)
	if err != nil {
		return nil, nil, nil, err
	}
	byName := make(map[string]*Tensor, len(ts))
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	nets := map[string]*Net[T]{}
	for k, arch := range meta {
		name, ok := strings.CutPrefix(k, ArchKey+".")
		if !ok {
			continue
		}
		n, err := netFromTensors[T](arch, byName, name+".", false)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("net %s: %w", name, err)
		}
		nets[name] = n
		delete(meta, k)
	}
	extra := make(map[string]Tensor, len(byName))
	for name, t := range byName {
		extra[name] = *t
	}
	return nets, extra, meta, nil
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
