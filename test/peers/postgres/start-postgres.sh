#!/usr/bin/env bash
# Starts a private, throwaway PostgreSQL cluster for the tests: data in DIR, listening on 127.0.0.1:PORT only,
# trust authentication (loopback, test data), durability off for speed. Prints nothing but errors.
# Usage: start-postgres.sh DIR PORT        Stop it with stop-postgres.sh DIR.
set -euo pipefail
dir=${1:?usage: start-postgres.sh DIR PORT}; port=${2:?usage: start-postgres.sh DIR PORT}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "start-postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
mkdir -p "$dir"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# initdb refuses to run as root: the cluster belongs to the postgres user.
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# restart-postgres.sh starts it again with the same options.
echo "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" > "$dir/options"
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start -o "$(cat "$dir/options")" \
  >/dev/null || { cat "$dir/postgres.log" >&2; exit 1; }
