// Usage: node discover.mjs <issuer>
// OIDC discovery exactly as a relying party does it (openid-client), printing the server metadata as JSON.
// http is accepted only because tests run on loopback.
import * as client from 'openid-client';
const [issuer] = process.argv.slice(2);
try {
  const config = await client.discovery(new URL(issuer), 'vouch-test', undefined, undefined,
    { execute: [client.allowInsecureRequests], timeout: 5 });
  console.log(JSON.stringify({ ok: true, metadata: config.serverMetadata() }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, code: e.code, name: e.name, message: e.message }));
  process.exitCode = 2;
}
