#!/usr/bin/env bash
# make-test-pki.sh DIR [HOSTNAME]: a throwaway PKI for TLS tests, in DIR:
#   ca.pem            the root (clients trust it: curl --cacert, SSL_CERT_FILE for .NET and OpenSSL,
#                     NODE_EXTRA_CA_CERTS for Node)
#   int.pem           the intermediate that signs leaves
#   leaf.pem leaf.key a P-256 leaf for HOSTNAME (default localhost), localhost and 127.0.0.1
#   leaf-chain.pem    leaf + intermediate: what a server sends (as certbot's fullchain.pem)
# Running it again on the same DIR keeps the CA and issues a fresh leaf (new key, new serial), to test reloads.
# The new files are written beside the old ones and renamed into place, the key first. Needs openssl.
set -euo pipefail
d=${1:?usage: make-test-pki.sh DIR [HOSTNAME]}; host=${2:-localhost}
command -v openssl >/dev/null || { echo "make-test-pki.sh: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$d"; cd "$d"
umask 077
quiet() { "$@" 2>openssl.err || { cat openssl.err >&2; exit 1; }; }
if [ ! -f ca.pem ]; then
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 7 \
    -subj "/CN=Vouch Test Root" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr -subj "/CN=Vouch Test Intermediate"
  printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > int.ext
  quiet openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" -out int.pem -days 7 -extfile int.ext
fi
quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key.new -out leaf.csr -subj "/CN=$host"
printf "subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n" "$host" > leaf.ext
# A random serial: every run's leaf is told apart by it.
quiet openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial "0x$(openssl rand -hex 16)" -out leaf.pem.new -days 7 -extfile leaf.ext
cat leaf.pem.new int.pem > leaf-chain.pem.new
# Certificates are public; the keys stay 0600 (umask above).
chmod 644 ca.pem int.pem leaf.pem.new leaf-chain.pem.new
mv leaf.key.new leaf.key; mv leaf.pem.new leaf.pem; mv leaf-chain.pem.new leaf-chain.pem
rm -f openssl.err
