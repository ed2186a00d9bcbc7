package ae

import (
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"strings"

	"github.com/clkit/clkit/internal/atomicfile"
	"github.com/clkit/clkit/nn"
)

// Model files are safetensors (nn.WriteBundle), which PyTorch and numpy
// read as they are:
//
//	B (N×D), A (D×N), bias (D, affine decoders), block<t>.A (D×N)   float32
//	nets "denoiser", "block<t>_f" (1 → 2: g, e of f(y) = y(1+g)+e),
//	     "block<t>_h" (1 → 1)                                      scalar networks
//	metadata clkit.model = "ae", clkit.ae.{d, n, tie, kind, blocks},
//	         clkit.ae.bayes.{p, mu, sigma2} for a Bayes denoiser, or
//	         clkit.ae.bayes.p and bayes.channels (D×2 F64, μ_i and σ_i²)
//	         for one per coordinate
//
// plus the caller's metadata, which must not use the clkit.ae. prefix.

const metaPrefix = "clkit.ae."

// Write writes the model, with the extra metadata meta, to w.
func (m *Model) Write(w io.Writer, meta map[string]string) error {
	md := map[string]string{}
	for k, v := range meta {
		if strings.HasPrefix(k, metaPrefix) || k == "clkit.model" {
			return fmt.Errorf("ae: metadata key %q is reserved", k)
		}
		md[k] = v
	}
	md["clkit.model"] = "ae"
	md[metaPrefix+"d"] = strconv.Itoa(m.d)
	md[metaPrefix+"n"] = strconv.Itoa(m.n)
	md[metaPrefix+"tie"] = m.tie.String()
	md[metaPrefix+"kind"] = m.Kind()
	md[metaPrefix+"blocks"] = strconv.Itoa(len(m.blocks))
	tensor := func(name string, v []float32, shape ...int) nn.Tensor {
		return nn.Tensor{Name: name, DType: nn.F32, Shape: shape, F32: v}
	}
	extra := []nn.Tensor{tensor("B", m.b, m.n, m.d), tensor("A", m.a, m.d, m.n)}
	fmtF := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch {
	case len(m.bayes) == 1:
		f := m.bayes[0]
		for k, v := range map[string]float64{"p": f.P, "mu": f.Mu, "sigma2": f.Sigma2} {
			md[metaPrefix+"bayes."+k] = fmtF(v)
		}
	case m.bayes != nil:
		md[metaPrefix+"bayes.p"] = fmtF(m.bayes[0].P)
		ch := make([]float64, 0, 2*m.d)
		for _, f := range m.bayes {
			ch = append(ch, f.Mu, f.Sigma2)
		}
		extra = append(extra, nn.Tensor{Name: "bayes.channels", DType: nn.F64, Shape: []int{m.d, 2}, F64: ch})
	}
	if m.bias != nil {
		extra = append(extra, tensor("bias", m.bias, m.d))
	}
	nets := map[string]*nn.Net[float32]{}
	if m.f != nil {
		nets["denoiser"] = m.f
	}
	for t, b := range m.blocks {
		extra = append(extra, tensor(fmt.Sprintf("block%d.A", t), b.a, m.d, m.n))
		nets[fmt.Sprintf("block%d_h", t)] = b.h
		nets[fmt.Sprintf("block%d_f", t)] = b.f
	}
	return nn.WriteBundle(w, nets, extra, md)
}

// Save writes the model to path atomically (see Write).
func (m *Model) Save(path string, meta map[string]string) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return m.Write(w, meta) }); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Read reads a model written by Write, and the caller's metadata.
func Read(r io.Reader) (*Model, map[string]string, error) {
	nets, tensors, md, err := nn.ReadBundle[float32](r)
	if err != nil {
		return nil, nil, err
	}
	if md["clkit.model"] != "ae" {
		return nil, nil, fmt.Errorf("ae: not an autoencoder model (clkit.model = %q)", md["clkit.model"])
	}
	atoi := func(key string) (int, error) {
		v, err := strconv.Atoi(md[metaPrefix+key])
		if err != nil || v < 0 {
			return 0, fmt.Errorf("ae: bad metadata %s%s = %q", metaPrefix, key, md[metaPrefix+key])
		}
		return v, nil
	}
	d, err1 := atoi("d")
	n, err2 := atoi("n")
	nblocks, err3 := atoi("blocks")
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return nil, nil, err
		}
	}
	var tie Tie
	switch md[metaPrefix+"tie"] {
	case "plus":
	case "zero":
		tie = TieZero
	default:
		return nil, nil, fmt.Errorf("ae: bad metadata %stie = %q", metaPrefix, md[metaPrefix+"tie"])
	}
	used := map[string]bool{}
	get := func(name string, shape ...int) ([]float32, error) {
		t, ok := tensors[name]
		if !ok {
			return nil, fmt.Errorf("ae: tensor %q missing", name)
		}
		used[name] = true
		if t.DType != nn.F32 || fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
			return nil, fmt.Errorf("ae: tensor %q is %s %v, want F32 %v", name, t.DType, t.Shape, shape)
		}
		return t.F32, nil
	}
	b, err := get("B", n, d)
	if err != nil {
		return nil, nil, err
	}
	a, err := get("A", d, n)
	if err != nil {
		return nil, nil, err
	}
	var bias []float32
	if _, ok := tensors["bias"]; ok {
		if bias, err = get("bias", d); err != nil {
			return nil, nil, err
		}
	}
	m, err := NewModel(d, n, tie, b, a, bias)
	if err != nil {
		return nil, nil, err
	}
	scalar := func(name string, outputs int) (*nn.Net[float32], error) {
		net, ok := nets[name]
		if !ok {
			return nil, fmt.Errorf("ae: net %q missing", name)
		}
		if net.In() != 1 || net.Out() != outputs {
			return nil, fmt.Errorf("ae: net %q maps %d → %d values, want 1 → %d", name, net.In(), net.Out(), outputs)
		}
		used[name] = true
		return net, nil
	}
	kind := md[metaPrefix+"kind"]
	if _, ok := nets["denoiser"]; ok {
		if m.f, err = scalar("denoiser", 2); err != nil {
			return nil, nil, err
		}
	}
	if _, ok := md[metaPrefix+"bayes.p"]; ok {
		if m.bayes, err = readBayes(md, tensors, d, used); err != nil {
			return nil, nil, err
		}
	}
	for t := range nblocks {
		var blk Block
		if blk.a, err = get(fmt.Sprintf("block%d.A", t), d, n); err != nil {
			return nil, nil, err
		}
		if blk.h, err = scalar(fmt.Sprintf("block%d_h", t), 1); err != nil {
			return nil, nil, err
		}
		if blk.f, err = scalar(fmt.Sprintf("block%d_f", t), 2); err != nil {
			return nil, nil, err
		}
		m.blocks = append(m.blocks, blk)
	}
	for name := range maps.Keys(tensors) {
		if !used[name] {
			return nil, nil, fmt.Errorf("ae: unexpected tensor %q", name)
		}
	}
	for name := range maps.Keys(nets) {
		if !used[name] {
			return nil, nil, fmt.Errorf("ae: unexpected net %q", name)
		}
	}
	if (m.bayes != nil && m.f != nil) || (len(m.blocks) > 0 && m.f == nil) || m.Kind() != kind {
		return nil, nil, fmt.Errorf("ae: inconsistent decoder: kind %q, parts make %q", kind, m.Kind())
	}
	user := map[string]string{}
	for k, v := range md {
		if !strings.HasPrefix(k, metaPrefix) && k != "clkit.model" {
			user[k] = v
		}
	}
	return m, user, nil
}

// readBayes reads the Bayes denoisers: one in the metadata, or D with
// their channels in the tensor bayes.channels.
func readBayes(md map[string]string, tensors map[string]nn.Tensor, d int, used map[string]bool) ([]BayesBG, error) {
	float := func(k string) (float64, error) {
		v, err := strconv.ParseFloat(md[metaPrefix+"bayes."+k], 64)
		if err != nil {
			return 0, fmt.Errorf("ae: bad metadata %sbayes.%s", metaPrefix, k)
		}
		return v, nil
	}
	p, err := float("p")
	if err != nil {
		return nil, err
	}
	t, ok := tensors["bayes.channels"]
	if !ok {
		f := BayesBG{P: p}
		if f.Mu, err = float("mu"); err != nil {
			return nil, err
		}
		if f.Sigma2, err = float("sigma2"); err != nil {
			return nil, err
		}
		return []BayesBG{f}, f.validate()
	}
	used["bayes.channels"] = true
	if t.DType != nn.F64 || fmt.Sprint(t.Shape) != fmt.Sprint([]int{d, 2}) {
		return nil, fmt.Errorf("ae: tensor bayes.channels is %s %v, want F64 [%d 2]", t.DType, t.Shape, d)
	}
	fs := make([]BayesBG, d)
	for i := range fs {
		fs[i] = BayesBG{P: p, Channel: Channel{Mu: t.F64[2*i], Sigma2: t.F64[2*i+1]}}
		if err := fs[i].validate(); err != nil {
			return nil, fmt.Errorf("coordinate %d: %w", i, err)
		}
	}
	return fs, nil
}

// Load reads the model saved in path. Errors name the file.
func Load(path string) (*Model, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	m, meta, err := Read(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, meta, nil
}
