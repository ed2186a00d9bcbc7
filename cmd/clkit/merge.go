package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clkit/clkit/rff"
	"github.com/spf13/cobra"
)

func newMerge() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge SKETCH... -o OUT",
		Short: "Add sketches of disjoint parts of a data set into the sketch of the whole",
		Long: `merge adds sketch files made with the same frequencies (same law, d, m, σ
and seed, hence the same fingerprint), as the sketches of disjoint parts of
a data set. Sketches made with other frequencies are refused: their sums
are not comparable.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("merge needs at least one sketch file")
			}
			if out == "" {
				return usagef("merge needs -o OUT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var all *sketchFile
			for _, path := range args {
				sf, err := openSketch(path)
				if err != nil {
					return err
				}
				if all == nil {
					all = sf
					continue
				}
				if (all.q == nil) != (sf.q == nil) {
					return fmt.Errorf("%s (%s) cannot be merged with %s (%s): different kinds of sketch", path, sf.kind(), args[0], all.kind())
				}
				if all.q != nil {
					err = all.q.Merge(sf.q)
				} else {
					err = all.s.Merge(sf.s)
				}
				if errors.Is(err, rff.ErrMismatch) {
					return fmt.Errorf("%s cannot be merged with %s: %s", path, args[0],
						paramsDiff(all.smooth().Frequencies().Params(), sf.smooth().Frequencies().Params()))
				}
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
			}
			var err error
			if all.q != nil {
				err = all.q.WriteFile(out)
			} else {
				err = all.s.WriteFile(out)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "clkit: merged %d sketches, %d rows → %s\n", len(args), all.smooth().Rows(), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the merged sketch file")
	return cmd
}

// paramsDiff says how two frequency parameter sets differ.
func paramsDiff(a, b rff.Params) string {
	var d []string
	if a.Law != b.Law {
		d = append(d, fmt.Sprintf("law %s vs %s", a.Law, b.Law))
	}
	if a.D != b.D {
		d = append(d, fmt.Sprintf("d %d vs %d", a.D, b.D))
	}
	if a.M != b.M {
		d = append(d, fmt.Sprintf("m %d vs %d", a.M, b.M))
	}
	if !slices.Equal(a.Sigma, b.Sigma) {
		d = append(d, fmt.Sprintf("σ %s vs %s", floats(a.Sigma), floats(b.Sigma)))
	}
	if a.Seed != b.Seed {
		d = append(d, fmt.Sprintf("seed %d vs %d", a.Seed, b.Seed))
	}
	if a.NoDither != b.NoDither {
		d = append(d, "dither differs")
	}
	if len(d) == 0 {
		return "different frequencies"
	}
	return "different frequencies (" + strings.Join(d, ", ") + ")"
}
