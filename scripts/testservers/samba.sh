#!/usr/bin/env bash
# samba.sh start STATEDIR | stop STATEDIR | env STATEDIR
#
# A throwaway Samba AD domain controller on loopback for the integration tests.
#
#   start  provisions a new domain SSPR.TEST (realm) / SSPR (NetBIOS) in STATEDIR/samba (never
#          touching /etc/samba), with a CA and server certificate made by openssl
#          (SAN IP:127.0.0.1, DNS:localhost; Samba's own self-signed one has a negative serial
#          number that Go refuses), starts `samba -i -M prefork` in its own process group on
#          127.0.0.1 only (interfaces=lo, bind interfaces only), waits until LDAPS answers a
#          bind as Administrator, and writes STATEDIR/samba.env:
#            SSPR_TEST_SAMBA_URL      ldaps://127.0.0.1:636 (StartTLS also works on ldap://127.0.0.1:389)
#            SSPR_TEST_SAMBA_BASEDN   DC=sspr,DC=test
#            SSPR_TEST_SAMBA_BINDDN   CN=Administrator,CN=Users,DC=sspr,DC=test
#            SSPR_TEST_SAMBA_PASSWORD random, meets the default complexity rules
#            SSPR_TEST_SAMBA_CAFILE   STATEDIR/tls/ca.pem
#            SSPR_TEST_SAMBA_SMBCONF  STATEDIR/samba/etc/smb.conf (for samba-tool -s ...)
#          and the PID (leader of the process group) in STATEDIR/samba.pid. A DC already running
#          from STATEDIR is kept. Simple binds need TLS, as on a real AD.
#   stop   kills the process group by PID (SIGTERM, then SIGKILL after 15 s); idempotent.
#   env    prints the env file.
#
# Tests share this one DC: each works in its own OU (internal/testenv: Samba.NewOU).
#
# Needs root (the DC runs as root), samba (+ samba-ad-dc on Debian 12), ldap-utils, openssl.
# Samba binds 389, 636, 88, 135, 464, 3268, 3269 and 49152+ on 127.0.0.1 and ::1: a system
# slapd listening on 389 must be stopped first (the script says so).
#
# Measured here (Samba 4.17, Debian 12, 2 cores; the sandbox's fsync is slow): provision 30 s
# with fsync, 5.4-11 s with TDB_NO_FSYNC=1 and --host-ip/--host-ip6 (no address lookups, which
# cost 5 s of DNS timeout); start until LDAPS answers: 0.5 s with the services below (3 s with
# all the default ones). Whole `start`: 6-12 s. `stop`: 1-4 s.
set -euo pipefail

usage() { echo "usage: $0 start|stop|env STATEDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile=$dir/samba.pid
envfile=$dir/samba.env

running() {
	[ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
	if ! [ -s "$pidfile" ]; then
		echo "samba: not running (no $pidfile)"
		return 0
	fi
	local pid
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 150); do
			kill -0 -- "-$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 -- "-$pid" 2>/dev/null; then
			kill -KILL -- "-$pid" 2>/dev/null || true
			sleep 0.5
		fi
	fi
	rm -f "$pidfile"
	echo "samba: stopped (pid $pid)"
}

start() {
	if running; then
		echo "samba: already running (pid $(cat "$pidfile")); env in $envfile"
		return 0
	fi
	for p in 389 636; do
		if port_busy "$p"; then
			echo "samba: port $p on 127.0.0.1 is already in use (a system slapd? stop it: systemctl stop slapd)" >&2
			exit 1
		fi
	done
	for b in samba samba-tool openssl ldapsearch; do
		command -v "$b" >/dev/null || { echo "samba: $b not found (apt-get install samba samba-ad-dc winbind krb5-user ldap-utils openssl)" >&2; exit 1; }
	done
	local t0 t1 t2
	t0=$(date +%s.%N)
	rm -rf "$dir/samba" "$dir/tls" "$envfile" "$dir/samba.log" "$dir/provision.log"
	mkdir -p "$dir/tls"

	# A CA and a server certificate for 127.0.0.1 / localhost.
	(
		cd "$dir/tls"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 3650 \
			-subj "/CN=sspr throwaway Samba test CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -keyout key.pem -out req.csr -subj "/CN=127.0.0.1" 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >ext.cnf
		openssl x509 -req -in req.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 3650 \
			-extfile ext.cnf 2>/dev/null
		chmod 600 key.pem ca-key.pem
	)

	local password
	password="Sspr-$(openssl rand -hex 8)-Aa1!"
	# TDB_NO_FSYNC: a throwaway database needs no fsync (provision 30 s → 5 s here).
	export TDB_NO_FSYNC=1
	if ! samba-tool domain provision --server-role=dc --dns-backend=NONE \
		--realm=SSPR.TEST --domain=SSPR --adminpass="$password" \
		--targetdir="$dir/samba" --host-ip=127.0.0.1 --host-ip6=::1 \
		--option="interfaces=lo" --option="bind interfaces only=yes" \
		--option="tls enabled=yes" --option="tls certfile=$dir/tls/cert.pem" \
		--option="tls keyfile=$dir/tls/key.pem" --option="tls cafile=$dir/tls/ca.pem" \
		>"$dir/provision.log" 2>&1; then
		echo "samba: provision failed; $dir/provision.log:" >&2
		tail -20 "$dir/provision.log" >&2
		exit 1
	fi
	local conf=$dir/samba/etc/smb.conf
	# Only what the tests use: LDAP (+ cldap), RPC and the KDC for samba-tool; no SMB file
	# server, NetBIOS, WINS replication, DNS updates, DRS replication or KCC.
	sed -i "s|^\tserver services = .*|\tserver services = ldap, cldap, rpc, kdc|; s|^\tlog file = .*|\tlog file = $dir/samba/log.%m|" "$conf"
	t1=$(date +%s.%N)

	# setsid: samba leads its own process group, which stop kills.
	setsid samba -i -M prefork -s "$conf" >"$dir/samba.log" 2>&1 </dev/null &
	local pid=$!
	echo "$pid" >"$pidfile"

	local ok=
	for _ in $(seq 1 600); do
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		if LDAPTLS_CACERT="$dir/tls/ca.pem" ldapsearch -H ldaps://127.0.0.1:636 -x \
			-D "CN=Administrator,CN=Users,DC=sspr,DC=test" -w "$password" \
			-b "" -s base highestCommittedUSN >/dev/null 2>&1; then
			ok=1
			break
		fi
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		echo "samba: did not answer on ldaps://127.0.0.1:636 within 60 s; $dir/samba.log:" >&2
		tail -30 "$dir/samba.log" >&2
		stop >/dev/null
		exit 1
	fi
	t2=$(date +%s.%N)

	cat >"$envfile" <<EOF
export SSPR_TEST_SAMBA_URL='ldaps://127.0.0.1:636'
export SSPR_TEST_SAMBA_BASEDN='DC=sspr,DC=test'
export SSPR_TEST_SAMBA_BINDDN='CN=Administrator,CN=Users,DC=sspr,DC=test'
export SSPR_TEST_SAMBA_PASSWORD='$password'
export SSPR_TEST_SAMBA_CAFILE='$dir/tls/ca.pem'
export SSPR_TEST_SAMBA_SMBCONF='$conf'
EOF
	chmod 600 "$envfile"
	awk -v pid="$pid" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v env="$envfile" \
		'BEGIN { printf "samba: running (pid %s): provision %.1fs, start %.1fs; env in %s\n", pid, t1 - t0, t2 - t1, env }'
}

case $cmd in
start) start ;;
stop) stop ;;
env) cat "$envfile" ;;
*) usage ;;
esac
