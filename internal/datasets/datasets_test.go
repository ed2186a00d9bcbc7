package datasets

import (
	"bufio"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clkit/clkit/solver"
)

// readmeRow is one line of the table in the data directory's README.md.
type readmeRow struct {
	n, d, K int
	sse     float64 // k-means++ SSE (sklearn, 10 inits); 0 if not listed
}

// fallbackTable is the README's table as of this writing, used when the
// directory has no README.md.
var fallbackTable = map[string]readmeRow{
	"s1":     {5000, 2, 15, 8.917616e12},
	"s2":     {5000, 2, 15, 1.327923e13},
	"s3":     {5000, 2, 15, 1.689006e13},
	"s4":     {5000, 2, 15, 1.570533e13},
	"a1":     {3000, 2, 20, 1.214634e10},
	"birch1": {100000, 2, 100, 9.515717e13},
}

// readmeTable parses rows like "| `s1` | 5000 | 2 | 15 | 8.917616e12 | ...".
func readmeTable(t *testing.T, dir string) map[string]readmeRow {
	f, err := os.Open(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Logf("no README.md (%v): using the built-in table", err)
		return fallbackTable
	}
	defer f.Close()
	table := map[string]readmeRow{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 6 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		name := strings.Trim(cells[1], "`")
		if name == cells[1] { // not a `stem` cell
			continue
		}
		var r readmeRow
		var e1, e2, e3 error
		r.n, e1 = strconv.Atoi(cells[2])
		r.d, e2 = strconv.Atoi(cells[3])
		r.K, e3 = strconv.Atoi(cells[4])
		if e1 != nil || e2 != nil || e3 != nil {
			continue
		}
		r.sse, _ = strconv.ParseFloat(cells[5], 64)
		table[name] = r
	}
	if len(table) == 0 {
		t.Log("README.md has no table: using the built-in table")
		return fallbackTable
	}
	return table
}

func needDir(t *testing.T) string {
	t.Helper()
	dir, ok := Dir()
	if !ok {
		t.Skipf("data directory %q absent", dir)
	}
	return dir
}

func TestDirFindsModuleRoot(t *testing.T) {
	t.Setenv("CLKIT_DATA", "")
	dir, _ := Dir()
	root, ok := moduleRoot()
	if !ok {
		t.Fatal("no go.mod above the package directory")
	}
	if want := filepath.Join(root, "..", "shared", "data"); dir != want {
		t.Errorf("Dir() = %q, want %q", dir, want)
	}
	tmp := t.TempDir()
	t.Setenv("CLKIT_DATA", tmp)
	if dir, ok := Dir(); dir != tmp || !ok {
		t.Errorf("with CLKIT_DATA: Dir() = %q, %v", dir, ok)
	}
	t.Setenv("CLKIT_DATA", filepath.Join(tmp, "missing"))
	if _, ok := Dir(); ok {
		t.Error("missing CLKIT_DATA directory reported as present")
	}
	if names := Names(); len(names) != 0 {
		t.Errorf("Names() with no directory = %v", names)
	}
}

func TestLoadAll(t *testing.T) {
	dir := needDir(t)
	table := readmeTable(t, dir)
	names := Names()
	if len(names) == 0 {
		t.Skipf("no data sets in %s", dir)
	}
	for _, name := range names {
		x, d, labels, K, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		n := len(x) / d
		if len(labels) != n {
			t.Errorf("%s: %d labels for %d rows", name, len(labels), n)
		}
		for _, l := range labels {
			if l < 0 || l >= K {
				t.Fatalf("%s: label %d outside [0,%d)", name, l, K)
			}
		}
		want, ok := table[name]
		if !ok {
			t.Errorf("%s: not in the README table", name)
			continue
		}
		if n != want.n || d != want.d || K != want.K {
			t.Errorf("%s: n=%d d=%d K=%d, README says n=%d d=%d K=%d", name, n, d, K, want.n, want.d, want.K)
		}
	}
}

// TestLloydVsReadme runs Lloyd (10 restarts) on the small sets and compares
// its SSE with the README's k-means++ reference. birch1 (n = 1e5, K = 100)
// runs only without -short.
func TestLloydVsReadme(t *testing.T) {
	dir := needDir(t)
	table := readmeTable(t, dir)
	for _, name := range Names() {
		want := table[name]
		if want.sse == 0 {
			continue
		}
		if name == "birch1" && testing.Short() {
			continue
		}
		x, d, _, K, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := solver.Lloyd(x, d, K, solver.LloydOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		rel := res.SSE/want.sse - 1
		t.Logf("%-6s Lloyd SSE %.6e, README %.6e (%+.3f%%), %d iterations, %v",
			name, res.SSE, want.sse, 100*rel, res.Iterations, time.Since(start).Round(time.Millisecond))
		if rel > 0.03 {
			t.Errorf("%s: SSE %.6e is %.2f%% above the README's %.6e", name, res.SSE, 100*rel, want.sse)
		}
		if rel < -0.03 {
			t.Logf("%s: SSE %.2f%% below the README's: a better optimum than sklearn's", name, -100*rel)
		}
	}
}

// writeGz writes lines to a gzip file in dir.
func writeGz(t *testing.T, dir, name string, lines ...string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	for _, l := range lines {
		zw.Write([]byte(l + "\n"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSynthetic(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("CLKIT_DATA", tmp)
	writeGz(t, tmp, "s1.data.gz", "1 2", "  3    4  ", "", "5\t6")
	writeGz(t, tmp, "s1.labels0.gz", "3", "1", "3")
	x, d, labels, K, err := Load("s1")
	if err != nil {
		t.Fatal(err)
	}
	if d != 2 || K != 2 || len(x) != 6 || x[2] != 3 || x[5] != 6 ||
		labels[0] != 1 || labels[1] != 0 || labels[2] != 1 {
		t.Errorf("got x=%v d=%d labels=%v K=%d", x, d, labels, K)
	}
	if names := Names(); len(names) != 1 || names[0] != "s1" {
		t.Errorf("Names() = %v, want [s1]", names)
	}

	for _, tc := range []struct {
		data, labels []string
		want         string
	}{
		{[]string{"1 2", "3"}, []string{"1", "1"}, "s2.data.gz:2"},
		{[]string{"1 2", "3 x"}, []string{"1", "1"}, "s2.data.gz:2"},
		{[]string{"1 2", "3 NaN"}, []string{"1", "1"}, "s2.data.gz:2"},
		{[]string{"1 2", "3 4"}, []string{"1", "1.5"}, "s2.labels0.gz:2"},
		{[]string{"1 2", "3 4"}, []string{"1"}, "1 labels"},
		{[]string{}, []string{"1"}, "s2.data.gz"},
	} {
		writeGz(t, tmp, "s2.data.gz", tc.data...)
		writeGz(t, tmp, "s2.labels0.gz", tc.labels...)
		_, _, _, _, err := Load("s2")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("data %q labels %q: err = %v, want it to mention %q", tc.data, tc.labels, err, tc.want)
		}
	}
	// Not gzip, and missing files.
	os.WriteFile(filepath.Join(tmp, "s3.data.gz"), []byte("1 2\n"), 0o644)
	if _, _, _, _, err := Load("s3"); err == nil || !strings.Contains(err.Error(), "s3.data.gz") {
		t.Errorf("plain-text file: err = %v", err)
	}
	if _, _, _, _, err := Load("s4"); err == nil || !strings.Contains(err.Error(), "s4.data.gz") {
		t.Errorf("missing file: err = %v", err)
	}
	if _, _, _, _, err := Load("../etc/passwd"); err == nil {
		t.Error("unknown name accepted")
	}
}
