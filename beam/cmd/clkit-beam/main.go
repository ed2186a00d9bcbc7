// Command clkit-beam sketches data sets on Apache Beam: the files matched
// by a glob are read and sketched in parallel by the workers of a Beam
// runner (prism, in this process, by default; Flink, Spark or Dataflow
// through their job services) and summed into one sketch file that clkit
// kmeans, gmm, info and merge read.
//
//	clkit-beam sketch --input 'data/part-*.parquet' --columns x,y,z --m 1000 --sigma auto -o all.sk
//
// Flags after -- are the Beam Go SDK's pipeline options (--project,
// --region, --staging_location, --worker_binary, …), passed through.
//
// The same binary is the Beam worker: a runner that starts it with
// --worker (loopback workers run in-process instead) gets the SDK harness.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/clkit/clkit/internal/cli"
	"github.com/spf13/cobra"
)

func main() {
	if workerMode(os.Args[1:]) {
		flag.Parse()
		beam.Init() // runs the SDK harness until the runner is done with it
		os.Exit(0)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// workerMode reports the invocation of a runner's worker boot code (its
// flags are Go flags: --worker, --id, --control_endpoint, …).
func workerMode(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name := strings.TrimLeft(a, "-")
		if name != a && (name == "worker" || strings.HasPrefix(name, "worker=true")) {
			return true
		}
	}
	return false
}

// run executes the command line and returns the exit code: 0 ok, 1 error,
// 2 usage.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "clkit-beam:", err)
		code := cli.ExitCode(err)
		if code == cli.ExitUsage {
			fmt.Fprintln(stderr, "Run 'clkit-beam --help' for usage.")
		}
		return code
	}
	return 0
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "clkit-beam",
		Short: "Sketch data sets on Apache Beam (prism locally; Flink, Spark, Dataflow clusters)",
		Long: `clkit-beam runs clkit's one-pass sketching as an Apache Beam pipeline: the
files matched by a glob are split, read and sketched in parallel by the
runner's workers, and the partial sketches are merged into one sketch file
that clkit kmeans, gmm, info and merge read.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Usage errors and exit codes are clkit's: 0 ok, 1 runtime error, 2 usage.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.UsageError{Err: err} })
	root.AddCommand(newSketch())
	return root
}
