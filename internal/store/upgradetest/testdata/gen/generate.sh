#!/bin/sh
# How testdata/sspr-f316a55.db and testdata/postgres-f316a55.sql were made: the stores that the
# sspr of commit f316a55 (the last commit of the release before the store commit count, SQLite
# migration 0004) wrote, by syncing the demo's sample users from their LDIF export and adding,
# with main.go (run inside that commit's tree), a row of every other kind: security answers, a
# cloud user with its audit event, an API token, a queued message, a lock and a throttle event.
# Run from the repository's root with a PostgreSQL at $PG (a URL without a database name).
set -eu
PG=${PG:?set PG=postgres://user@host:port}
out=$(pwd)/internal/store/upgradetest/testdata
work=$(mktemp -d)
git archive f316a55 | tar -x -C "$work"
mkdir -p "$work/cmd/gen" && cp "$out/gen/main.go" "$work/cmd/gen/"
cd "$work"
go build -o sspr-old ./cmd/sspr
cat > sqlite.yaml <<YAML
store: sqlite://$work/sspr.db
directory:
  type: openldap
  file: $work/internal/demo/sample.ldif
  mapping:
    alternateEmails: mail
phone:
  defaultRegion: US
YAML
./sspr-old -c sqlite.yaml sync
go run ./cmd/gen sqlite "$work/sspr.db"
# One file, no -wal: checkpoint, leave WAL mode, compact.
sqlite3 "$work/sspr.db" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE; VACUUM;'
cp "$work/sspr.db" "$out/sspr-f316a55.db"

psql "$PG/postgres" -qc 'CREATE DATABASE sspr_upgrade_gen'
sed "s#sqlite://$work/sspr.db#$PG/sspr_upgrade_gen#" sqlite.yaml > pg.yaml
./sspr-old -c pg.yaml sync
go run ./cmd/gen pg "$PG/sspr_upgrade_gen"
pg_dump --inserts --no-owner --no-privileges "$PG/sspr_upgrade_gen" > "$out/postgres-f316a55.sql"
psql "$PG/postgres" -qc 'DROP DATABASE sspr_upgrade_gen'
rm -rf "$work"
