//go:build !purego

package rff

// Placeholder until the arm64 kernels land.
func archKernels() []kernel { return nil }
