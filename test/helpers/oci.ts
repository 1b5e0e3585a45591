/** Test helpers for /v2: OCI calls with Basic or Bearer credentials, pushes of blobs and manifests. */
import { ADMIN, call, digestOf, randomBytes } from './http';
import { basic } from './lfs';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

export interface OciError {
  errors: { code: string; message: string; detail?: Record<string, unknown> }[];
}

/** The first OCI error code of a response (or a description of what came instead). */
export async function ociCode(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as OciError).errors[0]?.code ?? `<no code: ${text}>`;
  } catch {
    return `<not JSON: ${res.status} ${text.slice(0, 200)}>`;
  }
}

/** An OCI-style call: a token as HTTP Basic password (the way docker and skopeo send it). */
export function oci(
  path: string,
  options: {
    method?: string;
    token?: string | null;
    body?: BodyInit | null;
    headers?: Record<string, string>;
  } = {},
) {
  const { token = ADMIN, ...rest } = options;
  const headers = { ...(token ? { Authorization: basic(token, 'oci-user') } : {}), ...options.headers };
  return call(path, { ...rest, headers, token: null });
}

/** Pushes bytes as a blob with a monolithic POST ?digest= (end-2 in the conformance suite). */
export async function pushBlob(repo: string, bytes: Uint8Array | string, token?: string) {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const digest = await digestOf(data);
  const res = await oci(`/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    token,
    body: data,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  if (res.status !== 201) throw new Error(`blob push failed: ${res.status} ${await res.text()}`);
  return { digest, size: data.byteLength };
}

export interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** An image manifest over an empty config and the given layers, as exact bytes. */
export async function imageManifest(
  repo: string,
  layers: { bytes?: Uint8Array; mediaType?: string; title?: string }[],
  extra: Record<string, unknown> = {},
) {
  const config = await pushBlob(repo, '{}');
  const pushed: Layer[] = [];
  for (const layer of layers) {
    const blob = await pushBlob(repo, layer.bytes ?? randomBytes(256));
    pushed.push({
      mediaType: layer.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
      ...blob,
      ...(layer.title ? { annotations: { 'org.opencontainers.image.title': layer.title } } : {}),
    });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: EMPTY_CONFIG, ...config },
    layers: pushed,
    ...extra,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest, null, 2));
  return { manifest, bytes, digest: await digestOf(bytes), layers: pushed };
}

export function putManifest(
  repo: string,
  reference: string,
  bytes: Uint8Array,
  token?: string,
  type = OCI_MANIFEST,
) {
  return oci(`/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    token,
    body: bytes,
    headers: { 'Content-Type': type },
  });
}
