#!/usr/bin/env bash
# Whole-server HTTP benchmarks (issue 13), the published vouch-server pinned to one CPU (taskset -c SERVER_CPU,
# default 0) and wrk on the other (LOAD_CPU, default 1), both on loopback:
#   1. GET /.well-known/jwks.json of vouch-server and of Node's oidc-provider (bench/peers/oidc-provider, pinned to
#      the same CPU) in the same run; discovery and /healthz of vouch-server.
#   2. POST /api/v1/token with live sessions (an ES256 token signed and its token.issued audit record committed
#      before the answer) on SQLite and on PostgreSQL (fsync and synchronous_commit on), at each of CONNECTIONS:
#      requests/s, p50, p99, errors, and the server's resident memory.
#   3. Server CPU per login: USERS software keys enroll, then log in LOGINS times each (the sessions of step 2),
#      the first LOGIN_WARMUP of them to warm the server up (JIT tiering on one pinned core takes thousands of
#      requests); the server's user+system CPU time from /proc over the rest, divided by their number.
# Writes RESULTS (default: a new directory under /var/tmp, on disk, printed at the end): results.txt ("name value"
# lines that bench/report.py turns into docs/benchmarks.md) and every raw wrk output. Stops only what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${RESULTS:-$(mktemp -d /var/tmp/vouch-bench-XXXXXX)}
mkdir -p "$out"
duration=${DURATION:-8s}; connections=${CONNECTIONS:-"1 4 16 64 256"}; databases=${DATABASES:-"sqlite postgres"}
users=${USERS:-8}; logins=${LOGINS:-300}; login_warmup=${LOGIN_WARMUP:-200}; server_cpu=${SERVER_CPU:-0}; load_cpu=${LOAD_CPU:-1}
results="$out/results.txt"
: >"$results"
record() { echo "$1 $2" >>"$results"; echo "  $1 = $2"; }
load() { awk '{print $1}' /proc/loadavg; }

command -v wrk >/dev/null || { echo "http.sh: wrk is missing (apt-get install wrk; bench/run.sh installs it)" >&2; exit 1; }
[ -x artifacts/bin/vouch-server ] || dotnet publish src/Vouch.Server/Vouch.Server.csproj -c Release -r linux-x64 --self-contained false -nologo -v quiet -o artifacts/bin
client=bench/Vouch.Benchmarks/bin/Release/net10.0/Vouch.Benchmarks.dll
[ -f "$client" ] || dotnet build bench/Vouch.Benchmarks/Vouch.Benchmarks.csproj -c Release -nologo -v quiet
peer=bench/peers/oidc-provider
[ -d "$peer/node_modules/oidc-provider" ] || (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error)

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -n "${pg_dir:-}" ] && { runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true; }
  true
}
trap cleanup EXIT

wait_for() { for _ in $(seq 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "http.sh: $1 did not answer" >&2; return 1; }

# wrk on the load CPU; prints requests/s, p50 and p99 in ms, and non-2xx count; keeps the raw output.
run_wrk() { # name connections url [wrk args...]
  local name=$1 c=$2 url=$3; shift 3
  local raw="$out/wrk-$name.txt"
  taskset -c "$load_cpu" wrk -t1 -c"$c" -d"$duration" --latency "$@" "$url" >"$raw"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$raw")
  p50=$(awk '$1 == "50%" {print $2}' "$raw" | ms)
  p99=$(awk '$1 == "99%" {print $2}' "$raw" | ms)
  errors=$(awk '/Non-2xx/ {print $NF}' "$raw"); errors=${errors:-0}
  local socket; socket=$(awk '/Socket errors/ {print $0}' "$raw")
  record "$name.rps" "$rps"; record "$name.p50_ms" "$p50"; record "$name.p99_ms" "$p99"; record "$name.errors" "$errors"
  record "$name.load" "$(load)"
  [ -z "$socket" ] || echo "  ($socket)"
}
# wrk prints 512.00us, 1.20ms, 2.00s: to milliseconds.
ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f\n", v}'; }
rss_mb() { awk '/^VmRSS/ {printf "%.1f\n", $2/1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_mb() { awk '/^VmHWM/ {printf "%.1f\n", $2/1024}' "/proc/$1/status"; }

openssl rand -base64 32 >"$out/kek"; chmod 600 "$out/kek"
record machine "\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), .NET $(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}'), node $(node --version), oidc-provider $(node -p "require('./$peer/node_modules/oidc-provider/package.json').version")\""
record date "$(date -u +%Y-%m-%dT%H:%MZ)"
record duration "$duration"

start_server() { # database port log
  taskset -c "$server_cpu" artifacts/bin/vouch-server serve --development --attestation any --issuer "http://127.0.0.1:$2" \
    --database "$1" --key-encryption-key-file "$out/kek" --token-rate-limit 100000 --ceremony-rate-limit 100000 >"$3" 2>&1 &
  server=$!; pids+=("$server")
  wait_for "http://127.0.0.1:$2/healthz"
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; }

# 1. JWKS against oidc-provider, one after the other on the same CPU.
echo "== GET /.well-known/jwks.json: vouch-server against oidc-provider (server CPU $server_cpu, wrk CPU $load_cpu)"
port=18180; peer_port=18190
start_server "$out/jwks.db" $port "$out/server-jwks.log"
taskset -c "$server_cpu" node "$peer/server.mjs" $peer_port >"$out/oidc-provider.log" 2>&1 &
pids+=($!); node_pid=$!
wait_for "http://127.0.0.1:$peer_port/.well-known/jwks.json"
for warm in 1 2; do
  taskset -c "$load_cpu" wrk -t1 -c64 -d2s "http://127.0.0.1:$port/.well-known/jwks.json" >/dev/null
  taskset -c "$load_cpu" wrk -t1 -c64 -d2s "http://127.0.0.1:$peer_port/.well-known/jwks.json" >/dev/null
done
run_wrk jwks.vouch 64 "http://127.0.0.1:$port/.well-known/jwks.json"
run_wrk jwks.oidc_provider 64 "http://127.0.0.1:$peer_port/.well-known/jwks.json"
record jwks.vouch.bytes "$(curl -s "http://127.0.0.1:$port/.well-known/jwks.json" | wc -c)"
record jwks.oidc_provider.bytes "$(curl -s "http://127.0.0.1:$peer_port/.well-known/jwks.json" | wc -c)"
run_wrk discovery.vouch 64 "http://127.0.0.1:$port/.well-known/openid-configuration"
run_wrk healthz.vouch 64 "http://127.0.0.1:$port/healthz"
kill "$node_pid"; wait "$node_pid" 2>/dev/null || true
stop_server

# A PostgreSQL cluster with durability on (unlike the tests' cluster): the benchmark counts committed records.
start_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pg_dir=$(mktemp -d /var/tmp/vouch-bench-pg-XXXXXX); pg_port=18195
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 >"$out/initdb.log" 2>&1
  # PostgreSQL shares the load CPU with wrk: the server's CPU stays the server's alone.
  as_pg taskset -c "$load_cpu" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 start -o \
    "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200" >/dev/null
  psql -h 127.0.0.1 -p $pg_port -U postgres -qc "CREATE DATABASE vouch" >/dev/null
  record postgres.version "\"$(psql -h 127.0.0.1 -p $pg_port -U postgres -tAc 'SHOW server_version')\""
}

# 2 and 3. Token issuance and logins, per database.
for db in $databases; do
  case $db in
    sqlite) database="$out/tokens.db" ;;
    postgres) start_postgres; database="postgres://postgres@127.0.0.1:$pg_port/vouch" ;;
    *) echo "http.sh: unknown database $db" >&2; exit 2 ;;
  esac
  echo "== POST /api/v1/token on $db"
  start_server "$database" $port "$out/server-$db.log"
  : >"$out/invites-$db.txt"
  for i in $(seq 0 $((users - 1))); do
    artifacts/bin/vouch-server invite --email "bench$i@example.com" --development --database "$database" \
      --key-encryption-key-file "$out/kek" 2>>"$out/invite.log" >>"$out/invites-$db.txt"
  done
  dotnet "$client" sessions --server "http://127.0.0.1:$port/" --invites "$out/invites-$db.txt" --logins "$logins" \
    --warm-up "$login_warmup" --out "$out/sessions-$db.txt" --server-pid "$server" | tee "$out/logins-$db.txt"
  record "login.$db.cpu_ms" "$(awk '/login server CPU/ {print $4}' "$out/logins-$db.txt")"
  record "login.$db.per_s" "$(awk '/^logins/ {print $(NF-5)}' "$out/logins-$db.txt")"
  record "login.$db.measured" "$(awk '/^logins/ {print $2}' "$out/logins-$db.txt")"
  record "login.$db.warm_up" "$(awk '/^logins/ {print $4}' "$out/logins-$db.txt")"
  export SESSIONS="$out/sessions-$db.txt"
  # Warm-up (JIT tiering, pools): the server shares its CPU with nothing, but tiering takes seconds of load.
  taskset -c "$load_cpu" wrk -t1 -c64 -d"${WARMUP:-20s}" -s bench/token.lua "http://127.0.0.1:$port/api/v1/token" >/dev/null
  for c in $connections; do
    before=$(cpu_ticks "$server")
    run_wrk "token.$db.c$c" "$c" "http://127.0.0.1:$port/api/v1/token" -s bench/token.lua
    # Server CPU (user + system, 1/100 s ticks) per answered request: robust to other load on the machine.
    record "token.$db.c$c.cpu_us" "$(awk -v t=$(( $(cpu_ticks "$server") - before )) '/requests in/ {printf "%.0f\n", t * 10000 / $1}' "$out/wrk-token.$db.c$c.txt")"
    record "token.$db.c$c.rss_mb" "$(rss_mb "$server")"
  done
  record "token.$db.peak_rss_mb" "$(hwm_mb "$server")"
  stop_server
  artifacts/bin/vouch-server audit verify --database "$database" --key-encryption-key-file "$out/kek" >"$out/verify-$db.txt" 2>&1 \
    && record "audit.$db.verified" "\"$(head -n 1 "$out/verify-$db.txt" | sed 's/, head .*//')\"" \
    || { echo "http.sh: the audit chain on $db does not verify:" >&2; cat "$out/verify-$db.txt" >&2; exit 1; }
  if [ "$db" = postgres ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null; rm -rf "$pg_dir"; pg_dir=
  fi
done
echo "results: $out"
