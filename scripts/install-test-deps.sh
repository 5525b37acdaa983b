#!/usr/bin/env bash
# Installs what the tests need, idempotently: Debian packages that are missing, then the npm peers (jose,
# openid-client) from test/peers/node/package-lock.json. Safe to run again and again.
# Package scripts are not allowed to start services while this runs (policy-rc.d): the tests start their own
# nginx and PostgreSQL on free loopback ports, and a system nginx on port 80 would only get in the way.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v node >/dev/null || need+=(nodejs npm)
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v python3 >/dev/null || need+=(python3)
# The CLI talks to USB keys through libfido2; the tests check what it says when no key is there.
ldconfig -p | grep -q "libfido2.so.1 " || need+=(libfido2-1)
# Ceph RGW is the validating STS of the AWS tests (a throwaway single-node cluster, see test/peers/ceph).
# nginx terminates TLS in front of the server in the proxy tests (test/peers/nginx, deploy/nginx/vouch.conf);
# openssl makes their throwaway PKI (test/peers/tls); systemd-analyze checks deploy/systemd; strace shows the
# mode the server creates its SQLite files with (created 0600, never chmod-ed after).
# Debian's Chromium is the real browser of the web tests (Microsoft.Playwright drives it; no browser download).
for tool in chromium:chromium ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw ceph:ceph-common uuidgen:uuid-runtime curl:curl \
            nginx:nginx openssl:openssl systemd-analyze:systemd strace:strace; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}"
  # Keep package scripts from starting services (nginx would take port 80); an existing policy stays as it was.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# install-test-deps.sh: no service starts during this install\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
# Where systemd runs, a packaged nginx would start at every boot: the tests never want it.
if [ -e /lib/systemd/system/nginx.service ] && [ "$(id -u)" = 0 ] && command -v systemctl >/dev/null; then
  systemctl is-enabled --quiet nginx 2>/dev/null && systemctl disable --now nginx >/dev/null 2>&1 || true
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
