#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL server for the tests.
#
#   scripts/testservers/postgres.sh start STATEDIR   # initdb + start; writes STATEDIR/postgres.env
#   scripts/testservers/postgres.sh stop  STATEDIR   # immediate stop; safe to call twice
#
# The server listens on 127.0.0.1 only, on a free port, with its unix sockets in STATEDIR/run,
# trust authentication and fsync off (test data only). STATEDIR/postgres.env holds one line,
#   export SSPR_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable'
# and STATEDIR/postgres.pid the postmaster's PID. Run as root, the server runs as the `postgres`
# OS user (initdb refuses root); run as anyone else, it runs as that user.
# PG_BINDIR overrides the binaries' folder (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

usage() {
	echo "usage: $0 start|stop STATEDIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
action=$1
state=$2

find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
		return
	fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$d" ] && command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
	fi
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		echo "postgres.sh: no PostgreSQL server binaries found (set PG_BINDIR)" >&2
		exit 1
	fi
	echo "$d"
}

# as_pg runs a command as the server's OS user.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# port_busy reports whether something accepts connections on 127.0.0.1:$1.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! port_busy "$p"; then
			echo "$p"
			return
		fi
	done
	echo "postgres.sh: no free port found" >&2
	exit 1
}

running() {
	[ -f "$state/postgres.pid" ] && kill -0 "$(cat "$state/postgres.pid")" 2>/dev/null
}

start() {
	mkdir -p "$state"
	state=$(cd "$state" && pwd)
	if running; then
		echo "postgres.sh: already running (pid $(cat "$state/postgres.pid")); $state/postgres.env" >&2
		return 0
	fi
	local bindir data run log
	bindir=$(find_bindir)
	data=$state/data
	run=$state/run
	log=$state/postgres.log
	rm -rf "$data" "$run"
	mkdir -p "$data" "$run"
	: >"$log"
	chmod 700 "$data"
	if [ "$(id -u)" -eq 0 ]; then
		chmod o+x "$state"
		chown postgres: "$data" "$run" "$log"
		if ! runuser -u postgres -- test -w "$run"; then
			echo "postgres.sh: the postgres user cannot reach $run (a parent folder is not searchable?)" >&2
			exit 1
		fi
	fi

	as_pg "$bindir/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$state/initdb.log" 2>&1 || {
		cat "$state/initdb.log" >&2
		exit 1
	}
	cat >>"$data/postgresql.conf" <<CONF

# scripts/testservers/postgres.sh: a throwaway test server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF

	local port attempt
	for attempt in 1 2 3 4 5; do
		port=$(pick_port)
		if as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null; then
			break
		fi
		if [ "$attempt" -eq 5 ] || ! grep -q "could not bind\|already in use" "$log"; then
			echo "postgres.sh: server did not start; log $log:" >&2
			tail -n 30 "$log" >&2
			exit 1
		fi
		as_pg "$bindir/pg_ctl" -D "$data" stop -m immediate >/dev/null 2>&1 || true
	done

	local i
	for i in $(seq 1 120); do
		if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
			break
		fi
		sleep 0.5
	done
	"$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || {
		echo "postgres.sh: server not ready; log $log" >&2
		exit 1
	}

	head -n 1 "$data/postmaster.pid" >"$state/postgres.pid"
	echo "export SSPR_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'" >"$state/postgres.env"
	echo "postgres.sh: PostgreSQL on 127.0.0.1:$port (pid $(cat "$state/postgres.pid")); $state/postgres.env" >&2
}

stop() {
	[ -d "$state" ] || return 0
	state=$(cd "$state" && pwd)
	local pid=""
	[ -f "$state/postgres.pid" ] && pid=$(cat "$state/postgres.pid")
	if [ -f "$state/data/postmaster.pid" ]; then
		local bindir
		bindir=$(find_bindir)
		as_pg "$bindir/pg_ctl" -D "$state/data" stop -m immediate -w -t 30 >/dev/null 2>&1 || true
	fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
		# pg_ctl could not stop it: end the postmaster we started, by its PID.
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$state/postgres.pid" "$state/postgres.env"
}

case $action in
start) start ;;
stop) stop ;;
*) usage ;;
esac
