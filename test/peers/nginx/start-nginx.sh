#!/usr/bin/env bash
# start-nginx.sh DIR HTTPS_PORT HTTP_PORT PKI_DIR BACKEND_PORT...: Debian's nginx as an ordinary process running
# the production site config deploy/nginx/vouch.conf, changed only in its ports and paths: TLS on
# 127.0.0.1:HTTPS_PORT with PKI_DIR/leaf-chain.pem and leaf.key (test/peers/tls/make-test-pki.sh), the http
# redirect on 127.0.0.1:HTTP_PORT, the upstream = the backends on 127.0.0.1, logs and temp files in DIR.
# Returns once nginx answers https; its master's PID is in DIR/nginx.pid. Stop it with kill "$(cat DIR/nginx.pid)".
# SITE=vouch-cluster.conf runs deploy/nginx/vouch-cluster.conf instead, with exactly three backends (its upstream's
# three servers, in order).
set -euo pipefail
usage="usage: start-nginx.sh DIR HTTPS_PORT HTTP_PORT PKI_DIR BACKEND_PORT..."
d=${1:?$usage}; port=${2:?$usage}; http_port=${3:?$usage}; pki=${4:?$usage}; shift 4
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
command -v nginx >/dev/null || { echo "start-nginx.sh: nginx is not installed (scripts/install-test-deps.sh installs it)" >&2; exit 1; }
site_name=${SITE:-vouch.conf}
site=$(cd "$(dirname "$0")/../../.." && pwd)/deploy/nginx/$site_name
d=$(mkdir -p "$d" && cd "$d" && pwd); pki=$(cd "$pki" && pwd)
mkdir -p "$d/tmp" "$d/acme"

conf=$(cat "$site")
if [ "$site_name" = vouch-cluster.conf ]; then
  [ $# = 3 ] || { echo "start-nginx.sh: $site_name has three backends, got $#" >&2; exit 2; }
  backends=("server 10.0.0.11:8080 |server 127.0.0.1:$1 " "server 10.0.0.12:8080 |server 127.0.0.1:$2 " "server 10.0.0.13:8080 |server 127.0.0.1:$3 ")
else
  upstreams=""; for b in "$@"; do upstreams+="server 127.0.0.1:$b; "; done
  backends=("server 127.0.0.1:8080;|$upstreams")
fi
# FROM|TO: every FROM must be in the site config exactly once, so that it cannot drift from what is tested.
replacements=(
  "listen 443 ssl http2;|listen 127.0.0.1:$port ssl http2;"
  "listen [::]:443 ssl http2;|# (tests: loopback IPv4 only)"
  "listen 80;|listen 127.0.0.1:$http_port;"
  "listen [::]:80;|# (tests: loopback IPv4 only)"
  "/etc/letsencrypt/live/vouch.example.com/fullchain.pem|$pki/leaf-chain.pem"
  "/etc/letsencrypt/live/vouch.example.com/privkey.pem|$pki/leaf.key"
  "/var/www/letsencrypt|$d/acme"
  "/var/log/nginx/vouch.access.log|$d/access.log"
  "/var/log/nginx/vouch.error.log|$d/error.log"
  "${backends[@]}"
)
for r in "${replacements[@]}"; do
  from=${r%%|*}; to=${r#*|}
  count=$(grep -cF -- "$from" "$site" || true)
  [ "$count" = 1 ] || { echo "start-nginx.sh: '$from' is in $site $count times, expected once" >&2; exit 1; }
  conf=${conf//"$from"/"$to"}
done
printf '%s\n' "$conf" > "$d/vouch.conf"

# The main file is what Debian's /etc/nginx/nginx.conf is to the site: process settings and the http block.
# Running as root, workers would otherwise become nobody and could not write DIR/tmp.
{
  [ "$(id -u)" = 0 ] && echo "user root;"
  cat <<NGX
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
daemon off;
events { worker_connections 256; }
http {
  default_type application/octet-stream;
  client_body_temp_path $d/tmp; proxy_temp_path $d/tmp; fastcgi_temp_path $d/tmp; uwsgi_temp_path $d/tmp; scgi_temp_path $d/tmp;
  include $d/vouch.conf;
}
NGX
} > "$d/nginx.conf"

nginx -t -q -c "$d/nginx.conf" -p "$d" 2>"$d/test.log" || { cat "$d/test.log" >&2; exit 1; }
rm -f "$d/nginx.pid"
nginx -c "$d/nginx.conf" -p "$d" </dev/null >"$d/out.log" 2>&1 &
master=$!
for _ in $(seq 100); do
  if ! kill -0 "$master" 2>/dev/null; then
    echo "start-nginx.sh: nginx exited at start:" >&2; cat "$d/error.log" "$d/out.log" >&2 2>/dev/null; exit 1
  fi
  if [ -s "$d/nginx.pid" ] && curl -s --cacert "$pki/ca.pem" -o /dev/null "https://localhost:$port/"; then
    exit 0
  fi
  sleep 0.1
done
echo "start-nginx.sh: nginx did not answer on https://localhost:$port in 10 s:" >&2
cat "$d/error.log" "$d/out.log" >&2 2>/dev/null
kill "$master" 2>/dev/null
exit 1
