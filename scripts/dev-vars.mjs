// .dev.vars upkeep for `npm start` (scripts/start.mjs). The registry signs provenance with its own
// key (src/services/provenance/signing-keys.ts): an ECDSA P-256 JWK, single-quoted so the dotenv
// parser keeps it literal. Added to an existing .dev.vars too, next to whatever else it holds;
// never replaced (replacing it is a rotation: the old public key stays listed).
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';

/** Appends a fresh REGISTRY_SIGNING_KEY line unless the file has one; true when it added one. */
export function ensureSigningKey(devVars) {
  const text = readFileSync(devVars, 'utf8');
  if (/^REGISTRY_SIGNING_KEY=/m.test(text)) return false;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
  appendFileSync(devVars, `${text.endsWith('\n') || text === '' ? '' : '\n'}REGISTRY_SIGNING_KEY='${jwk}'\n`);
  return true;
}
