#!/usr/bin/env bash
# Cold 'vouch credential aws' (issue 13): the agent's cache misses, so it asks the server for an ID token and calls
# STS (moto) with it. Times N (30) such processes one after the other, each for a role never asked before, and the
# same AssumeRoleWithWebIdentity alone from a tiny Python client over a kept-alive connection; the difference of the
# medians is what vouch adds to the STS round trip (target: at most 20 ms). Also: the agent's very first STS call
# (the AWS SDK's first use in the process), 'vouch credential token' (the server's part) and a cached call.
# One command; takes /tmp/vouch-bench.lock; stops what it started.
[ "${VOUCH_BENCH_LOCKED:-}" ] || exec env VOUCH_BENCH_LOCKED=1 flock /tmp/vouch-bench.lock "$(readlink -f "$0")" "$@"
source "$(dirname "$0")/cli-world.sh"
n=${N:-30}
median() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
p() { sort -n | awk -v q="$1" '{ v[NR] = $1 } END { i = int(NR * q + 0.999999); if (i < 1) i = 1; printf "%.2f", v[i] }'; }

echo "load average before: $(load)"
first=$(python3 bench/cli_processes.py sequential artifacts/bin/vouch "$(role_n First)" 1)
# Warm both sides the same way: a few calls of each before the measured ones.
python3 bench/cli_processes.py sequential artifacts/bin/vouch "$(role_n Warm)" 5 >/dev/null
token=$(artifacts/bin/vouch credential token)
python3 bench/cli_processes.py sts "$AWS_ENDPOINT_URL" "$token" "$(role_n StsWarm)" 5 >/dev/null
cold=$(python3 bench/cli_processes.py sequential artifacts/bin/vouch "$(role_n Cold)" "$n")
sts=$(python3 bench/cli_processes.py sts "$AWS_ENDPOINT_URL" "$token" "$(role_n Sts)" "$n")
hyperfine -N --warmup 5 --runs 50 --export-json artifacts/bench/cli-token.json 'artifacts/bin/vouch credential token' >/dev/null 2>&1
artifacts/bin/vouch credential aws --role "$role" >/dev/null
hyperfine -N --warmup 20 --runs 100 --export-json artifacts/bench/cli-cached.json "artifacts/bin/vouch credential aws --role $role --format aws-credential-process" >/dev/null 2>&1
token_ms=$(jq '.results[0].median * 1000 | . * 100 | round / 100' artifacts/bench/cli-token.json)
cached_ms=$(jq '.results[0].median * 1000 | . * 100 | round / 100' artifacts/bench/cli-cached.json)
cold_median=$(median <<<"$cold"); sts_median=$(median <<<"$sts")

echo
echo "| measured ($n each) | median | p90 | max |"
echo "| --- | --- | --- | --- |"
echo "| cold \`vouch credential aws\` (token + STS, exec to exit) | $cold_median ms | $(p 0.9 <<<"$cold") ms | $(p 1 <<<"$cold") ms |"
echo "| AssumeRoleWithWebIdentity alone (Python, kept-alive connection) | $sts_median ms | $(p 0.9 <<<"$sts") ms | $(p 1 <<<"$sts") ms |"
echo "| \`vouch credential token\` (exec to exit; agent + server) | $token_ms ms | | |"
echo "| cached \`vouch credential aws\` (exec to exit) | $cached_ms ms | | |"
echo "| the agent's first cold call (first use of the AWS SDK) | $first ms | | |"
echo
echo "overhead of cold vouch over the STS round trip: $(awk -v a="$cold_median" -v b="$sts_median" 'BEGIN { printf "%.2f", a - b }') ms (target <= 20 ms); load average after: $(load)"
