package ae

//go:generate sh -c "cd ../../rff/asm && go run . -kernels ae -out ../../quant/ae/kernel_amd64.s -stubs ../../quant/ae/kernel_amd64_stubs.go -pkg ae"
