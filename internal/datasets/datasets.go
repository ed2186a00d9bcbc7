// Package datasets loads the developers' clustering benchmarks (the SIPU
// sets s1–s4, a1 and birch1) for tests and benchmarks. The files live
// outside the repository, in ../shared/data next to the module root, or in
// $CLKIT_DATA; they are never copied into the repository.
package datasets

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// known lists the data sets the shared folder's README describes, in its order.
var known = []string{"s1", "s2", "s3", "s4", "a1", "birch1"}

// Dir returns the data directory: $CLKIT_DATA if set, else ../shared/data
// relative to the module root (found by walking up from the working
// directory to the directory containing go.mod), and whether it exists as
// a directory.
func Dir() (string, bool) {
	dir := os.Getenv("CLKIT_DATA")
	if dir == "" {
		root, ok := moduleRoot()
		if !ok {
			return "", false
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	fi, err := os.Stat(dir)
	return dir, err == nil && fi.IsDir()
}

func moduleRoot() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for dir := wd; ; {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Names lists the available data sets: those of s1, s2, s3, s4, a1, birch1
// whose data and label files are both present in Dir, in that order.
func Names() []string {
	dir, ok := Dir()
	if !ok {
		return nil
	}
	var names []string
	for _, name := range known {
		if isFile(filepath.Join(dir, name+".data.gz")) && isFile(filepath.Join(dir, name+".labels0.gz")) {
			names = append(names, name)
		}
	}
	return names
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// Load reads data set name (s1..s4, a1, birch1) from Dir: x is the n×d
// row-major data as float64, labels the 0-based label of each row (the
// file's labels mapped in increasing order onto 0..K-1), and K the number of
// distinct labels. Errors name the file, and the line where there is one.
func Load(name string) (x []float64, d int, labels []int, K int, err error) {
	if !slices.Contains(known, name) {
		return nil, 0, nil, 0, fmt.Errorf("datasets: unknown data set %q (known: %s)", name, strings.Join(known, ", "))
	}
	dir, ok := Dir()
	if !ok {
		if dir == "" {
			return nil, 0, nil, 0, errors.New("datasets: no data directory: set CLKIT_DATA or run inside the module")
		}
		return nil, 0, nil, 0, fmt.Errorf("datasets: data directory %s does not exist (set CLKIT_DATA)", dir)
	}
	dataPath := filepath.Join(dir, name+".data.gz")
	labelPath := filepath.Join(dir, name+".labels0.gz")
	x, d, err = readData(dataPath)
	if err != nil {
		return nil, 0, nil, 0, err
	}
	raw, err := readLabels(labelPath)
	if err != nil {
		return nil, 0, nil, 0, err
	}
	n := len(x) / d
	if len(raw) != n {
		return nil, 0, nil, 0, fmt.Errorf("datasets: %s has %d labels, %s has %d rows", labelPath, len(raw), dataPath, n)
	}
	labels, K = dense(raw)
	return x, d, labels, K, nil
}

// dense maps the distinct values of raw, in increasing order, onto 0..K-1.
func dense(raw []int) ([]int, int) {
	distinct := slices.Clone(raw)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	index := make(map[int]int, len(distinct))
	for i, v := range distinct {
		index[v] = i
	}
	out := make([]int, len(raw))
	for i, v := range raw {
		out[i] = index[v]
	}
	return out, len(distinct)
}

// eachLine calls f with every non-blank line of the gzip file at path and its
// 1-based line number. Errors from f are prefixed with path:line.
func eachLine(path string, f func(line string) error) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	defer file.Close()
	zr, err := gzip.NewReader(file)
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", path, err)
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := f(line); err != nil {
			return fmt.Errorf("datasets: %s:%d: %w", path, lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("truncated gzip stream: %w", err)
		}
		return fmt.Errorf("datasets: %s: after line %d: %w", path, lineNo, err)
	}
	if lineNo == 0 {
		return fmt.Errorf("datasets: %s: empty file", path)
	}
	return nil
}

func readData(path string) ([]float64, int, error) {
	var x []float64
	d := 0
	err := eachLine(path, func(line string) error {
		fields := strings.Fields(line)
		if d == 0 {
			d = len(fields)
		} else if len(fields) != d {
			return fmt.Errorf("%d numbers, want %d as on the first line", len(fields), d)
		}
		for _, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return err
			}
			if v-v != 0 { // NaN or ±Inf
				return fmt.Errorf("non-finite value %q", s)
			}
			x = append(x, v)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if d == 0 {
		return nil, 0, fmt.Errorf("datasets: %s: no data", path)
	}
	return x, d, nil
}

func readLabels(path string) ([]int, error) {
	var labels []int
	err := eachLine(path, func(line string) error {
		v, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			return err
		}
		labels = append(labels, v)
		return nil
	})
	return labels, err
}
