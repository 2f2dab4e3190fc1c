# sspr: `make demo` runs it on the embedded default, `make test` runs every test.
# The machine's Go may lack security fixes; go.mod's toolchain line names the patched release,
# which GOTOOLCHAIN=auto fetches from the module proxy (a plain `go build` still works).
export GOTOOLCHAIN := auto
export CGO_ENABLED := 0
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: build demo test bench-sync bench-reset vet fmt clean

build:
	$(GO) build -trimpath -ldflags '-s -w -X main.version=$(VERSION)' -o bin/sspr ./cmd/sspr

demo: build
	scripts/install-deps.sh demo
	bin/sspr demo

test:
	scripts/test.sh

bench-sync: build
	scripts/install-deps.sh demo
	$(GO) run ./scripts/syncbench $(BENCHFLAGS)

bench-reset: build
	scripts/install-deps.sh demo
	$(GO) run ./scripts/resetbench $(BENCHFLAGS)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

clean:
	rm -rf bin sspr-demo
