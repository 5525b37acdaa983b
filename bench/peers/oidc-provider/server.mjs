// Node's oidc-provider with one ES256 signing key, listening on 127.0.0.1:PORT: bench/http.sh drives its
// /.well-known/jwks.json (the route oidc-provider serves at /jwks) side by side with vouch-server's.
// Usage: node server.mjs PORT         (prints "ready" once listening)
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 18190);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' };
const provider = new Provider(`http://127.0.0.1:${port}`, {
  jwks: { keys: [jwk] },
  clients: [],
  routes: { jwks: '/.well-known/jwks.json' },
});
provider.listen(port, '127.0.0.1', () => console.log('ready'));
