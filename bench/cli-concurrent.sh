#!/usr/bin/env bash
# 200 concurrent 'vouch credential aws' processes on a cold cache (issue 13): every one for the same role that the
# agent has not fetched yet. Counts what reached the server (token.issued audit records) and STS (moto's request
# log) during the burst (target: exactly one of each), and times each process from its spawn to its exit against the
# STS round trip (target: p99 within STS latency + 100 ms). ROUNDS (3) bursts, each for a new role; P (200) processes.
# One command; takes /tmp/vouch-bench.lock; stops what it started.
[ "${VOUCH_BENCH_LOCKED:-}" ] || exec env VOUCH_BENCH_LOCKED=1 flock /tmp/vouch-bench.lock "$(readlink -f "$0")" "$@"
source "$(dirname "$0")/cli-world.sh"
processes=${P:-200}; rounds=${ROUNDS:-3}
median() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
p() { sort -n | awk -v q="$1" '{ v[NR] = $1 } END { i = int(NR * q + 0.999999); if (i < 1) i = 1; printf "%.2f", v[i] }'; }

# The agent's first STS call pays for the AWS SDK's start; that is the cold-start case, not this one.
python3 bench/cli_processes.py sequential artifacts/bin/vouch "$(role_n Warm)" 3 >/dev/null
token=$(artifacts/bin/vouch credential token)
sts=$(python3 bench/cli_processes.py sts "$AWS_ENDPOINT_URL" "$token" "$(role_n Sts)" 20)
sts_median=$(median <<<"$sts")
echo "STS round trip alone (AssumeRoleWithWebIdentity, Python, kept-alive): median $sts_median ms, p99 $(p 0.99 <<<"$sts") ms"
echo
echo "| round | processes | token requests | STS calls | spawn spread | all done after | median | p99 | max | p99 - STS median | load before |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq "$rounds"); do
  before=$(load)
  tokens=$(audit_count token.issued); calls=$(sts_count)
  times=$(python3 bench/cli_processes.py concurrent artifacts/bin/vouch "$(role_n Burst$round)" "$processes" 2>"$dir/spread")
  sleep 0.5   # moto writes its log line after it answers
  tokens=$(( $(audit_count token.issued) - tokens )); calls=$(( $(sts_count) - calls ))
  spread=$(sed -n 's/^# starts spread over \([0-9.]*\) ms.*/\1/p' "$dir/spread")
  done_after=$(sed -n 's/.*all done after \([0-9.]*\) ms.*/\1/p' "$dir/spread")
  p99=$(p 0.99 <<<"$times")
  echo "| $round | $(wc -l <<<"$times") | $tokens | $calls | $spread ms | $done_after ms | $(median <<<"$times") ms | $p99 ms | $(p 1 <<<"$times") ms | $(awk -v a="$p99" -v b="$sts_median" 'BEGIN { printf "%.1f", a - b }') ms | $before |"
done
