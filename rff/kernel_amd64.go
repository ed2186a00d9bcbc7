//go:build !purego

package rff

// Placeholder until the amd64 kernels land.
func archKernels() []kernel { return nil }
