// Command clkit sketches large data sets into random-feature sketches and
// learns from them. This build has one subcommand, bench, which measures the
// sketch kernels on this machine (the 1-bit sketch's with --quant).
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "clkit:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "clkit",
		Short:         "Compressive learning: sketch huge data sets in one pass, learn from the sketch",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newBench())
	return root
}
