package nn

//go:generate sh -c "cd ../rff/asm && go run . -kernels gemm -out ../../nn/gemm_amd64.s -stubs ../../nn/gemm_amd64_stubs.go -pkg nn"
