#!/usr/bin/env bash
# Builds sspr's container image from the Containerfile with buildah (`make image`).
#   IMAGE     the tag to build (default localhost/sspr:VERSION)
#   VERSION   stamped into the binary (default: git describe)
#   GO_IMAGE  the builder stage's base. Unset: a local image made here from this machine's Go
#             toolchain (the one go.mod's toolchain line selects), tagged
#             localhost/sspr-gobuilder:GOVERSION and reused, so that no registry is needed. The
#             build then mounts this machine's module and build caches, so it downloads and
#             compiles only what they lack.
#   BUILDAH_ROOT  a separate buildah storage folder (the tests use a throwaway one)
# buildah runs with the vfs storage driver and chroot isolation: they work without fuse,
# overlayfs or user namespaces, as in a container or a CI runner.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v buildah >/dev/null || { echo "image: buildah is not installed (apt-get install buildah)" >&2; exit 1; }
GO=${GO:-go}
VERSION=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}
IMAGE=${IMAGE:-localhost/sspr:${VERSION}}
b=(buildah --storage-driver vfs)
if [ -n "${BUILDAH_ROOT:-}" ]; then
  b+=(--root "$BUILDAH_ROOT/storage" --runroot "$BUILDAH_ROOT/run")
fi

volumes=()
if [ -z "${GO_IMAGE:-}" ]; then
  goroot=$(GOTOOLCHAIN=auto $GO env GOROOT)
  gover=$(GOTOOLCHAIN=auto $GO env GOVERSION)
  GO_IMAGE=localhost/sspr-gobuilder:$gover
  if ! "${b[@]}" inspect --type image "$GO_IMAGE" >/dev/null 2>&1; then
    echo "image: making the builder image $GO_IMAGE from $goroot" >&2
    # The toolchain as `go build` needs it: no tests, no sources of its own commands, no tools
    # but the compiler, assembler and linker; hard links where the file system allows.
    stage=$(mktemp -d)
    c=""
    trap 'rm -rf "$stage"; [ -n "$c" ] && "${b[@]}" rm "$c" >/dev/null 2>&1 || true' EXIT
    tools=$goroot/pkg/tool/$(GOTOOLCHAIN=auto $GO env GOOS)_$(GOTOOLCHAIN=auto $GO env GOARCH)
    mkdir -p "$stage/usr/local/go/pkg/tool/${tools##*/}" "$stage/etc/ssl/certs" "$stage/tmp"
    chmod 1777 "$stage/tmp"
    cp -al "$goroot/bin" "$goroot/src" "$goroot/go.env" "$goroot/VERSION" "$stage/usr/local/go/" 2>/dev/null ||
      cp -a "$goroot/bin" "$goroot/src" "$goroot/go.env" "$goroot/VERSION" "$stage/usr/local/go/"
    cp -a "$tools/compile" "$tools/asm" "$tools/link" "$stage/usr/local/go/pkg/tool/${tools##*/}/"
    [ -d "$goroot/pkg/include" ] && cp -a "$goroot/pkg/include" "$stage/usr/local/go/pkg/"
    rm -rf "$stage/usr/local/go/src/cmd"   # root may unlink in the read-only module cache copy
    find "$stage/usr/local/go/src" -name testdata -type d -prune -exec rm -rf {} +
    cp /etc/ssl/certs/ca-certificates.crt "$stage/etc/ssl/certs/"
    c=$("${b[@]}" from scratch)
    "${b[@]}" copy "$c" "$stage" / >/dev/null
    "${b[@]}" config --env PATH=/usr/local/go/bin --env GOPATH=/go --env HOME=/root \
      --env GOCACHE=/root/.cache/go-build "$c"
    "${b[@]}" commit -q --rm "$c" "$GO_IMAGE" >/dev/null
    c=""
    rm -rf "$stage"
    trap - EXIT
  fi
  volumes=(-v "$(GOTOOLCHAIN=auto $GO env GOMODCACHE):/go/pkg/mod" -v "$(GOTOOLCHAIN=auto $GO env GOCACHE):/root/.cache/go-build")
fi

echo "image: building $IMAGE (builder $GO_IMAGE, version $VERSION)" >&2
# --format docker: the OCI image format has no HEALTHCHECK.
"${b[@]}" bud --isolation chroot --format docker --quiet \
  --build-arg "GO_IMAGE=$GO_IMAGE" --build-arg "VERSION=$VERSION" \
  "${volumes[@]}" -t "$IMAGE" -f Containerfile . >/dev/null
echo "image: built $IMAGE" >&2
