#!/usr/bin/env bash
# Static checks, for `make vet` and scripts/test.sh alike: go vet, staticcheck and gofmt; any
# finding fails. staticcheck is pinned here and built from the module proxy on first use (go run
# caches the build), like every other Go module the project uses: nothing to install by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
staticcheck=honnef.co/go/tools/cmd/staticcheck@v0.8.2

$GO vet ./...
$GO run "$staticcheck" ./...
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "vet: not gofmt-formatted (run gofmt -w on them):" >&2
  echo "$unformatted" >&2
  exit 1
fi
