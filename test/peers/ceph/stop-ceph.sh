#!/bin/bash
# Stops the daemons that start-ceph.sh started, by the PIDs in their pid files only.
D=${1:?usage: stop-ceph.sh DIR}
for f in "$D"/run/client.rgw.a.pid "$D"/run/osd.0.pid "$D"/run/mon.a.pid; do
  [ -f "$f" ] || continue; p=$(cat "$f"); kill "$p" 2>/dev/null || continue
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p"
done
exit 0
