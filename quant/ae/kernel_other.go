//go:build purego || !(amd64 || arm64)

package ae

// Without assembly (the purego tag or another architecture) only the
// pure-Go kernel exists.
func archKernels() []kernel { return nil }
