#!/usr/bin/env bash
# Logins/s and tokens/s (p50, p99) for 1, 2 and 3 vouch-server instances on one PostgreSQL, then 3 through nginx
# (bench/Vouch.ClusterBench). Needs the published server (./build.sh) and the test peers
# (scripts/install-test-deps.sh). Holds /tmp/vouch-bench.lock so that benchmarks do not measure each other.
# Usage: bench/instances.sh [CLIENTS] [SECONDS]      results: docs/benchmarks.md, "several instances"
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x artifacts/bin/vouch-server ] || { echo "bench: artifacts/bin/vouch-server is missing: run ./build.sh" >&2; exit 1; }
dotnet build bench/Vouch.ClusterBench -c Release -nologo -v quiet
exec flock /tmp/vouch-bench.lock dotnet run -c Release --no-build --project bench/Vouch.ClusterBench -- "$@"
