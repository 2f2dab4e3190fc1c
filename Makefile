# sspr: `make demo` runs it on the embedded default, `make test` runs every test.
# The machine's Go may lack security fixes; go.mod's toolchain line names the patched release,
# which GOTOOLCHAIN=auto fetches from the module proxy (a plain `go build` still works).
export GOTOOLCHAIN := auto
export CGO_ENABLED := 0
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: build demo test image bench-sync bench-reset bench-peer vet fmt clean

build:
	$(GO) build -trimpath -ldflags '-s -w -X main.version=$(VERSION)' -o bin/sspr ./cmd/sspr

demo: build
	scripts/install-deps.sh demo
	bin/sspr demo $(if $(LISTEN),--listen $(LISTEN))

test:
	scripts/test.sh

# The container image (Containerfile), built with buildah without a registry: see scripts/image.sh
# (IMAGE, GO_IMAGE, BUILDAH_ROOT).
IMAGE ?= localhost/sspr:$(VERSION)
image:
	IMAGE=$(IMAGE) VERSION=$(VERSION) GO=$(GO) scripts/image.sh

# The benchmarks run with these flags (the README's figures come from them); BENCHFLAGS adds to
# them, and of a flag given twice the last wins: `make bench-reset BENCHFLAGS='-floor 1ms'`.
BENCH_SYNC_FLAGS ?= -users 100000,300000 -runs 3
BENCH_RESET_FLAGS ?= -users 100000 -workers 400 -duration 10s -resets 500 -reset-workers 32 -floor 250ms -runs 3
BENCH_PEER_FLAGS ?= -users 10000 -workers 32 -duration 10s -resets 300 -floor 1ms -stores postgres,sqlite -runs 3

bench-sync: build
	scripts/install-deps.sh demo
	$(GO) run ./scripts/syncbench $(BENCH_SYNC_FLAGS) $(BENCHFLAGS)

bench-reset: build
	scripts/install-deps.sh demo
	$(GO) run ./scripts/resetbench $(BENCH_RESET_FLAGS) $(BENCHFLAGS)

# sspr against Ory Kratos v1.3.1 (built once into bin/peerbench, with cgo), on its own PostgreSQL
# and on SQLite: see scripts/peerbench.
bench-peer: build
	scripts/install-deps.sh bench
	$(GO) run ./scripts/peerbench -go $(GO) $(BENCH_PEER_FLAGS) $(BENCHFLAGS)

vet:
	GO=$(GO) scripts/vet.sh

clean:
	rm -rf bin sspr-demo
