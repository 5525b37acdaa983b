#!/usr/bin/env bash
# Stops the moto server that start-moto.sh started in DIR, by its PID.
dir=${1:?usage: stop-moto.sh DIR}
[ -f "$dir/moto.pid" ] || exit 0
pid=$(cat "$dir/moto.pid"); kill "$pid" 2>/dev/null
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null; rm -f "$dir/moto.pid"; exit 0
