// Package dispatchtest holds the kernel test that every package with
// assembly runs.
package dispatchtest

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// Required fails t unless every kernel named in CLKIT_REQUIRE (comma
// separated, e.g. avx512,avx2 or neon) is among have, so a silent fallback
// to pure Go cannot pass CI; it skips when the variable is unset.
func Required(t *testing.T, have []string) {
	t.Helper()
	req := os.Getenv("CLKIT_REQUIRE")
	if req == "" {
		t.Skip("CLKIT_REQUIRE not set")
	}
	for _, name := range strings.Split(req, ",") {
		if !slices.Contains(have, name) {
			t.Errorf("kernel %q required but not usable; have %v", name, have)
		}
	}
}
