#!/usr/bin/env bash
# Start-to-exit time of the published NativeAOT CLI on its hot path (issue 13), with hyperfine, against one agent
# with a warm cache (local server with the software authenticator, moto as STS), side by side in one run with two
# floors that send the same request line to the same agent socket and print the answer:
#   bench/floor/csharp  a minimal NativeAOT C# client (the language floor)
#   bench/floor/floor.c the same in C (the physical floor)
# Prints a markdown table of medians and the ratios vouch / floor for each of REPEAT (3) runs, with the load
# average; RUNS (300) and WARMUP (100) override. VOUCH_BASELINE=PATH (named VOUCH_BASELINE_NAME) adds another vouch binary to the same runs
# (an A/B against, say, main's). Takes /tmp/vouch-bench.lock (flock) so that benchmarks do not overlap.
# Then 'vouch credential token' (agent + server) on its own. Stops everything it started by its PID.
[ "${VOUCH_BENCH_LOCKED:-}" ] || exec env VOUCH_BENCH_LOCKED=1 flock /tmp/vouch-bench.lock "$(readlink -f "$0")" "$@"
source "$(dirname "$0")/cli-world.sh"
runs=${RUNS:-300}; warmup=${WARMUP:-100}; repeat=${REPEAT:-3}

# The floors.
mkdir -p artifacts/bench
cc=$(command -v clang || command -v clang-14 || command -v cc)
$cc -O2 -Wall -Werror -o artifacts/bench/floor-c bench/floor/floor.c
dotnet publish bench/floor/csharp/Floor.csproj -c Release -nologo -v quiet -o artifacts/bench/floor-cs >/dev/null
rm -f artifacts/bench/floor-cs/*.pdb artifacts/bench/floor-cs/*.dbg

artifacts/bin/vouch credential aws --role $role --format aws-credential-process >/dev/null   # warms the agent's cache
# The line 'vouch credential aws' sends (AgentRequest, CliJsonContext: declared order, nulls left out).
request="{\"op\":\"aws\",\"role\":\"$role\",\"duration\":3600,\"region\":\"$AWS_REGION\",\"sts_endpoint\":\"$AWS_ENDPOINT_URL\"}"
# The floors must be answered from the same cache: credentials, not an error.
for floor in artifacts/bench/floor-c artifacts/bench/floor-cs/vouch-floor; do
  $floor "$socket" "$request" | jq -e '.ok and (.credentials.access_key_id | length > 0)' >/dev/null \
    || { echo "bench: $floor did not get cached credentials: $($floor "$socket" "$request" | jq -c 'del(.credentials)')" >&2; exit 1; }
done
# And vouch itself must print credentials (the hot path), not an error.
artifacts/bin/vouch credential aws --role $role --format aws-credential-process | jq -e '.AccessKeyId | length > 0' >/dev/null

baseline=()
[ -n "${VOUCH_BASELINE:-}" ] && baseline=(-n "${VOUCH_BASELINE_NAME:-baseline} credential aws (cached)" "$VOUCH_BASELINE credential aws --role $role --format aws-credential-process")
for run in $(seq "$repeat"); do
  json=artifacts/bench/cli-$run.json
  before=$(load)
  hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$json" \
    -n 'vouch credential aws (cached)' "artifacts/bin/vouch credential aws --role $role --format aws-credential-process" \
    -n 'vouch status' 'artifacts/bin/vouch status' \
    "${baseline[@]}" \
    -n 'C# NativeAOT floor' "artifacts/bench/floor-cs/vouch-floor $socket '$request'" \
    -n 'C floor' "artifacts/bench/floor-c $socket '$request'" >/dev/null 2>&1
  echo
  echo "run $run of $repeat ($(date -u +%H:%M:%S) UTC; load average before $before, after $(load))"
  echo
  echo "| command | median | mean ± σ | min | user + sys CPU | / C# floor | / C floor |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  jq -r '
    def ms: . * 1000 | . * 100 | round / 100;
    (.results | map({(.command): .median}) | add) as $m
    | .results[]
    | "| \(.command) | \(.median | ms) ms | \(.mean | ms) ± \(.stddev | ms) ms | \(.min | ms) ms | \(.user + .system | ms) ms | \(.median / $m["C# NativeAOT floor"] | . * 100 | round / 100)x | \(.median / $m["C floor"] | . * 100 | round / 100)x |"' "$json"
done
echo
echo "binary sizes: vouch $(stat -c %s artifacts/bin/vouch) B, C# floor $(stat -c %s artifacts/bench/floor-cs/vouch-floor) B, C floor $(stat -c %s artifacts/bench/floor-c) B"

# The agent also asks the server (session lookup, ES256 token, a SQLite audit write): not part of the hot path.
hyperfine -N --warmup 10 --runs 100 'artifacts/bin/vouch credential token' >&2
