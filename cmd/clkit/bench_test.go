package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot()
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestBenchJSON(t *testing.T) {
	out, err := run(t, "bench", "--d", "3", "--m", "20", "--dtype", "f64", "--threads", "2",
		"--kernel", "auto", "--seconds", "0.02", "--rounds", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	kernels := map[string]bool{}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		for _, key := range []string{"kernel", "dtype", "d", "m", "threads", "rows_per_sec", "ns_per_elem", "ratio_go", "ratio_naive"} {
			if _, ok := v[key]; !ok {
				t.Errorf("line lacks %q: %s", key, l)
			}
		}
		if v["d"] != 3.0 || v["m"] != 20.0 || v["dtype"] != "f64" || v["threads"] != 2.0 {
			t.Errorf("flags not applied: %s", l)
		}
		kernels[v["kernel"].(string)] = true
	}
	if !kernels["go"] || !kernels["naive"] {
		t.Errorf("baselines missing: %v", kernels)
	}
}

func TestBenchTable(t *testing.T) {
	out, err := run(t, "bench", "--d", "2", "--m", "16", "--kernel", "go", "--seconds", "0.02", "--rounds", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CPU:", "default", "rows/s", "ns/row·freq", "×naive", "naive"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--dtype", "f16"},
		{"bench", "--kernel", "z80"},
		{"bench", "--d", "0"},
		{"bench", "--seconds", "0"},
		{"bench", "extra"},
	} {
		if _, err := run(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestBenchQuant(t *testing.T) {
	out, err := run(t, "bench", "--quant", "--d", "3", "--m", "20", "--dtype", "f32", "--threads", "1",
		"--kernel", "auto", "--seconds", "0.02", "--rounds", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	kernels := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		for _, key := range []string{"kernel", "dtype", "d", "m", "threads", "rows_per_sec", "ns_per_elem", "ratio_go", "ratio_naive", "default_kernel"} {
			if _, ok := v[key]; !ok {
				t.Errorf("line lacks %q: %s", key, l)
			}
		}
		if v["sketch"] != "quant" || v["d"] != 3.0 || v["m"] != 20.0 || v["dtype"] != "f32" {
			t.Errorf("flags not applied: %s", l)
		}
		kernels[v["kernel"].(string)] = true
	}
	if !kernels["go"] || !kernels["naive"] {
		t.Errorf("baselines missing: %v", kernels)
	}
	out, err = run(t, "bench", "--quant", "--d", "2", "--m", "16", "--kernel", "go", "--seconds", "0.02", "--rounds", "1")
	if err != nil || !strings.Contains(out, "quant") || !strings.Contains(out, "×naive") {
		t.Errorf("table: %v\n%s", err, out)
	}
	if _, err := run(t, "bench", "--quant", "--kernel", "z80"); err == nil {
		t.Error("unknown kernel accepted")
	}
}

func TestBenchMeta(t *testing.T) {
	out, err := run(t, "bench", "--meta", "--d", "6", "--m", "16", "--threads", "2", "--seconds", "0.02", "--rounds", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v metaBenchLine
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &v); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if v.Sketch != "meta" || v.D != 6 || v.M != 16 || v.Threads != 2 || !(v.RowsPerSec > 0) || !(v.FlopsRow > 0) {
		t.Errorf("bench --meta line %+v", v)
	}
}
