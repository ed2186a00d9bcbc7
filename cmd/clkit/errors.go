package main

import (
	"github.com/clkit/clkit/internal/cli"
	"github.com/spf13/cobra"
)

// The usage errors and exit codes are shared with clkit-beam; these names
// keep the rest of the command as it was.
const (
	exitError = cli.ExitError
	exitUsage = cli.ExitUsage
)

// usageError is cli.UsageError as this command's files write it,
// usageError{err} (an alias would make go vet ask for keyed fields); it
// unwraps to a cli.UsageError, which is what cli.ExitCode looks for.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return cli.UsageError{Err: e.err} }

func usagef(format string, a ...any) error { return cli.Usagef(format, a...) }

func exitCode(err error) int { return cli.ExitCode(err) }

// exactArgs is cobra.ExactArgs returning a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %d argument(s), got %d (see clkit %s --help)", cmd.Name(), n, len(args), cmd.Name())
		}
		return nil
	}
}
