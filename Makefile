# clkit developer targets. The README's two commands need none of this.
GO ?= go

.PHONY: all generate check-generate test test-purego test-arm64 test-noasm bench vet fuzz

all: vet test

# Regenerate the amd64 assembly and its Go stubs from rff/asm (avo): the
# sincos kernels of rff, the 1-bit kernels of quant, nn's SGEMM
# microkernels and quant/ae's bit packing.
generate:
	cd rff && $(GO) generate
	cd quant && $(GO) generate
	cd nn && $(GO) generate
	cd quant/ae && $(GO) generate

# CI: regenerating must reproduce the committed files byte for byte.
QUANT_GEN = quant/kernel_amd64.s quant/kernel_amd64_stubs.go
NN_GEN = nn/gemm_amd64.s nn/gemm_amd64_stubs.go
AE_GEN = quant/ae/kernel_amd64.s quant/ae/kernel_amd64_stubs.go
check-generate: generate
	git diff --exit-code -- rff $(QUANT_GEN) $(NN_GEN) $(AE_GEN)
	test -z "$$(git status --porcelain -- rff $(QUANT_GEN) $(NN_GEN) $(AE_GEN))"

test:
	$(GO) test ./...

# The purego build changes only the kernels of rff, quant, quant/ae and nn:
# those in full, the rest -short. The decoders (solver), the learners built on the
# kernels (gen, meta) and the data-set loader have no per-architecture
# code and are covered by the native run.
KERNELS = ./rff/... ./quant ./quant/ae ./nn
NO_ARCH_CODE = grep -v -e '/solver$$' -e '/internal/datasets$$' -e '/gen$$' -e '/meta$$'
test-purego:
	$(GO) test -tags purego $(KERNELS)
	$(GO) test -tags purego -short $$($(GO) list ./... | $(NO_ARCH_CODE))

# Every kernel reachable on this CPU, then the fallbacks forced by env.
test-noasm:
	CLKIT_NOAVX512=1 $(GO) test $(KERNELS)
	CLKIT_NOASM=1 $(GO) test $(KERNELS)

# NEON under emulation (Debian package qemu-user-static): the kernels in
# full, and with -short the packages that are quick emulated. The decoders
# (solver), gen, meta and the data loader have no per-architecture code and
# would take many minutes under qemu: the native and purego runs cover them.
# quant/ae's study tests take minutes emulated: it runs -short there (its
# kernel tests in full), in the second line.
test-arm64:
	GOARCH=arm64 $(GO) test -exec qemu-aarch64-static $(filter-out ./quant/ae,$(KERNELS))
	GOARCH=arm64 $(GO) test -exec qemu-aarch64-static -short $$($(GO) list ./... | $(NO_ARCH_CODE))

# Budgets are counts, not durations: Go 1.26's fuzz coordinator can fail a
# duration-bounded run at its deadline with no crasher (golang/go#75804).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzKernels -fuzztime 12000x ./rff
	$(GO) test -run '^$$' -fuzz FuzzUnmarshal -fuzztime 200000x ./rff
	$(GO) test -run '^$$' -fuzz FuzzKernels -fuzztime 12000x ./quant
	$(GO) test -run '^$$' -fuzz FuzzUnmarshal -fuzztime 100000x ./quant
	$(GO) test -run '^$$' -fuzz FuzzCSV -fuzztime 50000x ./dataio
	$(GO) test -run '^$$' -fuzz FuzzNpyHeader -fuzztime 50000x ./dataio
	$(GO) test -run '^$$' -fuzz FuzzVJPKernels -fuzztime 3000x ./rff
	$(GO) test -run '^$$' -fuzz FuzzFeatureKernels -fuzztime 3000x ./rff
	$(GO) test -run '^$$' -fuzz FuzzGemm -fuzztime 5000x ./nn
	$(GO) test -run '^$$' -fuzz FuzzSafetensors -fuzztime 20000x ./nn

bench:
	$(GO) run ./cmd/clkit bench

vet:
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...
	$(GO) vet -tags purego ./...
	cd beam && $(GO) vet ./...
	test -z "$$(gofmt -l .)"
