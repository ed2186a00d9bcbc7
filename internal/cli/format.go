package cli

import (
	"fmt"
	"strings"
)

// Floats formats a short list of numbers joined by sep, eliding the middle
// of long ones.
func Floats(v []float64, sep string) string {
	var parts []string
	for i, x := range v {
		if len(v) > 8 && i == 4 {
			parts = append(parts, fmt.Sprintf("… (%d more) …", len(v)-6))
		}
		if len(v) > 8 && i >= 4 && i < len(v)-2 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%.6g", x))
	}
	return strings.Join(parts, sep)
}
