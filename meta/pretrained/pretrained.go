// Package pretrained ships meta-learned models for the default sizes (rows
// of d = 20, sketches of m = 64 numbers), so that `clkit meta` and programs
// can use them without training:
//
//	m, err := pretrained.Load("pca-shared")
//	s := m.NewSketch()
//	err = s.Add(rows, 0)
//	out, err := m.Predict(s.Z(), float64(s.Rows()), 0)
//
// pca-shared (top-3 subspace) and ridge-shared (λ = 0.01) were trained on
// the task families whose data sets' principal directions lie near one
// rotation common to the family (Shared = 0.3, SharedSeed = 1): the
// setting where a learned sketch measures along directions a random one
// must spread over. On data far from that rotation they do worse than a
// random sketch; train your own family with `clkit meta train`. Each file
// records the command that made it (key clkit.meta.command); training is
// seeded and reproducible on the same machine type.
package pretrained

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/clkit/clkit/meta"
)

//go:embed *.safetensors
var files embed.FS

// Names lists the shipped models.
func Names() []string {
	es, _ := files.ReadDir(".")
	var ns []string
	for _, e := range es {
		ns = append(ns, strings.TrimSuffix(e.Name(), ".safetensors"))
	}
	slices.Sort(ns)
	return ns
}

// Has reports whether a model of that name ships.
func Has(name string) bool { return slices.Contains(Names(), name) }

// Load returns a fresh copy of the shipped model.
func Load(name string) (*meta.Model, error) {
	b, err := files.ReadFile(name + ".safetensors")
	if err != nil {
		return nil, fmt.Errorf("pretrained: no model %q (have %v)", name, Names())
	}
	m, err := meta.ReadModel(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("pretrained: %s: %w", name, err)
	}
	return m, nil
}
