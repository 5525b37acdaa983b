#!/usr/bin/env bash
# The agent's resident memory (issue 13; target: at most 40 MB with 100 cached roles): VmRSS and VmHWM from
# /proc/PID/status after login, after one role, and after ROLES (100) roles fetched and cached (one process each,
# 10 at a time). One command; takes /tmp/vouch-bench.lock; stops what it started.
[ "${VOUCH_BENCH_LOCKED:-}" ] || exec env VOUCH_BENCH_LOCKED=1 flock /tmp/vouch-bench.lock "$(readlink -f "$0")" "$@"
source "$(dirname "$0")/cli-world.sh"
roles=${ROLES:-100}
kb() { awk -v k="$1" '$1 == k":" { printf "%.1f", $2 / 1024 }' "/proc/$agent_pid/status"; }
row() { echo "| $1 | $(kb VmRSS) MB | $(kb VmHWM) MB | $(kb RssAnon) MB | $(kb RssFile) MB | $(awk '$1 == "Threads:" { print $2 }' "/proc/$agent_pid/status") |"; }
echo "| agent after | VmRSS | VmHWM (peak) | RssAnon | RssFile | threads |"
echo "| --- | --- | --- | --- | --- | --- |"
row "login"
artifacts/bin/vouch credential aws --role "$(role_n 0)" >/dev/null
row "1 role"
seq 1 $((roles - 1)) | xargs -P 10 -I{} sh -c "artifacts/bin/vouch credential aws --role $(role_n '{}') >/dev/null"
cached=0
for i in $(seq 0 $((roles - 1))); do
  # Served from the cache now: no new STS call (counted from moto's log).
  before=$(sts_count); artifacts/bin/vouch credential aws --role "$(role_n "$i")" >/dev/null
  [ "$(sts_count)" = "$before" ] && cached=$((cached + 1))
done
row "$roles roles ($cached answered from the cache)"
echo
echo "binary: vouch $(stat -c %s artifacts/bin/vouch) B; load average: $(load)"
