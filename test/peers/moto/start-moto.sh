#!/usr/bin/env bash
# moto (IAM + STS + S3 emulator, preinstalled with pip) on 127.0.0.1:PORT; its PID goes to DIR/moto.pid.
# moto validates nothing in AssumeRoleWithWebIdentity: it proves wire formats and the AWS CLI path, not trust.
# Usage: start-moto.sh DIR PORT        Stop it with stop-moto.sh DIR.
set -euo pipefail
dir=${1:?usage: start-moto.sh DIR PORT}; port=${2:?usage: start-moto.sh DIR PORT}
mkdir -p "$dir"
bin=$(pyenv which moto_server 2>/dev/null || command -v moto_server || true)
[ -n "$bin" ] || { echo "start-moto.sh: moto_server not found (pip install 'moto[server]')" >&2; exit 1; }
# Bypass the pyenv shim so that the PID recorded is the server's own.
nohup "$bin" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
echo $! >"$dir/moto.pid"
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && exit 0; sleep 0.1; done
echo "start-moto.sh: moto did not answer on port $port:" >&2; cat "$dir/moto.log" >&2; exit 1
