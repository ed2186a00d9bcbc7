package quant

// Until the assembly kernels land, only the pure-Go kernel exists.
// TODO(quant kernels): restore the build tag purego || !(amd64 || arm64).
func archKernels() []kernel { return nil }
