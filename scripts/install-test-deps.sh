#!/usr/bin/env bash
# Installs what the tests need, idempotently: Debian packages that are missing, then the npm peers (jose,
# openid-client) from test/peers/node/package-lock.json. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v node >/dev/null || need+=(nodejs npm)
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v python3 >/dev/null || need+=(python3)
# The CLI talks to USB keys through libfido2; the tests check what it says when no key is there.
ldconfig -p | grep -q "libfido2.so.1 " || need+=(libfido2-1)
# Ceph RGW is the validating STS of the AWS tests (a throwaway single-node cluster, see test/peers/ceph).
for tool in ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw ceph:ceph-common uuidgen:uuid-runtime curl:curl; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# moto and the AWS CLI come from PyPI, which these machines cannot reach: they must be preinstalled.
for tool in aws moto_server; do
  command -v "$tool" >/dev/null || { echo "install-test-deps: '$tool' is missing (pip install awscli 'moto[server]')" >&2; exit 1; }
done

# The Debian postgresql package may start its own cluster; the tests use private ones, so leave it alone.
peers=test/peers/node
if [ ! -f "$peers/node_modules/.package-lock.json" ] || ! cmp -s "$peers/package-lock.json" "$peers/node_modules/.vouch-installed-lock"; then
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$peers/package-lock.json" "$peers/node_modules/.vouch-installed-lock"
fi
