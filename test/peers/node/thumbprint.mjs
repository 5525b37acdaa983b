// Usage: node thumbprint.mjs <jwk-json>
// The RFC 7638 JWK thumbprint (SHA-256, base64url) as jose computes it (calculateJwkThumbprint).
import { calculateJwkThumbprint } from 'jose';
const [jwk] = process.argv.slice(2);
try {
  console.log(JSON.stringify({ ok: true, thumbprint: await calculateJwkThumbprint(JSON.parse(jwk), 'sha256') }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, code: e.code, name: e.name, message: e.message }));
  process.exitCode = 2;
}
