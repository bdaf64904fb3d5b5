# retrace — build, test and demo targets. See README.md.
GO      ?= go
BIN     ?= bin/retrace
PKGS    ?= ./...
SHARED  ?= ../shared

.PHONY: all build static test test-unit test-race deps lint demo fuzz bench generate clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/retrace

# static builds the binary to copy onto an incident host: no cgo, so no
# dynamic loader or libc of a particular version is needed; no build paths
# in it; the version (git describe) stamped in (retrace version prints it).
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
STATIC_BIN ?= bin/retrace-static
static:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(STATIC_BIN) ./cmd/retrace

# deps installs the system packages the tests use (sysdig as the reference
# reader, zstd, clang/libbpf for the recorder, podman for container tests,
# chromium for the HTML report). It is idempotent and skips what is present.
deps:
	@./scripts/install-deps.sh

# test installs what the tests need, then runs every test. Tests that need
# root, BPF, podman or ../shared skip with a message when those are missing,
# and fail instead in CI (CI=true).
test: deps build
	$(GO) test -count=1 -timeout 20m $(PKGS)

# test-race runs every test under the race detector; record/ (whose tests
# need root) only when run as root.
test-race:
	$(GO) test -count=1 -race -timeout 20m $$(if [ "$$(id -u)" = 0 ]; then $(GO) list ./...; else $(GO) list ./... | grep -v /record; fi)

# lint runs gofmt, go vet, staticcheck (pinned by go.mod's tool directive)
# and checks that go.mod and go.sum are tidy.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }

demo: build
	@./scripts/demo.sh $(BIN)

# fuzz runs every fuzz target for FUZZTIME each and fails when one fails
# (CI runs it with FUZZTIME=12s).
FUZZTIME ?= 30s
fuzz:
	@./scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

generate:
	$(GO) generate ./...

# traces re-records the attack and benign scenarios of testdata/attacks and
# testdata/benign (root, podman).
traces: build
	./testdata/attacks/record.sh $(BIN)
	./testdata/benign/record.sh $(BIN)

clean:
	rm -rf bin
