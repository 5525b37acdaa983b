#!/usr/bin/env bash
# Runs every benchmark: BenchmarkDotNet micro-benchmarks, then whole-server HTTP throughput with wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
dotnet run -c Release --project bench/Vouch.Benchmarks -- --filter '*' --join "$@"
bench/http.sh
bench/cli.sh
