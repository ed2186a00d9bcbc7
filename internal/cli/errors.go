// Package cli holds what the clkit and clkit-beam commands share, so that
// the two agree: usage errors and exit codes, number formatting, and the
// sketch flags both take.
package cli

import (
	"errors"
	"fmt"
	"strings"
)

// Exit codes: 0 ok, 1 runtime error, 2 usage error.
const (
	ExitError = 1
	ExitUsage = 2
)

// UsageError marks a mistake in the command line (exit code 2), such as
// a flag error from cobra: UsageError{Err: err}.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef is fmt.Errorf returning a UsageError.
func Usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// ExitCode maps an error from Execute to the process exit code. Cobra
// reports unknown commands and flags as plain errors, recognised by text.
func ExitCode(err error) int {
	var u UsageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least"} {
		if strings.HasPrefix(msg, p) {
			return ExitUsage
		}
	}
	return ExitError
}
