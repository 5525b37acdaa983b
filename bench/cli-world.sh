# Sourced by bench/cli*.sh: the world a developer's vouch lives in, on loopback. Builds what is missing, installs
# hyperfine (apt) when missing, starts the published server (SQLite, software authenticator) and moto as STS,
# enrolls and logs in one user, and stops everything it started (by PID) on exit. Sets: dir, port, socket, role
# (a role ARN; role_n N gives a distinct one, so that the agent's cache misses), agent_pid, server_db.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x artifacts/bin/vouch ] && [ -x artifacts/bin/vouch-server ] || ./build.sh >/dev/null
need() {
  command -v "$1" >/dev/null && return
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -qq "$2" >/dev/null 2>&1 \
    || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }
}
need hyperfine hyperfine; need jq jq; need python3 python3

dir=$(mktemp -d); port=${PORT:-18190}
server_db=$dir/vouch.db
export VOUCH_KEY_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
artifacts/bin/vouch-server serve --issuer "http://127.0.0.1:$port" --attestation any --database "$server_db" >"$dir/server.log" 2>&1 &
server=$!
export HOME=$dir XDG_RUNTIME_DIR=$dir/run VOUCH_SOFTWARE_AUTHENTICATOR=$dir/key.json
mkdir -m 700 "$XDG_RUNTIME_DIR"
test/peers/moto/start-moto.sh "$dir/moto" $((port + 1)) >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$((port + 1)) AWS_REGION=us-east-1
socket=$XDG_RUNTIME_DIR/vouch/agent.sock
cleanup() {
  test/peers/moto/stop-moto.sh "$dir/moto" || true
  [ -f "$socket.pid" ] && kill "$(cat "$socket.pid")" 2>/dev/null
  kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
code=$(artifacts/bin/vouch-server invite --email bench@example.com --database "$server_db" 2>/dev/null)
artifacts/bin/vouch enroll --server "http://127.0.0.1:$port" --invite "$code" 2>/dev/null
artifacts/bin/vouch login 2>/dev/null
agent_pid=$(cat "$socket.pid")
role=arn:aws:iam::123456789012:role/VouchDeveloper
role_n() { echo "arn:aws:iam::123456789012:role/VouchBench$1"; }
# How many records of a type the audit log holds (the server's own admin command, read-only).
audit_count() { artifacts/bin/vouch-server audit --json --database "$server_db" 2>/dev/null | jq -s "[.[] | (if type == \"array\" then .[] else . end) | select(.type == \"$1\")] | length"; }
# How many STS requests moto has answered (its request log: AssumeRoleWithWebIdentity is a POST to /).
sts_count() { grep -c '"POST / HTTP' "$dir/moto/moto.log" || true; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
