#!/usr/bin/env bash
# Installs the Debian packages sspr's demo or test suite needs, when missing and running as root.
#   scripts/install-deps.sh demo   slapd and ldap-utils (the demo falls back to an LDIF file without them)
#   scripts/install-deps.sh test   everything the integration tests run against
# Services are never started by the packages (a policy-rc.d guard is set for the install): the
# project starts its own throwaway servers on 127.0.0.1.
set -euo pipefail

case "${1:-test}" in
  demo) pkgs=(slapd ldap-utils) ;;
  test) pkgs=(slapd ldap-utils samba samba-ad-dc winbind krb5-user postgresql openssl chromium) ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-deps: missing Debian packages: ${missing[*]} (run as root to install them, or: sudo apt-get install ${missing[*]})" >&2
  [ "${1:-test}" = demo ] && exit 0   # the demo works without them
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  guard=/usr/sbin/policy-rc.d
fi
trap '[ -n "$guard" ] && rm -f "$guard"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || apt-get update
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Packages that start their daemons despite the guard would hold the ports our servers need.
for d in slapd samba smbd nmbd winbindd; do
  for pid in $(pgrep -x "$d" 2>/dev/null); do
    if [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = 1 ]; then kill "$pid" 2>/dev/null || true; fi
  done
done
