#!/usr/bin/env bash
# Runs every benchmark of issue 13 and writes the results into docs/benchmarks.md:
#   1. BenchmarkDotNet micro-benchmarks (bench/Vouch.Benchmarks: token minting, JWKS body, audit hash; a login
#      in process: the assertion check alone, the options, the whole finish on SQLite);
#   2. bench/http.sh: the published server pinned to one CPU with wrk on the other: JWKS against Node's
#      oidc-provider, token issuance on SQLite and PostgreSQL at several concurrencies, server CPU per login (after a
#      warm-up), resident memory;
#   3. the CLI benchmarks: every bench/cli*.sh (hyperfine; bench/cli.sh today, more from the CLI work as they land),
#      their output kept in RESULTS/cli*.txt;
# then bench/report.py writes the generated section of docs/benchmarks.md and docs/benchmarks-token-latency.svg.
# Measures while holding /tmp/vouch-bench.lock (one benchmark run at a time on the machine).
# SKIP_DOTNET=1 skips step 1, SKIP_CLI=1 step 3; BenchmarkDotNet arguments may follow (default: --job short).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
# What the benchmarks run: the published server and the load client (Release), rebuilt so they match the tree.
dotnet publish src/Vouch.Server/Vouch.Server.csproj -c Release -r linux-x64 --self-contained false -nologo -v quiet -o artifacts/bin
dotnet build bench/Vouch.Benchmarks/Vouch.Benchmarks.csproj -c Release -nologo -v quiet
(cd bench/peers/oidc-provider && npm ci --no-audit --no-fund --loglevel=error)

export RESULTS=${RESULTS:-$(mktemp -d /var/tmp/vouch-bench-XXXXXX)}
exec 9>/tmp/vouch-bench.lock
flock 9
# The scripts below take the same lock unless told it is held (they would wait for this script forever).
export VOUCH_BENCH_LOCKED=1
report=
if [ -z "${SKIP_DOTNET:-}" ]; then
  args=("$@"); [ ${#args[@]} -gt 0 ] || args=(--job short)
  dotnet bench/Vouch.Benchmarks/bin/Release/net10.0/Vouch.Benchmarks.dll --filter '*' --join --artifacts "$RESULTS/bdn" "${args[@]}"
  report=$(ls "$RESULTS"/bdn/results/*-report-github.md 2>/dev/null | head -n 1 || true)
fi
bench/http.sh
if [ -z "${SKIP_CLI:-}" ]; then
  # Each CLI benchmark prints its own markdown table (bench/cli-world.sh is their shared set-up, not a benchmark).
  for script in bench/cli.sh bench/cli-cold.sh bench/cli-concurrent.sh bench/cli-memory.sh; do
    name=$(basename "$script" .sh)
    "$script" | tee "$RESULTS/$name.txt"
  done
fi
flock -u 9
bench/report.py "$RESULTS" $report
echo "results: $RESULTS"
