#!/usr/bin/env bash
# Installs the Debian packages sspr's demo or test suite needs, when missing and running as root.
#   scripts/install-deps.sh demo   slapd and ldap-utils (the demo falls back to an LDIF file without them)
#   scripts/install-deps.sh test   everything the integration tests run against, and the npm package
#                                  axe-core (the browser tests' accessibility checks) into
#                                  ${XDG_CACHE_HOME:-~/.cache}/sspr/axe-core (Debian nodejs/npm if node is absent)
# Services are never started by the packages (a policy-rc.d guard is set for the install), and no
# running process is ever signalled: the project starts its own throwaway servers on 127.0.0.1.
set -euo pipefail

case "${1:-test}" in
  demo) pkgs=(slapd ldap-utils) ;;
  bench) pkgs=(slapd ldap-utils postgresql gcc libc6-dev) ;;
  test) pkgs=(slapd ldap-utils samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind krb5-user postgresql openssl chromium haproxy nginx buildah systemd)
        command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm) ;;
  *) echo "usage: $0 demo|test|bench" >&2; exit 2 ;;
esac

# axe-core, pinned (internal/testenv.AxeVersion), read by internal/testenv/axe.go from the cache.
axe_version=4.14.1
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/sspr/axe-core"
install_axe() {
  [ "${1:-test}" = test ] || return 0
  if [ -f "$axe_dir/node_modules/axe-core/axe.min.js" ] &&
     grep -q "\"version\": \"$axe_version\"" "$axe_dir/node_modules/axe-core/package.json" 2>/dev/null; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    echo "install-deps: npm missing: cannot install axe-core $axe_version" >&2
    return 1
  fi
  echo "install-deps: installing axe-core $axe_version into $axe_dir" >&2
  mkdir -p "$axe_dir"
  (cd "$axe_dir" && npm install --no-audit --no-fund --silent "axe-core@$axe_version" >/dev/null)
}

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_axe "${1:-test}"
  exit 0
fi

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
# The policy-rc.d guard keeps the packages from starting their daemons. Nothing is signalled here:
# a daemon already running on this machine is the administrator's, never ours to stop (the test
# servers say which port is busy instead).
install_axe "${1:-test}"
