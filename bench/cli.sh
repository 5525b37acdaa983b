#!/usr/bin/env bash
# Start-to-exit time of the published NativeAOT CLI with hyperfine, against a local server (software
# authenticator, loopback): 'vouch status' (agent round trip only), 'vouch credential token' (agent + server
# mints a token) and 'vouch credential aws' from the agent's cache (STS: moto). Stops everything by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x artifacts/bin/vouch ] || ./build.sh >/dev/null
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
dir=$(mktemp -d); port=${PORT:-18190}
export VOUCH_KEY_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
artifacts/bin/vouch-server serve --issuer "http://127.0.0.1:$port" --attestation any --database "$dir/vouch.db" >"$dir/server.log" 2>&1 &
server=$!
export HOME=$dir XDG_RUNTIME_DIR=$dir/run VOUCH_SOFTWARE_AUTHENTICATOR=$dir/key.json
mkdir -m 700 "$XDG_RUNTIME_DIR"
test/peers/moto/start-moto.sh "$dir/moto" $((port + 1)) >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$((port + 1))
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
artifacts/bin/vouch credential aws --role $role >/dev/null
hyperfine -N --warmup 10 --runs 200 'artifacts/bin/vouch status' 'artifacts/bin/vouch credential token' \
  "artifacts/bin/vouch credential aws --role $role"
