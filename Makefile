# clkit developer targets. The README's two commands need none of this.
GO ?= go

.PHONY: all generate check-generate test test-purego test-arm64 test-noasm bench vet fuzz

all: vet test

# Regenerate the amd64 assembly and its Go stubs from rff/asm (avo): the
# sincos kernels of rff and the 1-bit kernels of quant.
generate:
	cd rff && $(GO) generate
	cd quant && $(GO) generate

# CI: regenerating must reproduce the committed files byte for byte.
QUANT_GEN = quant/kernel_amd64.s quant/kernel_amd64_stubs.go
check-generate: generate
	git diff --exit-code -- rff $(QUANT_GEN)
	test -z "$$(git status --porcelain -- rff $(QUANT_GEN))"

test:
	$(GO) test ./...

# The purego build changes only the kernels of rff and quant: those in
# full, the rest -short. The decoders (solver) and the data-set loader have
# no per-architecture code and are covered by the native run.
NO_ARCH_CODE = grep -v -e '/solver$$' -e '/internal/datasets$$'
test-purego:
	$(GO) test -tags purego ./rff/... ./quant
	$(GO) test -tags purego -short $$($(GO) list ./... | $(NO_ARCH_CODE))

# Every kernel reachable on this CPU, then the fallbacks forced by env.
test-noasm:
	CLKIT_NOAVX512=1 $(GO) test ./rff ./quant
	CLKIT_NOASM=1 $(GO) test ./rff ./quant

# NEON under emulation (Debian package qemu-user-static): rff and quant in
# full, and with -short the packages that are quick emulated. The decoders
# (solver) and the data loader have no per-architecture code and would take many
# minutes under qemu: the native and purego runs cover them.
test-arm64:
	GOARCH=arm64 $(GO) test -exec qemu-aarch64-static ./rff/... ./quant
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

bench:
	$(GO) run ./cmd/clkit bench

vet:
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...
	$(GO) vet -tags purego ./...
	test -z "$$(gofmt -l .)"
