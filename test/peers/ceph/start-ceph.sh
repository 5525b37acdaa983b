#!/bin/bash
# A throwaway single-node Ceph (Debian bookworm: ceph 16.2.x "pacific") whose RADOS Gateway is a real,
# token-validating STS: 1 mon, 1 in-memory OSD (memstore), radosgw on 127.0.0.1:$RGW_PORT. No mgr, no systemd.
# Needs Debian packages ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl (scripts/install-test-deps.sh installs them).
# Usage: start-ceph.sh DIR RGW_PORT MON_PORT      Stop it with stop-ceph.sh DIR.
# Seen here: ~30 s to install, ~13 s to start, ~125 MB RSS. Everything lives under $CEPH_DIR; loopback only.
# RGW_TRUSTED_CA=FILE (optional): radosgw also trusts this CA when it fetches an https issuer's discovery document and
# JWKS. RGW 16.2 has no setting for a CA (its libcurl-gnutls reads only /etc/ssl/certs/ca-certificates.crt), so
# radosgw runs in a private mount namespace where that file is the system bundle plus FILE; the machine's own trust
# store is never changed.
set -euo pipefail
D=${1:?usage: start-ceph.sh DIR RGW_PORT MON_PORT}; RGW_PORT=${2:?usage: start-ceph.sh DIR RGW_PORT MON_PORT}; MON_PORT=${3:?usage: start-ceph.sh DIR RGW_PORT MON_PORT}
rm -rf "$D"; mkdir -p "$D"/{mon/ceph-a,osd/ceph-0,run,log,rgw}
FSID=$(uuidgen)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.1/32
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 1073741824
ms bind ipv6 = false
# without this radosgw loops on error -13 to the mon (msgr2 'secure' mode is impossible with auth=none)
ms mon client mode = crc secure
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $D/rgw
rgw s3 auth use sts = true
rgw sts key = abcdefghijklmnop
rgw dns name = 127.0.0.1
debug rgw = 20
CONF
export CEPH_CONF="$D/ceph.conf"
ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring"
ceph-mon -i a
OSD_UUID=$(uuidgen); OSD_ID=$(ceph osd new "$OSD_UUID")
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1
ceph-osd -i "$OSD_ID"
for _ in $(seq 240); do ceph osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.5; done
if [ -n "${RGW_TRUSTED_CA:-}" ]; then
  cat /etc/ssl/certs/ca-certificates.crt "$RGW_TRUSTED_CA" > "$D/rgw/ca-bundle.crt"
  unshare --mount --propagation private sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && exec radosgw -n client.rgw.a' sh "$D/rgw/ca-bundle.crt"
else
  radosgw -n client.rgw.a
fi
for _ in $(seq 240); do curl -sf "http://127.0.0.1:$RGW_PORT/" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$RGW_PORT/" >/dev/null && echo "radosgw answering on 127.0.0.1:$RGW_PORT (logs: $D/log)"
