// Command clkit sketches large data sets into random-feature sketches in one
// streaming pass and learns from the sketches alone: sketch, merge and
// inspect sketch files (sketch, merge, info), decode k-means and Gaussian
// mixtures (kmeans, gmm), train generative networks (gen), measure the
// kernels on this machine (bench), and show it all end to end (demo). Run
// 'clkit help COMMAND' for each.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "clkit:", err)
		code := exitCode(err)
		if code == exitUsage {
			fmt.Fprintln(os.Stderr, "Run 'clkit --help' for usage.")
		}
		os.Exit(code)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "clkit",
		Short:         "Compressive learning: sketch huge data sets in one pass, learn from the sketch",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newBench(), newKMeans(), newGMM(), newInfo(), newMerge(), newDemo(), newSketch(), newGen(), newMeta(), newAE())
	return root
}
