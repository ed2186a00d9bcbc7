//go:build purego || !(amd64 || arm64)

package nn

// Without assembly (the purego tag or another architecture) only the
// pure-Go kernel exists.
func archSgemmKernels() []sgemmKernel { return nil }
