#!/usr/bin/env bash
# The whole test suite: `make test` runs this, and .ci/run runs `make test`.
#  1. installs the Debian packages the integration tests need (when missing and root),
#  2. starts a Samba AD domain controller and PostgreSQL on 127.0.0.1 (slapd is started per test
#     by the tests themselves: it starts in well under a second),
#  3. runs every Go test with SSPR_INTEGRATION=1, so an integration test that cannot reach its
#     server fails instead of skipping, and fails the suite if any test skipped,
#  4. stops the servers it started, by PID, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test

state=$(mktemp -d /tmp/sspr-test.XXXXXX)
chmod 755 "$state"
cleanup() {
  scripts/testservers/samba.sh stop "$state" >/dev/null 2>&1 || true
  scripts/testservers/postgres.sh stop "$state" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

start=$(date +%s)
# A developer may point the tests at servers already running (export SSPR_TEST_POSTGRES_URL /
# SSPR_TEST_SAMBA_URL and friends, e.g. from scripts/testservers/*.sh start DIR); CI starts fresh ones.
pg="" smb=""
if [ -z "${SSPR_TEST_POSTGRES_URL:-}" ]; then scripts/testservers/postgres.sh start "$state" & pg=$!; fi
if [ -z "${SSPR_TEST_SAMBA_URL:-}" ]; then scripts/testservers/samba.sh start "$state" & smb=$!; fi
if [ -n "$pg" ]; then wait $pg || { echo "test: PostgreSQL did not start" >&2; exit 1; }; . "$state/postgres.env"; fi
if [ -n "$smb" ]; then wait $smb || { echo "test: Samba AD did not start" >&2; exit 1; }; . "$state/samba.env"; fi
echo "test: servers ready in $(( $(date +%s) - start )) s" >&2

export SSPR_INTEGRATION=1
scripts/vet.sh   # go vet, staticcheck (pinned, from the module proxy), gofmt: a finding fails the suite
log="$state/go-test.json"
status=0
go test -count=1 -json -timeout 20m "$@" ./... > "$log" || status=$?
# A readable summary from the JSON stream: failures and skips in full, one line per package.
go run ./scripts/testreport < "$log" || status=1
exit $status
