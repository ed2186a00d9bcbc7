package rff

//go:generate sh -c "cd asm && go run . -out ../kernel_amd64.s -stubs ../kernel_amd64_stubs.go -pkg rff"
