package main

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/clkit/clkit/internal/cli"
	"github.com/spf13/cobra"
)

// sketchInfo is what `clkit info` reports about a sketch file.
type sketchInfo struct {
	File        string    `json:"file"`
	Kind        string    `json:"kind"` // "complex-exponential" (or "quantized-1bit")
	Law         string    `json:"law"`
	D           int       `json:"d"`
	M           int       `json:"m"`
	Sigma       []float64 `json:"sigma"`
	Seed        uint64    `json:"seed"`
	Dither      bool      `json:"dither"`
	Fingerprint string    `json:"fingerprint"`
	Rows        int64     `json:"rows"`
	Weight      float64   `json:"weight"`
	Lower       []float64 `json:"lower,omitempty"` // bounding box of the rows
	Upper       []float64 `json:"upper,omitempty"`
	// ‖z‖/√m of the (smooth estimate of the) sketch: 1 for data at one
	// point, → 0 as the data spread beyond the kernel's scale.
	NormZ float64 `json:"norm_z"`
}

func summarize(sf *sketchFile) sketchInfo {
	s := sf.smooth()
	f := s.Frequencies()
	p := f.Params()
	in := sketchInfo{File: sf.path, Kind: sf.kind(), Law: p.Law.String(), D: p.D, M: p.M, Sigma: p.Sigma,
		Seed: p.Seed, Dither: !p.NoDither, Fingerprint: fmt.Sprintf("%016x", f.Fingerprint()),
		Rows: s.Rows(), Weight: s.Weight()}
	in.Lower, in.Upper, _ = s.Box()
	if s.Weight() > 0 {
		re, im := s.Z()
		var n2 float64
		for j := range re {
			n2 += re[j]*re[j] + im[j]*im[j]
		}
		in.NormZ = math.Sqrt(n2 / float64(len(re)))
	}
	return in
}

func newInfo() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info SKETCH...",
		Short: "Print the header and a summary of sketch files",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("info needs at least one sketch file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			for i, path := range args {
				sf, err := openSketch(path)
				if err != nil {
					return err
				}
				in := summarize(sf)
				if asJSON {
					b, _ := json.Marshal(in)
					fmt.Fprintln(out, string(b))
					continue
				}
				if i > 0 {
					fmt.Fprintln(out)
				}
				fmt.Fprintf(out, "%s: %s sketch\n", in.File, in.Kind)
				fmt.Fprintf(out, "  frequencies  m=%d, d=%d, law %s, σ %s, seed %d, dither %v\n", in.M, in.D, in.Law, floats(in.Sigma), in.Seed, in.Dither)
				fmt.Fprintf(out, "  fingerprint  %s\n", in.Fingerprint)
				fmt.Fprintf(out, "  rows         %d (total weight %g)\n", in.Rows, in.Weight)
				if in.Lower != nil {
					fmt.Fprintf(out, "  box          lower %s\n               upper %s\n", floats(in.Lower), floats(in.Upper))
				} else {
					fmt.Fprintf(out, "  box          unknown\n")
				}
				fmt.Fprintf(out, "  ‖z‖/√m       %.4g\n", in.NormZ)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per file")
	return cmd
}

// floats formats a short list of numbers, eliding the middle of long ones.
func floats(v []float64) string { return "[" + cli.Floats(v, " ") + "]" }
