/**
 * Refs on the command line, and the manifest behind one, checked against its digest before use.
 * `ns/name` alone means `ns/name:latest`.
 */
import canonicalize from 'canonicalize';
import type { CairnClient, Manifest, Resolved } from '../src/client/index';
import { CliError, EXIT, usageError } from './exit-codes';
import { sha256 } from './hashing';

const NAME = '[a-z0-9][a-z0-9._-]{0,63}/[a-z0-9][a-z0-9._-]{0,63}';
const REF_RE = new RegExp(`^${NAME}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@(\\d+|sha256:[0-9a-f]{64}))$`);
const NAME_RE = new RegExp(`^${NAME}$`);

export function normalizeRef(raw: string): string {
  const ref = NAME_RE.test(raw) ? `${raw}:latest` : raw;
  if (!REF_RE.test(ref)) {
    throw usageError(
      `"${raw}" is not a ref`,
      'refs are ns/name, ns/name:tag, ns/name@<number> or ns/name@sha256:<hex>',
    );
  }
  return ref;
}

export function artifactName(raw: string): string {
  if (!NAME_RE.test(raw))
    throw usageError(`"${raw}" is not an artifact name`, 'names are ns/name, lowercase [a-z0-9._-]');
  return raw;
}

/** `ns/name:tag` → [`ns/name`, `tag`]; other refs → [`ns/name`, null]. */
export function splitTagRef(ref: string): [string, string | null] {
  const i = ref.indexOf(':');
  return i > 0 && !ref.includes('@')
    ? [ref.slice(0, i), ref.slice(i + 1)]
    : [ref.replace(/[@:].*$/, ''), null];
}

export interface VerifiedManifest {
  digest: string;
  bytes: Uint8Array;
  manifest: Manifest;
  /** The bytes are the canonical (RFC 8785) form of their JSON, as the server writes them. */
  canonical: boolean;
}

/** Fetches the manifest and checks that its bytes hash to `digest` (exit 6 otherwise). */
export async function fetchManifest(client: CairnClient, digest: string): Promise<VerifiedManifest> {
  const { bytes, manifest } = await client.getManifest(digest);
  const got = sha256(bytes);
  if (got !== digest) {
    throw new CliError(
      EXIT.VERIFY_FAILED,
      `manifest ${digest}: verification failed (its bytes hash to ${got})`,
    );
  }
  const canonical = canonicalize(manifest) === new TextDecoder().decode(bytes);
  return { digest, bytes, manifest, canonical };
}

export async function resolveManifest(
  client: CairnClient,
  rawRef: string,
): Promise<{ resolved: Resolved } & VerifiedManifest> {
  const resolved = await client.resolve(normalizeRef(rawRef));
  return { resolved, ...(await fetchManifest(client, resolved.digest)) };
}
