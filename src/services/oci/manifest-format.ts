/**
 * The OCI manifest formats /v2 accepts, parsed from the exact bytes a client sent (the bytes are
 * kept and served as they came, so the digest the client computed is the digest served; this
 * parse only decides whether to accept them and what they reference):
 *   - OCI image manifest and image index (image-spec v1.1, with `artifactType` and `subject`);
 *   - Docker image manifest v2 schema 2 and manifest list, for older clients.
 * Cairn stores SHA-256 only, so every descriptor must name a sha256 digest.
 */
import { z } from 'zod';
import { type Digest, isDigest } from '../../contract/grammar';
import type { Failure, Result } from '../result';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

const IMAGE_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST];
const INDEX_TYPES = [OCI_INDEX, DOCKER_LIST];
export const MANIFEST_TYPES = [...IMAGE_TYPES, ...INDEX_TYPES];

/** The spec's "SHOULD accept at least 4 MiB"; larger manifests are refused before they are read. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_DESCRIPTORS = 10_000;

export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

const mediaType = z.string().min(1).max(255);
const annotations = z.record(z.string().max(1024), z.string().max(64 * 1024));

const descriptor = z.looseObject({
  mediaType,
  digest: z.string().refine(isDigest, 'a descriptor digest must be sha256:<64 lowercase hex>'),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  artifactType: mediaType.optional(),
  annotations: annotations.optional(),
});

const common = {
  schemaVersion: z.literal(2),
  mediaType: mediaType.optional(),
  artifactType: mediaType.optional(),
  subject: descriptor.optional(),
  annotations: annotations.optional(),
};

const imageSchema = z.looseObject({
  ...common,
  config: descriptor,
  layers: z.array(descriptor).max(MAX_DESCRIPTORS),
});

const indexSchema = z.looseObject({ ...common, manifests: z.array(descriptor).max(MAX_DESCRIPTORS) });

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string | undefined;
  annotations?: Record<string, string> | undefined;
}

export interface ParsedManifest {
  mediaType: string;
  kind: 'image' | 'index';
  /** For the referrers API: `artifactType`, else (image manifests) the config's media type. */
  artifactType: string | null;
  subject: Digest | null;
  annotations: Record<string, string> | null;
  config: Descriptor | null;
  layers: Descriptor[];
  /** An index's manifests. */
  children: Descriptor[];
}

export type ManifestInvalid = Failure<'manifest-invalid', { problem: string }>;

/** Parses manifest bytes sent with `contentType` (its parameters ignored). */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | undefined,
): Result<ParsedManifest, ManifestInvalid> {
  const invalid = (problem: string): ManifestInvalid => ({ ok: false, reason: 'manifest-invalid', problem });
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return invalid('the manifest is not UTF-8 JSON');
  }
  const declared =
    json && typeof json === 'object' && 'mediaType' in json
      ? (json as { mediaType: unknown }).mediaType
      : undefined;
  if (!MANIFEST_TYPES.includes(type)) {
    return invalid(`Content-Type must be one of ${MANIFEST_TYPES.join(', ')} (got ${JSON.stringify(type)})`);
  }
  if (declared !== undefined && declared !== type) {
    return invalid(`the manifest's mediaType ${JSON.stringify(declared)} is not its Content-Type ${type}`);
  }
  const isIndex = INDEX_TYPES.includes(type);
  const parsed = (isIndex ? indexSchema : imageSchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid(`${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`);
  }
  const m = parsed.data as z.infer<typeof imageSchema> & z.infer<typeof indexSchema>;
  const config = isIndex ? null : (m.config as Descriptor);
  return {
    ok: true,
    mediaType: type,
    kind: isIndex ? 'index' : 'image',
    artifactType: m.artifactType ?? config?.mediaType ?? null,
    subject: (m.subject?.digest as Digest | undefined) ?? null,
    annotations: m.annotations ?? null,
    config,
    layers: isIndex ? [] : (m.layers as Descriptor[]),
    children: isIndex ? (m.manifests as Descriptor[]) : [],
  };
}

/** Every blob a manifest references: config, layers, an index's manifests (not its subject). */
export function referencedDescriptors(m: ParsedManifest): Descriptor[] {
  return [...(m.config ? [m.config] : []), ...m.layers, ...m.children];
}
