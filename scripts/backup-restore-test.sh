#!/usr/bin/env bash
# backup-restore-test.sh DATABASE JWKS_URL: backs up Vouch's database, restores the backup into a fresh database,
# starts a vouch-server on the restored copy and proves that it is a working Vouch: it publishes the same JWKS as
# JWKS_URL (the live servers), its audit chain verifies, and, when VOUCH_RESTORE_SESSION holds a live session token,
# it honours that session. docs/operations.md ("Backups and restore") explains when to run it.
#
#   DATABASE   postgres://USER[:PASSWORD]@HOST[:PORT]/NAME (pg_dump -Fc; restored with pg_restore into a new database
#              NAME_restore_<time> on the same PostgreSQL server, dropped at the end unless KEEP_RESTORED=1), or the
#              path of a SQLite file (sqlite3 .backup; restored as a copy in a temporary folder)
#   JWKS_URL   the live JWKS, such as https://vouch.example.com/.well-known/jwks.json (curl; CURL_CA_BUNDLE for a private CA)
#
# Environment: the key-encryption key the live servers use (VOUCH_KEY_ENCRYPTION_KEY or VOUCH_KEY_ENCRYPTION_KEY_FILE:
# without it nothing can be verified), VOUCH_SERVER (default artifacts/bin/vouch-server), BACKUP_DIR (where the backup
# file is left; default a temporary folder, removed at the end), VOUCH_RESTORE_SESSION (optional; never printed).
# Exit 0 when every check passed; otherwise the first failure is printed and the exit status is 1.
set -euo pipefail
usage="usage: backup-restore-test.sh DATABASE JWKS_URL"
source_db=${1:?$usage}; jwks_url=${2:?$usage}
root=$(cd "$(dirname "$0")/.." && pwd)
server=${VOUCH_SERVER:-$root/artifacts/bin/vouch-server}
[ -x "$server" ] || { echo "backup-restore-test: $server is missing (./build.sh, or set VOUCH_SERVER)" >&2; exit 1; }
[ -n "${VOUCH_KEY_ENCRYPTION_KEY:-}${VOUCH_KEY_ENCRYPTION_KEY_FILE:-}" ] \
  || { echo "backup-restore-test: set VOUCH_KEY_ENCRYPTION_KEY or VOUCH_KEY_ENCRYPTION_KEY_FILE to the live servers' key" >&2; exit 1; }

work=$(mktemp -d /tmp/vouch-restore-XXXXXX); chmod 700 "$work"
backup_dir=${BACKUP_DIR:-$work}
server_pid=""; restored_db=""; admin_uri=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -n "$restored_db" ] && [ "${KEEP_RESTORED:-0}" != 1 ]; then
    psql -q "$admin_uri" -c "DROP DATABASE IF EXISTS \"$restored_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "backup-restore-test: FAILED: $*" >&2; exit 1; }

# 1. Back up, as the nightly job would, while the servers keep running.
case "$source_db" in
  postgres://*|postgresql://*)
    backup="$backup_dir/vouch-$(date -u +%Y%m%dT%H%M%SZ).dump"
    pg_dump --format=custom --no-owner --file "$backup" "$source_db" || fail "pg_dump"
    # The same server, its maintenance database, a new database for the copy.
    base=${source_db%/*}; name=${source_db##*/}; name=${name%%\?*}
    admin_uri="$base/postgres"
    restored_db="${name}_restore_$(date -u +%s)"
    psql -q "$admin_uri" -c "CREATE DATABASE \"$restored_db\"" >/dev/null || fail "CREATE DATABASE $restored_db"
    restored="$base/$restored_db"
    pg_restore --no-owner --exit-on-error --dbname "$restored" "$backup" || fail "pg_restore into $restored_db"
    ;;
  *)
    [ -f "$source_db" ] || fail "$source_db is neither a postgres:// URL nor a SQLite file"
    backup="$backup_dir/vouch-$(date -u +%Y%m%dT%H%M%SZ).db"
    # .backup copies a consistent snapshot even while servers write (WAL); copying the file would not.
    sqlite3 "$source_db" ".backup '$backup'" || fail "sqlite3 .backup"
    mkdir -m 700 "$work/restored"; cp "$backup" "$work/restored/vouch.db"; chmod 600 "$work/restored/vouch.db"
    restored="$work/restored/vouch.db"
    ;;
esac
echo "backup: $backup ($(stat -c %s "$backup") bytes)"

# 2. A server on the restored copy, on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
VOUCH_DATABASE="$restored" "$server" serve --issuer "$url" --listen "$url" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  curl -fs -o /dev/null "$url/healthz" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server on the restored database exited"; }
  sleep 0.1
done
curl -fs -o /dev/null "$url/healthz" || { cat "$work/server.log" >&2; fail "the server on the restored database is not healthy after 30 s"; }

# 3. The same signing keys: AWS would accept the restored server's tokens and the live servers' alike.
curl -fsS "$jwks_url" >"$work/live.json" || fail "cannot read the live JWKS at $jwks_url"
curl -fsS "$url/.well-known/jwks.json" >"$work/restored.json" || fail "cannot read the restored server's JWKS"
cmp -s "$work/live.json" "$work/restored.json" || fail "the restored server publishes another JWKS than $jwks_url"
echo "jwks: the same $(grep -o '"kid"' "$work/restored.json" | wc -l) keys as $jwks_url"

# 4. The audit chain, keyed with the key-encryption key, verifies on the copy.
VOUCH_DATABASE="$restored" "$server" audit verify >"$work/verify.out" 2>&1 || { cat "$work/verify.out" >&2; fail "the restored audit chain does not verify"; }
echo "audit: $(tail -n 1 "$work/verify.out")"

# 5. A session opened before the backup is honoured (the header goes through a file: never on a command line).
if [ -n "${VOUCH_RESTORE_SESSION:-}" ]; then
  (umask 077; printf 'Authorization: Bearer %s\n' "$VOUCH_RESTORE_SESSION" >"$work/session.header")
  status=$(curl -s -o /dev/null -w '%{http_code}' -H @"$work/session.header" "$url/api/v1/session")
  [ "$status" = 200 ] || fail "the restored server answered $status for a session opened before the backup"
  echo "session: honoured"
fi
echo "backup-restore-test: OK"
