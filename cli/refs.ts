/**
 * Refs on the command line, and the manifest behind one, checked against its digest before use.
 * `ns/name` alone means `ns/name:latest`.
 */
import canonicalize from 'canonicalize';
import type { CairnClient, Manifest, Resolved } from '../src/client/index';
import { isArtifactName, NAME_RULE, parseRef, type Ref } from '../src/contract/grammar';
import { CliError, EXIT, usageError } from './exit-codes';
import { sha256 } from './hashing';

/** The contract's ref grammar (the server's), with its reason, as a usage error. */
function parse(raw: string, ref: string): Ref {
  const parsed = parseRef(ref);
  if (parsed.ok) return parsed.value;
  throw usageError(
    `"${raw}" is not a ref: ${parsed.reason}`,
    'refs are ns/name, ns/name:tag, ns/name@<number> or ns/name@sha256:<hex>',
  );
}

export function normalizeRef(raw: string): string {
  const ref = isArtifactName(raw) ? `${raw}:latest` : raw;
  parse(raw, ref);
  return ref;
}

export function artifactName(raw: string): string {
  if (!isArtifactName(raw)) throw usageError(`"${raw}" is not an artifact name`, `ns/name: ${NAME_RULE}`);
  return raw;
}

/** `ns/name:tag` → [`ns/name`, `tag`]; `ns/name` and other refs → [`ns/name`, null]. */
export function splitTagRef(raw: string): [string, string | null] {
  if (isArtifactName(raw)) return [raw, null];
  const { artifact, selector } = parse(raw, raw);
  return [artifact, selector.kind === 'tag' ? selector.tag : null];
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
