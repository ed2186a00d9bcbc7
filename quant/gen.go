package quant

//go:generate sh -c "cd ../rff/asm && go run . -kernels quant -out ../../quant/kernel_amd64.s -stubs ../../quant/kernel_amd64_stubs.go -pkg quant"
