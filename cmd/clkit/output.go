package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/clkit/clkit/internal/atomicfile"
)

// writeAtomic writes path through a temporary file renamed over it only
// when write succeeded: a failed run never leaves a half-written output.
func writeAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.Write(path, write)
}

// writeNpy writes a rows×cols float64 array (row-major) in NumPy's .npy
// format, version 1.0, C order.
func writeNpy(w io.Writer, a []float64, rows, cols int) error {
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	// Magic (6) + version (2) + header length (2) + header + '\n', padded
	// with spaces to a multiple of 64 bytes.
	total := 10 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(header)))
	b = append(b, header...)
	for _, v := range a {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	_, err := w.Write(b)
	return err
}

// outputFormat is the model file format named by path's extension.
func outputFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".json", ".npy":
		return ext[1:], nil
	default:
		return "", usagef("output %s: unknown extension %q (want .csv, .json or .npy)", path, ext)
	}
}
