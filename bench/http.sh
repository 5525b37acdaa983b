#!/usr/bin/env bash
# Whole-server HTTP throughput with wrk against the published vouch-server on loopback:
# discovery, JWKS and /healthz, 10 s each, 2 threads, 64 connections. Stops the server by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x artifacts/bin/vouch-server ] || ./build.sh >/dev/null
dir=$(mktemp -d); port=${PORT:-18180}
artifacts/bin/vouch-server serve --development --issuer "http://127.0.0.1:$port" --database "$dir/vouch.db" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
for path in /.well-known/jwks.json /.well-known/openid-configuration /healthz; do
  echo "== GET $path"
  wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
done
