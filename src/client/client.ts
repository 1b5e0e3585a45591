/**
 * CairnClient: typed methods for the whole v1 API (docs/API.md), one per route, over `Transport`.
 * Artifact names are `ns/name`; refs are `ns/name:tag`, `ns/name@n` or `ns/name@sha256:…`;
 * a selector is what a version URL takes (a tag, a number or a digest).
 */
import { KNOWN_MAX_CHUNKS, PACK_MEDIA_TYPE } from '../contract/chunks';
import { manifestPath } from '../contract/urls';
import { CairnError } from './errors';
import {
  artifactPath,
  refPath,
  type SendOptions,
  Transport,
  type TransportOptions,
  type UploadBody,
} from './http';
import type {
  ArtifactDetail,
  ArtifactSummary,
  AttestationInfo,
  BlobInfo,
  CreatedToken,
  Direction,
  Explanation,
  Health,
  Impact,
  KeyInfo,
  LineageGraph,
  Manifest,
  MetricsAdded,
  NewKeyRequest,
  NewTokenRequest,
  PackReceipt,
  Page,
  PageOptions,
  PartReceipt,
  Policy,
  Published,
  PublishRequest,
  Recipe,
  RecipeAnswer,
  Resolved,
  SigstoreBundle,
  StartUploadResult,
  TagEvent,
  TagMove,
  TokenInfo,
  UploadSession,
  VersionDetail,
  VersionDiff,
  VersionSummary,
} from './types';

/** The most digests one `POST /v1/blobs/check` takes. */
const CHECK_BATCH = 1000;

export interface LineageOptions {
  direction?: Direction;
  depth?: number;
}

export interface MoveTagRequest {
  digest: string;
  /** Absent: move unconditionally; null: the tag must not exist; a digest: it must point there. */
  expect?: string | null;
  reason?: string;
}

const page = (p: PageOptions = {}) => ({ limit: p.limit, cursor: p.cursor });
const sel = (selector: string | number) => encodeURIComponent(String(selector));

export class CairnClient {
  readonly http: Transport;

  constructor(options: TransportOptions) {
    this.http = new Transport(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  async health(): Promise<Health> {
    return (await this.http.json<Health>('GET', '/v1/health')).body;
  }

  // Blobs

  /** The digests not stored yet, asking in batches of 1,000 (one round trip each). */
  async missingBlobs(digests: readonly string[], signal?: AbortSignal): Promise<string[]> {
    const missing: string[] = [];
    for (let i = 0; i < digests.length; i += CHECK_BATCH) {
      const batch = digests.slice(i, i + CHECK_BATCH);
      const res = await this.http.json<{ missing: string[] }>('POST', '/v1/blobs/check', {
        json: { digests: batch },
        signal,
      });
      missing.push(...res.body.missing);
    }
    return missing;
  }

  /** Stores bytes under their digest; `created` is false when they were already there. */
  async putBlob(
    digest: string,
    body: UploadBody,
    options: { size?: number; signal?: AbortSignal } = {},
  ): Promise<BlobInfo & { created: boolean }> {
    const res = await this.http.json<BlobInfo>('PUT', `/v1/blobs/${digest}`, { body, ...options });
    return { ...res.body, created: res.status === 201 };
  }

  /** Size of a stored blob, or null when it is not stored. */
  async blobSize(digest: string): Promise<number | null> {
    const res = await this.http.send('HEAD', `/v1/blobs/${digest}`, { allow: [404] });
    if (res.status === 404) return null;
    return Number(res.headers.get('content-length'));
  }

  /** The blob's bytes as a response to stream (`range` as in a Range header: `bytes=0-99`). */
  getBlob(digest: string, options: { range?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = options.range ? { range: options.range } : {};
    return this.http.send('GET', `/v1/blobs/${digest}`, { headers, signal: options.signal });
  }

  /** Starts (or resumes: same digest and size) a multipart upload. */
  async startUpload(digest: string, size: number, partSize?: number): Promise<StartUploadResult> {
    const res = await this.http.json<StartUploadResult>('POST', '/v1/uploads', {
      json: { digest, size, ...(partSize ? { partSize } : {}) },
    });
    const body = res.body as StartUploadResult & { exists?: boolean; resumed?: boolean };
    return body.exists
      ? body
      : ({ ...body, exists: false, resumed: body.resumed === true } as StartUploadResult);
  }

  async putPart(
    uploadId: string,
    part: number,
    body: UploadBody,
    options: { size?: number; signal?: AbortSignal } = {},
  ): Promise<PartReceipt> {
    return (
      await this.http.json<PartReceipt>('PUT', `/v1/uploads/${uploadId}/parts/${part}`, { body, ...options })
    ).body;
  }

  async getUpload(uploadId: string): Promise<UploadSession> {
    return (await this.http.json<UploadSession>('GET', `/v1/uploads/${uploadId}`)).body;
  }

  async completeUpload(uploadId: string): Promise<BlobInfo & { created: boolean }> {
    const res = await this.http.json<BlobInfo>('POST', `/v1/uploads/${uploadId}/complete`);
    return { ...res.body, created: res.status === 201 };
  }

  abortUpload(uploadId: string): Promise<void> {
    return this.http.empty('DELETE', `/v1/uploads/${uploadId}`);
  }

  // Chunks (chunk-level dedup: docs/API.md "Chunked uploads")

  /** The chunk ids (64 hex) the registry stores and this token may see, 10,000 a round trip. */
  async knownChunks(ids: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < ids.length; i += KNOWN_MAX_CHUNKS) {
      const res = await this.http.json<{ known: string[] }>('POST', '/v1/chunks/known', {
        json: { chunks: ids.slice(i, i + KNOWN_MAX_CHUNKS) },
        signal,
      });
      for (const id of res.body.known) known.add(id);
    }
    return known;
  }

  /** Uploads a pack (src/contract/chunks.ts: header, then the chunks' bytes); `size` is all of it. */
  async putPack(body: UploadBody, options: { size: number; signal?: AbortSignal }): Promise<PackReceipt> {
    return (
      await this.http.json<PackReceipt>('POST', '/v1/chunks/packs', {
        body,
        headers: { 'content-type': PACK_MEDIA_TYPE },
        ...options,
      })
    ).body;
  }

  /**
   * Commits a blob as its chunks in order. One request verifies as much as the server's budget
   * allows: `status` 202 means "send the same request again" (it resumes where this one stopped).
   */
  async putRecipe(digest: string, recipe: Recipe, signal?: AbortSignal): Promise<RecipeAnswer> {
    const res = await this.http.json<Omit<RecipeAnswer, 'status'>>('PUT', `/v1/blobs/${digest}/recipe`, {
      json: recipe,
      signal,
    });
    return { ...res.body, status: res.status as RecipeAnswer['status'] };
  }

  // Artifacts, versions and manifests

  async publish(
    name: string,
    body: PublishRequest,
    options: { idempotencyKey?: string } = {},
  ): Promise<Published> {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    const res = await this.http.json<Omit<Published, 'created'>>(
      'POST',
      `/v1/artifacts/${artifactPath(name)}/versions`,
      {
        json: body,
        headers,
      },
    );
    return { ...res.body, created: res.status === 201 };
  }

  async listArtifacts(options: PageOptions & { prefix?: string } = {}): Promise<Page<ArtifactSummary>> {
    return (
      await this.http.json<Page<ArtifactSummary>>('GET', '/v1/artifacts', {
        query: { ...page(options), prefix: options.prefix },
      })
    ).body;
  }

  async getArtifact(name: string): Promise<ArtifactDetail> {
    return (await this.http.json<ArtifactDetail>('GET', `/v1/artifacts/${artifactPath(name)}`)).body;
  }

  async listVersions(name: string, options: PageOptions = {}): Promise<Page<VersionSummary>> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions`;
    return (await this.http.json<Page<VersionSummary>>('GET', path, { query: page(options) })).body;
  }

  async getVersion(name: string, selector: string | number): Promise<VersionDetail> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}`;
    return (await this.http.json<VersionDetail>('GET', path)).body;
  }

  /** One file of a version, as a response to stream. */
  getFile(
    name: string,
    selector: string | number,
    filePath: string,
    options: SendOptions = {},
  ): Promise<Response> {
    const encoded = filePath.split('/').map(encodeURIComponent).join('/');
    return this.http.send(
      'GET',
      `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}/files/${encoded}`,
      options,
    );
  }

  async addMetrics(
    name: string,
    selector: string | number,
    metrics: Record<string, number>,
  ): Promise<MetricsAdded> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}/metrics`;
    return (await this.http.json<MetricsAdded>('POST', path, { json: { metrics } })).body;
  }

  /** The exact manifest bytes (what its digest is the SHA-256 of) and their parse. */
  async getManifest(digest: string): Promise<{ bytes: Uint8Array; manifest: Manifest }> {
    const res = await this.http.send('GET', manifestPath(digest));
    const bytes = new Uint8Array(await res.arrayBuffer());
    try {
      return { bytes, manifest: JSON.parse(new TextDecoder().decode(bytes)) as Manifest };
    } catch (err) {
      throw new CairnError(res.status, 'BAD_RESPONSE', `manifest ${digest} is not JSON`, {}, null, {
        cause: err,
      });
    }
  }

  async resolve(ref: string): Promise<Resolved> {
    return (await this.http.json<Resolved>('GET', `/v1/resolve/${refPath(ref)}`)).body;
  }

  // Tags

  async listTags(name: string): Promise<Record<string, string>> {
    return (await this.http.json<Record<string, string>>('GET', `/v1/artifacts/${artifactPath(name)}/tags`))
      .body;
  }

  /** Moves a tag (compare-and-swap with `expect`); 409 TAG_CONFLICT carries `details.current`. */
  async moveTag(name: string, tag: string, move: MoveTagRequest): Promise<TagMove> {
    const path = `/v1/artifacts/${artifactPath(name)}/tags/${encodeURIComponent(tag)}`;
    return (await this.http.json<TagMove>('PUT', path, { json: move })).body;
  }

  deleteTag(name: string, tag: string, reason?: string): Promise<void> {
    const path = `/v1/artifacts/${artifactPath(name)}/tags/${encodeURIComponent(tag)}`;
    return this.http.empty('DELETE', path, { query: { reason } });
  }

  async tagHistory(name: string, tag: string, options: PageOptions = {}): Promise<Page<TagEvent>> {
    const path = `/v1/artifacts/${artifactPath(name)}/tags/${encodeURIComponent(tag)}/history`;
    return (await this.http.json<Page<TagEvent>>('GET', path, { query: page(options) })).body;
  }

  /** Why a tag moved: the diff between where it points now and where it pointed before. */
  async explain(name: string, tag: string): Promise<Explanation> {
    const path = `/v1/artifacts/${artifactPath(name)}/tags/${encodeURIComponent(tag)}/explain`;
    return (await this.http.json<Explanation>('GET', path)).body;
  }

  // Lineage, impact and diff

  async lineage(ref: string, options: LineageOptions = {}): Promise<LineageGraph> {
    return (
      await this.http.json<LineageGraph>('GET', `/v1/lineage/${refPath(ref)}`, { query: { ...options } })
    ).body;
  }

  /** The lineage graph as Mermaid or DOT text. */
  async lineageText(ref: string, format: 'mermaid' | 'dot', options: LineageOptions = {}): Promise<string> {
    const res = await this.http.send('GET', `/v1/lineage/${refPath(ref)}`, { query: { ...options, format } });
    return res.text();
  }

  async impact(ref: string): Promise<Impact> {
    return (await this.http.json<Impact>('GET', `/v1/impact/${refPath(ref)}`)).body;
  }

  async diff(from: string, to: string): Promise<VersionDiff> {
    return (await this.http.json<VersionDiff>('GET', '/v1/diff', { query: { from, to } })).body;
  }

  // Tokens (admin)

  async createToken(request: NewTokenRequest): Promise<CreatedToken> {
    return (await this.http.json<CreatedToken>('POST', '/v1/tokens', { json: request })).body;
  }

  async listTokens(options: PageOptions = {}): Promise<Page<TokenInfo>> {
    return (await this.http.json<Page<TokenInfo>>('GET', '/v1/tokens', { query: page(options) })).body;
  }

  revokeToken(id: string): Promise<void> {
    return this.http.empty('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
  }

  // Provenance, signatures and policies

  /** The registry-signed SLSA provenance bundle of a version. */
  async provenance(name: string, selector: string | number): Promise<SigstoreBundle> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}/provenance`;
    return (await this.http.json<SigstoreBundle>('GET', path)).body;
  }

  /** The unsigned statement (canonical JSON bytes) to sign. */
  async statement(
    name: string,
    selector: string | number,
    type: 'slsa' | 'model-signing',
  ): Promise<Uint8Array> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}/statement`;
    const res = await this.http.send('GET', path, { query: { type } });
    return new Uint8Array(await res.arrayBuffer());
  }

  async attest(name: string, selector: string | number, bundle: Uint8Array): Promise<AttestationInfo> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}/attestations`;
    return (
      await this.http.json<AttestationInfo>('POST', path, {
        body: bundle,
        headers: { 'content-type': 'application/json' },
      })
    ).body;
  }

  async listAttestations(name: string, selector: string | number): Promise<AttestationInfo[]> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}/attestations`;
    return (await this.http.json<{ items: AttestationInfo[] }>('GET', path)).body.items;
  }

  /** One stored attestation bundle, byte for byte. */
  async getAttestation(name: string, selector: string | number, digest: string): Promise<Uint8Array> {
    const path = `/v1/artifacts/${artifactPath(name)}/versions/${sel(selector)}/attestations/${digest}`;
    return new Uint8Array(await (await this.http.send('GET', path)).arrayBuffer());
  }

  async listKeys(): Promise<KeyInfo[]> {
    return (await this.http.json<{ items: KeyInfo[] }>('GET', '/v1/keys')).body.items;
  }

  async addKey(request: NewKeyRequest): Promise<KeyInfo> {
    return (await this.http.json<KeyInfo>('POST', '/v1/keys', { json: request })).body;
  }

  revokeKey(keyId: string): Promise<void> {
    return this.http.empty('DELETE', `/v1/keys/${encodeURIComponent(keyId)}`);
  }

  async getPolicy(name: string): Promise<Policy> {
    return (await this.http.json<{ tags: Policy }>('GET', `/v1/artifacts/${artifactPath(name)}/policy`)).body
      .tags;
  }

  async setPolicy(name: string, policy: Policy): Promise<Policy> {
    const path = `/v1/artifacts/${artifactPath(name)}/policy`;
    return (await this.http.json<{ tags: Policy }>('PUT', path, { json: { tags: policy } })).body.tags;
  }
}

/** Every item of a paginated list, page by page: `for await (const v of all((p) => c.listVersions(n, p)))`. */
export async function* all<T>(list: (page: PageOptions) => Promise<Page<T>>, limit = 500): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page: Page<T> = await list({ limit, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}
