#!/usr/bin/env bash
# Stops the cluster that start-postgres.sh started in DIR (pg_ctl signals the postmaster PID in its pid file).
set -uo pipefail
dir=${1:?usage: stop-postgres.sh DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -f "$dir/data/postmaster.pid" ] || exit 0
if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
else "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
