#!/bin/sh
# sspr store copy of a 100,000-user SQLite store (security answers for a tenth, 200,000 audit
# events, 1,000 queued messages) into PostgreSQL, three times, with the load average: the
# figure in the README's "Moving to PostgreSQL". Needs the test PostgreSQL
# (SSPR_TEST_POSTGRES_URL, as scripts/testservers/postgres.sh writes it). Users and runs:
# SSPR_COPY_BENCH_USERS=N, RUNS=N (default 3); SSPR_COPY_BENCH_STORE=FILE keeps the SQLite store
# there (made when missing), to time `sspr store copy --from sqlite://FILE` itself.
set -eu
cd "$(dirname "$0")/.."
: "${SSPR_TEST_POSTGRES_URL:?set it, e.g. . /tmp/sspr-shared/postgres.env}"
exec go test -count=1 -timeout 30m -run '^$' -bench '^BenchmarkCopy$' -benchtime "${RUNS:-3}x" ./internal/store/storecopy/
