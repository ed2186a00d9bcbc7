// Package dispatch holds the kernel-selection rules that rff and quant
// share: which implementations a process may use, best first, given what
// the CPU supports and what the environment switches off.
package dispatch

import "slices"

// Usable returns the arch kernels (best first) minus those the environment
// switches off, then fallback, which is always usable. CLKIT_NOASM=1
// removes every arch kernel; env(k) names the variable that removes k
// alone ("" = none).
func Usable[K any](arch []K, env func(K) string, fallback K, getenv func(string) string) []K {
	var ks []K
	if getenv("CLKIT_NOASM") != "1" {
		for _, k := range arch {
			if e := env(k); e == "" || getenv(e) != "1" {
				ks = append(ks, k)
			}
		}
	}
	return append(ks, fallback)
}

// Names lists the kernels' names in order.
func Names[K any](ks []K, name func(K) string) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = name(k)
	}
	return out
}

// Lookup finds a kernel by name; "" and "auto" mean the first (the best).
func Lookup[K any](ks []K, name func(K) string, want string) (K, bool) {
	if want == "" || want == "auto" {
		return ks[0], true
	}
	i := slices.IndexFunc(ks, func(k K) bool { return name(k) == want })
	if i < 0 {
		var zero K
		return zero, false
	}
	return ks[i], true
}
