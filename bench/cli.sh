#!/usr/bin/env bash
# Start-to-exit time of the published NativeAOT CLI on its hot path (issue 13), with hyperfine, against one agent
# with a warm cache (local server with the software authenticator, moto as STS), side by side in one run with two
# floors that send the same request line to the same agent socket and print the answer:
#   bench/floor/csharp  a minimal NativeAOT C# client (the language floor)
#   bench/floor/floor.c the same in C (the physical floor)
# Prints a markdown table of medians and the ratios vouch / floor; RUNS (300) and WARMUP (30) override.
# Then 'vouch credential token' (agent + server) on its own. Stops everything it started by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-300}; warmup=${WARMUP:-30}
[ -x artifacts/bin/vouch ] || ./build.sh >/dev/null
if ! command -v hyperfine >/dev/null; then
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -qq hyperfine >/dev/null 2>&1 \
    || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends hyperfine >/dev/null; }
fi
command -v jq >/dev/null || { echo "bench: jq is missing (apt-get install jq)" >&2; exit 1; }

# The floors.
mkdir -p artifacts/bench
cc=$(command -v clang || command -v clang-14 || command -v cc)
$cc -O2 -Wall -Werror -o artifacts/bench/floor-c bench/floor/floor.c
dotnet publish bench/floor/csharp/Floor.csproj -c Release -nologo -v quiet -o artifacts/bench/floor-cs >/dev/null
rm -f artifacts/bench/floor-cs/*.pdb artifacts/bench/floor-cs/*.dbg

dir=$(mktemp -d); port=${PORT:-18190}
export VOUCH_KEY_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
artifacts/bin/vouch-server serve --issuer "http://127.0.0.1:$port" --attestation any --database "$dir/vouch.db" >"$dir/server.log" 2>&1 &
server=$!
export HOME=$dir XDG_RUNTIME_DIR=$dir/run VOUCH_SOFTWARE_AUTHENTICATOR=$dir/key.json
mkdir -m 700 "$XDG_RUNTIME_DIR"
test/peers/moto/start-moto.sh "$dir/moto" $((port + 1)) >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$((port + 1)) AWS_REGION=us-east-1
cleanup() {
  test/peers/moto/stop-moto.sh "$dir/moto"
  [ -f "$XDG_RUNTIME_DIR/vouch/agent.sock.pid" ] && kill "$(cat "$XDG_RUNTIME_DIR/vouch/agent.sock.pid")" 2>/dev/null
  kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
code=$(artifacts/bin/vouch-server invite --email bench@example.com --database "$dir/vouch.db" 2>/dev/null)
artifacts/bin/vouch enroll --server "http://127.0.0.1:$port" --invite "$code" 2>/dev/null
artifacts/bin/vouch login 2>/dev/null
role=arn:aws:iam::123456789012:role/VouchDeveloper
artifacts/bin/vouch credential aws --role $role --format aws-credential-process >/dev/null   # warms the agent's cache

# The line 'vouch credential aws' sends (AgentRequest, CliJsonContext: declared order, nulls left out).
socket=$XDG_RUNTIME_DIR/vouch/agent.sock
request="{\"op\":\"aws\",\"role\":\"$role\",\"duration\":3600,\"region\":\"$AWS_REGION\",\"sts_endpoint\":\"$AWS_ENDPOINT_URL\"}"
# The floors must be answered from the same cache: credentials, not an error.
for floor in artifacts/bench/floor-c artifacts/bench/floor-cs/vouch-floor; do
  $floor "$socket" "$request" | jq -e '.ok and (.credentials.access_key_id | length > 0)' >/dev/null \
    || { echo "bench: $floor did not get cached credentials: $($floor "$socket" "$request" | jq -c 'del(.credentials)')" >&2; exit 1; }
done

json=artifacts/bench/cli.json
hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$json" \
  -n 'vouch credential aws (cached)' "artifacts/bin/vouch credential aws --role $role --format aws-credential-process" \
  -n 'vouch status' 'artifacts/bin/vouch status' \
  -n 'C# NativeAOT floor' "artifacts/bench/floor-cs/vouch-floor $socket '$request'" \
  -n 'C floor' "artifacts/bench/floor-c $socket '$request'" >&2

echo
echo "| command | median | mean ± σ | min | / C# floor | / C floor |"
echo "| --- | --- | --- | --- | --- | --- |"
jq -r '
  (.results | map({(.command): .median}) | add) as $m
  | .results[]
  | "| \(.command) | \(.median * 1000 | . * 100 | round / 100) ms | \(.mean * 1000 | . * 100 | round / 100) ± \(.stddev * 1000 | . * 100 | round / 100) ms | \(.min * 1000 | . * 100 | round / 100) ms | \(.median / $m["C# NativeAOT floor"] | . * 100 | round / 100)x | \(.median / $m["C floor"] | . * 100 | round / 100)x |"' "$json"
echo
echo "binary sizes: vouch $(stat -c %s artifacts/bin/vouch) B, C# floor $(stat -c %s artifacts/bench/floor-cs/vouch-floor) B, C floor $(stat -c %s artifacts/bench/floor-c) B; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# The agent also asks the server (session lookup, ES256 token, a SQLite audit write): not part of the hot path.
hyperfine -N --warmup 10 --runs 100 'artifacts/bin/vouch credential token' >&2
