#!/usr/bin/env bash
# Restarts the cluster that start-postgres.sh started in DIR, as an operator's `systemctl restart postgresql` would:
# a fast shutdown (every connection is closed, open transactions roll back), DOWN_SECONDS (default 0) with nothing
# listening, then a start with the same options. Prints nothing but errors.
# Usage: restart-postgres.sh DIR [DOWN_SECONDS]
set -euo pipefail
dir=${1:?usage: restart-postgres.sh DIR [DOWN_SECONDS]}; down=${2:-0}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
sleep "$down"
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start -o "$(cat "$dir/options")" \
  >/dev/null || { cat "$dir/postgres.log" >&2; exit 1; }
