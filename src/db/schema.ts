/**
 * D1 tables (Drizzle schema; SQL migrations in /migrations are generated from this file by
 * `npm run db:generate`). D1 keeps what queries need; bytes and manifests live in R2
 * (see src/storage/blob-store.ts for the key layout).
 *
 *   blobs          one row per verified blob: a row exists only after R2 holds the exact bytes
 *   uploads        multipart upload sessions (one open session per digest)
 *   upload_parts   parts received for a session (re-sending a part replaces its row)
 *   tokens         API tokens, stored as SHA-256 of the secret, never the secret itself
 *   artifacts      `ns/name`, its kind (fixed by the first version)
 *   versions       one row per manifest: per-artifact number, manifest digest, annotations
 *   version_files  the files and lockfiles a version references (file-by-path, blob references)
 *   lineage_edges  input version → output version, with the role and the ref as given
 *   tags           mutable pointers, moved by compare-and-swap on `digest`
 *   tag_events     every tag move, gap-free: each event's `from` is the previous event's `to`
 *   version_metrics  metrics annotations, appended (history kept)
 *   idempotency_keys stored publish responses for `Idempotency-Key` retries
 *   blob_writes    intents to write a blob's bytes, taken before the R2 put (fences garbage collection)
 *   blob_grants    blobs a namespace-limited token proved it holds (uploaded the bytes): readable there
 *   lfs_objects    blobs a Git LFS repository asked for: kept by garbage collection like referenced ones
 *   lfs_locks      Git LFS file locks, per `ns/name` repository
 *   audit_events   every write and every denied attempt: who, what, when, outcome (never a secret)
 *   auth_failures  failed authentications per client key and time window (429 when over the limit)
 *   signing_keys   public keys that may sign attestations (the registry's own marked), revocable
 *   attestations   verified signed statements (Sigstore bundles, stored as blobs) about a version
 *   tag_policies   per tag, the attestations a move to a version requires (services/provenance/policy.ts)
 *   oci_manifests  OCI manifests per repository (exact bytes are a blob), linked to a version if any
 *   oci_manifest_refs  what an OCI manifest references (config, layers, children): kept by GC
 *   oci_tags       which OCI manifest a tag last named over /v2
 *   oci_uploads    OCI upload sessions: offset, chunks staged, resumable SHA-256 state
 *   openlineage_events  the OpenLineage outbox: one event per publish and tag move, written in
 *                  the same batch as the change; the pull feed and the push delivery read it
 *   packs          chunk packs in R2 (services/chunks/): uploading → live → retired/deleting
 *   chunks         where each verified chunk (by SHA-256) lives: pack and offset
 *   chunk_grants   chunks a namespace-limited token proved it holds (uploaded them in a pack)
 *   recipes        blobs stored as chunks: one row per chunked blob (its new bytes at commit)
 *   recipe_chunks  a recipe's chunks in order, keyed by their offset in the blob
 *   chunk_checkpoints  SHA-256 states at chunk boundaries, keyed by a hash of the chunk-list prefix
 *
 * Times are milliseconds since the epoch (integers), rendered as ISO-8601 in responses.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const blobs = sqliteTable(
  'blobs',
  {
    digest: text('digest').primaryKey(),
    size: integer('size').notNull(),
    createdAt: integer('created_at').notNull(),
    /**
     * `live`, or `deleting` once garbage collection has marked it: from then on it is invisible
     * (reads 404, publish refuses it, writes wait) until the sweep removes bytes and row.
     */
    state: text('state', { enum: ['live', 'deleting'] })
      .notNull()
      .default('live'),
  },
  (t) => [index('blobs_state_created_idx').on(t.state, t.createdAt)],
);

export const blobWrites = sqliteTable(
  'blob_writes',
  {
    id: text('id').primaryKey(),
    digest: text('digest').notNull(),
    startedAt: integer('started_at').notNull(),
    /**
     * An OCI upload whose staged chunks (`<stagedId>/1…stagedChunks`) this write makes the blob's:
     * if the writer dies, GC decides from this whether they became the blob or are garbage.
     */
    stagedId: text('staged_id'),
    stagedChunks: integer('staged_chunks'),
  },
  (t) => [index('blob_writes_digest_idx').on(t.digest)],
);

export const uploads = sqliteTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    digest: text('digest').notNull(),
    size: integer('size').notNull(),
    partSize: integer('part_size').notNull(),
    partCount: integer('part_count').notNull(),
    /** R2's own multipart upload id (needed to resume the upload from any request). */
    r2UploadId: text('r2_upload_id').notNull(),
    /** `open` accepts parts; `completing` is leased by one complete call until `leaseUntil`. */
    state: text('state', { enum: ['open', 'completing'] }).notNull(),
    leaseUntil: integer('lease_until'),
    /**
     * Incremental hashing of parts sent in order (services/uploads.ts): `hashState` is the SHA-256
     * state after the first `hashedThrough` parts; -1 means the state is void (complete re-hashes).
     */
    hashedThrough: integer('hashed_through').notNull().default(0),
    hashState: text('hash_state'),
    /** The part a request is hashing right now (claimed before its bytes reach R2), if any. */
    hashClaim: integer('hash_claim'),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    // At most one live session per digest: two sessions assembling the same key in R2 could
    // otherwise overwrite each other's verified bytes.
    uniqueIndex('uploads_digest_unique').on(t.digest),
    index('uploads_expires_at_idx').on(t.expiresAt),
  ],
);

export const uploadParts = sqliteTable(
  'upload_parts',
  {
    uploadId: text('upload_id')
      .notNull()
      .references(() => uploads.id, { onDelete: 'cascade' }),
    partNumber: integer('part_number').notNull(),
    size: integer('size').notNull(),
    etag: text('etag').notNull(),
    /** This etag's bytes were folded into the session's `hashState` (moot once it is void). */
    hashed: integer('hashed', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);

export const tokens = sqliteTable(
  'tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** Hex SHA-256 of the secret token. */
    tokenHash: text('token_hash').notNull(),
    /** JSON array of scopes. */
    scopes: text('scopes', { mode: 'json' }).$type<Scope[]>().notNull(),
    /** JSON array of namespaces the token is limited to; null = all namespaces. */
    namespaces: text('namespaces', { mode: 'json' }).$type<string[] | null>(),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('tokens_hash_unique').on(t.tokenHash)],
);

export const KINDS = ['dataset', 'model', 'other'] as const;
export type Kind = (typeof KINDS)[number];

export const artifacts = sqliteTable(
  'artifacts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Full `ns/name`: what the API shows, sorts and pages by. */
    name: text('name').notNull(),
    namespace: text('namespace').notNull(),
    kind: text('kind', { enum: KINDS }).notNull(),
    createdAt: integer('created_at').notNull(),
    createdBy: text('created_by').notNull(),
  },
  (t) => [uniqueIndex('artifacts_name_unique').on(t.name), index('artifacts_namespace_idx').on(t.namespace)],
);

export const versions = sqliteTable(
  'versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    artifactId: integer('artifact_id')
      .notNull()
      .references(() => artifacts.id),
    number: integer('number').notNull(),
    /** SHA-256 of the canonical manifest: the version's identity (the manifest names its artifact). */
    digest: text('digest').notNull(),
    fileCount: integer('file_count').notNull(),
    totalSize: integer('total_size').notNull(),
    labels: text('labels', { mode: 'json' }).$type<Record<string, string>>(),
    createdAt: integer('created_at').notNull(),
    createdBy: text('created_by').notNull(),
  },
  (t) => [
    uniqueIndex('versions_artifact_number_unique').on(t.artifactId, t.number),
    uniqueIndex('versions_digest_unique').on(t.digest),
  ],
);

export const versionFiles = sqliteTable(
  'version_files',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id),
    /** `file` (an output of the version) or `lockfile` (part of its environment). */
    role: text('role', { enum: ['file', 'lockfile'] }).notNull(),
    path: text('path').notNull(),
    digest: text('digest').notNull(),
    size: integer('size').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.versionId, t.role, t.path] }),
    index('version_files_digest_idx').on(t.digest),
  ],
);

export const lineageEdges = sqliteTable(
  'lineage_edges',
  {
    /** The upstream version (an input). */
    inputId: integer('input_id')
      .notNull()
      .references(() => versions.id),
    /** The downstream version that consumed it. */
    outputId: integer('output_id')
      .notNull()
      .references(() => versions.id),
    role: text('role').notNull(),
    /** The ref as the publisher wrote it (`acme/data:latest`), resolved at publish time. */
    ref: text('ref').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.outputId, t.role, t.inputId] }),
    index('lineage_edges_input_idx').on(t.inputId),
  ],
);

export const tags = sqliteTable(
  'tags',
  {
    artifactId: integer('artifact_id')
      .notNull()
      .references(() => artifacts.id),
    name: text('name').notNull(),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id),
    digest: text('digest').notNull(),
    updatedAt: integer('updated_at').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.artifactId, t.name] }), index('tags_version_idx').on(t.versionId)],
);

export const tagEvents = sqliteTable(
  'tag_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    artifactId: integer('artifact_id')
      .notNull()
      .references(() => artifacts.id),
    tag: text('tag').notNull(),
    /** null: the tag did not exist before this move. */
    fromDigest: text('from_digest'),
    /** null: the tag was deleted. */
    toDigest: text('to_digest'),
    at: integer('at').notNull(),
    by: text('by').notNull(),
    reason: text('reason'),
    /** JSON array of attestation digests a policy-gated move relied on; null when no policy applied. */
    attestations: text('attestations', { mode: 'json' }).$type<string[] | null>(),
  },
  (t) => [index('tag_events_tag_idx').on(t.artifactId, t.tag, t.id)],
);

export const versionMetrics = sqliteTable(
  'version_metrics',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id),
    metrics: text('metrics', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    at: integer('at').notNull(),
    by: text('by').notNull(),
  },
  (t) => [index('version_metrics_version_idx').on(t.versionId, t.id)],
);

export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    principalId: text('principal_id').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of method, path and body: the same key with another request is refused. */
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.principalId, t.key] }),
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
);

export const blobGrants = sqliteTable(
  'blob_grants',
  {
    namespace: text('namespace').notNull(),
    digest: text('digest').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.digest] }), index('blob_grants_digest_idx').on(t.digest)],
);

export const lfsObjects = sqliteTable(
  'lfs_objects',
  {
    /** `ns/name` of the LFS repository. */
    repo: text('repo').notNull(),
    digest: text('digest').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.digest] }), index('lfs_objects_digest_idx').on(t.digest)],
);

export const lfsLocks = sqliteTable(
  'lfs_locks',
  {
    id: text('id').primaryKey(),
    /** The LFS repository: `ns/name` from the `/lfs/{ns}/{name}` URL. */
    repo: text('repo').notNull(),
    path: text('path').notNull(),
    ownerId: text('owner_id').notNull(),
    ownerName: text('owner_name').notNull(),
    lockedAt: integer('locked_at').notNull(),
  },
  (t) => [
    uniqueIndex('lfs_locks_repo_path_unique').on(t.repo, t.path),
    index('lfs_locks_repo_idx').on(t.repo, t.id),
  ],
);

export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    requestId: text('request_id').notNull(),
    /** Principal id (`tok_…`, `admin`) or null for anonymous / unauthenticated callers. */
    actorId: text('actor_id'),
    /** Readable actor (see actorOf): never a secret. */
    actor: text('actor').notNull(),
    ip: text('ip'),
    method: text('method').notNull(),
    path: text('path').notNull(),
    /** What was attempted, e.g. `version.publish`, `tag.move`, `blob.put`, `auth`. */
    action: text('action').notNull(),
    /** `ns/name` when the request names an artifact. */
    artifact: text('artifact'),
    status: integer('status').notNull(),
    /** `ok` (2xx/3xx), `denied` (401/403/429), `failed` (other errors). */
    outcome: text('outcome', { enum: ['ok', 'denied', 'failed'] }).notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_events_artifact_idx').on(t.artifact, t.id),
    index('audit_events_actor_idx').on(t.actorId, t.id),
    index('audit_events_at_idx').on(t.at),
  ],
);

export const authFailures = sqliteTable('auth_failures', {
  /** `ip:<address>` or `token:<sha256 prefix>`: never the token itself. */
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
});

export const OPENLINEAGE_STATUSES = ['pending', 'queued', 'delivered', 'dead'] as const;
export type OpenLineageStatus = (typeof OPENLINEAGE_STATUSES)[number];

export const openlineageEvents = sqliteTable(
  'openlineage_events',
  {
    /** The feed's order: D1 commits one batch at a time, so ids grow in commit order. */
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['publish', 'tag'] }).notNull(),
    /** The namespace of the artifact the event is about (published or tagged). */
    namespace: text('namespace').notNull(),
    /** Every namespace the event names (output and inputs): a limited token sees it only if it holds all. */
    namespaces: text('namespaces', { mode: 'json' }).$type<string[]>().notNull(),
    /** The OpenLineage RunEvent, as JSON text, exactly as delivered and served. */
    event: text('event').notNull(),
    /** The tag_events row a tag-move event describes (unique: one event per move). */
    tagEventId: integer('tag_event_id'),
    /** Push delivery: `pending` (not handed to the queue), `queued`, `delivered`, `dead` (gave up). */
    status: text('status', { enum: OPENLINEAGE_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    queuedAt: integer('queued_at'),
    lastAttemptAt: integer('last_attempt_at'),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('openlineage_events_tag_event_unique').on(t.tagEventId),
    index('openlineage_events_status_idx').on(t.status, t.id),
    index('openlineage_events_namespace_idx').on(t.namespace, t.id),
  ],
);

export const SCOPES = ['read', 'write', 'promote', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type BlobRow = typeof blobs.$inferSelect;
export type UploadRow = typeof uploads.$inferSelect;
export type UploadPartRow = typeof uploadParts.$inferSelect;
export type TokenRow = typeof tokens.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;
export type VersionRow = typeof versions.$inferSelect;
export type TagEventRow = typeof tagEvents.$inferSelect;
export type LfsLockRow = typeof lfsLocks.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

export const signingKeys = sqliteTable('signing_keys', {
  /** Hex SHA-256 of the DER SubjectPublicKeyInfo (a Sigstore bundle's `publicKey.hint`). */
  keyId: text('key_id').primaryKey(),
  name: text('name').notNull(),
  algorithm: text('algorithm', { enum: ['ecdsa-p256', 'ed25519'] }).notNull(),
  /** PEM SubjectPublicKeyInfo. */
  publicKey: text('public_key').notNull(),
  /** JSON array of namespaces whose artifacts the key may attest; null = all. */
  namespaces: text('namespaces', { mode: 'json' }).$type<string[] | null>(),
  /** One of the registry's own keys (current or rotated out): listed, never revoked by DELETE. */
  registry: integer('registry', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at').notNull(),
  createdBy: text('created_by').notNull(),
  revokedAt: integer('revoked_at'),
  revokedBy: text('revoked_by'),
});

export const attestations = sqliteTable(
  'attestations',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id),
    /** SHA-256 of the bundle bytes as received: a blob, kept by GC while this row exists. */
    digest: text('digest').notNull(),
    keyId: text('key_id')
      .notNull()
      .references(() => signingKeys.keyId),
    predicateType: text('predicate_type').notNull(),
    size: integer('size').notNull(),
    createdAt: integer('created_at').notNull(),
    createdBy: text('created_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.digest] }), index('attestations_digest_idx').on(t.digest)],
);

export const tagPolicies = sqliteTable(
  'tag_policies',
  {
    artifactId: integer('artifact_id')
      .notNull()
      .references(() => artifacts.id),
    tag: text('tag').notNull(),
    predicateType: text('predicate_type').notNull(),
    /** JSON array of key ids allowed to satisfy the rule; null = any registered, unrevoked key. */
    keyIds: text('key_ids', { mode: 'json' }).$type<string[] | null>(),
    updatedAt: integer('updated_at').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.artifactId, t.tag, t.predicateType] })],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type AttestationRow = typeof attestations.$inferSelect;
/** OCI manifests (/v2): exact bytes are the blob `digest`; a tagged image manifest links its version. */
export const ociManifests = sqliteTable(
  'oci_manifests',
  {
    /** `ns/name` */
    repo: text('repo').notNull(),
    digest: text('digest').notNull(),
    mediaType: text('media_type').notNull(),
    /** `artifactType`, or the config's media type for an image manifest (the referrers API). */
    artifactType: text('artifact_type'),
    /** The `subject` descriptor's digest (the referrers API). */
    subject: text('subject'),
    annotations: text('annotations', { mode: 'json' }).$type<Record<string, string>>(),
    size: integer('size').notNull(),
    /** The Cairn version this manifest became (pushed by tag), if any. */
    versionDigest: text('version_digest'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repo, t.digest] }),
    index('oci_manifests_subject_idx').on(t.repo, t.subject),
    index('oci_manifests_version_idx').on(t.versionDigest),
    index('oci_manifests_digest_idx').on(t.digest),
  ],
);

/** Blobs an OCI manifest references (config, layers, child manifests): kept by garbage collection. */
export const ociManifestRefs = sqliteTable(
  'oci_manifest_refs',
  {
    repo: text('repo').notNull(),
    manifest: text('manifest').notNull(),
    digest: text('digest').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repo, t.manifest, t.digest] }),
    index('oci_manifest_refs_digest_idx').on(t.digest),
  ],
);

/** Which OCI manifest a tag last named over /v2 (the Cairn tag, if any, is the authority). */
export const ociTags = sqliteTable(
  'oci_tags',
  {
    repo: text('repo').notNull(),
    tag: text('tag').notNull(),
    manifest: text('manifest').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.tag] })],
);

/** OCI upload sessions: chunks staged in order, hashed as they arrive (services/oci/uploads.ts). */
export const ociUploads = sqliteTable(
  'oci_uploads',
  {
    id: text('id').primaryKey(),
    repo: text('repo').notNull(),
    /** Bytes received so far (the next chunk starts here). */
    size: integer('size').notNull().default(0),
    /** Chunks staged so far (numbered 1…chunks). */
    chunks: integer('chunks').notNull().default(0),
    /** SHA-256 state after `size` bytes (lib/resumable-sha256.ts); null before the first chunk. */
    hashState: text('hash_state'),
    /** A request writing a chunk (or completing) owns the session until then. */
    leaseUntil: integer('lease_until'),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('oci_uploads_expires_at_idx').on(t.expiresAt)],
);

export type OciManifestRow = typeof ociManifests.$inferSelect;
export type OciUploadRow = typeof ociUploads.$inferSelect;
export type OpenLineageEventRow = typeof openlineageEvents.$inferSelect;

/** Table profiles (migrations/0008, services/tables/): per file digest and declared key. */
export const tableProfiles = sqliteTable(
  'table_profiles',
  {
    digest: text('digest').notNull(),
    /** JSON array of the key's columns; '' when none is declared. */
    key: text('key').notNull().default(''),
    path: text('path').notNull(),
    state: text('state', { enum: ['pending', 'ready', 'failed'] }).notNull(),
    reason: text('reason'),
    profile: text('profile'),
    indexRows: integer('index_rows'),
    indexColumns: integer('index_columns'),
    indexKeyed: integer('index_keyed'),
    indexChunks: integer('index_chunks'),
    /** 1: each row's cells are prefixed by their count (JSON Lines; migrations/0011). */
    indexWidths: integer('index_widths'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.digest, t.key] }),
    index('table_profiles_pending_idx').on(t.state, t.updatedAt),
  ],
);

export const tableIndexChunks = sqliteTable(
  'table_index_chunks',
  {
    digest: text('digest').notNull(),
    key: text('key').notNull(),
    chunk: integer('chunk').notNull(),
    cells: text('cells').notNull(),
  },
  (t) => [primaryKey({ columns: [t.digest, t.key, t.chunk] })],
);

/** Where a profile computed in steps stands (migrations/0011, services/tables/run.ts). */
export const tableProfileProgress = sqliteTable(
  'table_profile_progress',
  {
    digest: text('digest').notNull(),
    key: text('key').notNull(),
    step: integer('step').notNull(),
    offset: integer('offset').notNull(),
    chunks: integer('chunks').notNull(),
    parts: integer('parts').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.digest, t.key] })],
);

export const tableProfileProgressParts = sqliteTable(
  'table_profile_progress_parts',
  {
    digest: text('digest').notNull(),
    key: text('key').notNull(),
    step: integer('step').notNull(),
    part: integer('part').notNull(),
    body: text('body').notNull(),
  },
  (t) => [primaryKey({ columns: [t.digest, t.key, t.step, t.part] })],
);

export const tableProfileSweeps = sqliteTable('table_profile_sweeps', {
  versionId: integer('version_id')
    .primaryKey()
    .references(() => versions.id, { onDelete: 'cascade' }),
  enqueuedAt: integer('enqueued_at').notNull(),
});

/**
 * Never holds a row: every insert raises (trigger in migrations/0009), which aborts the batch a
 * tag move's guard runs in (services/tag-guard.ts).
 */
export const tagMoveGuards = sqliteTable('tag_move_guards', {
  reason: text('reason').notNull(),
});

/** Chunk-level dedup (migrations/0010, services/chunks/). */
export const PACK_STATES = ['uploading', 'live', 'retired', 'deleting'] as const;
export type PackState = (typeof PACK_STATES)[number];

export const packs = sqliteTable(
  'packs',
  {
    /** `pk_…`; the R2 object is the pack exactly as uploaded (header + data). */
    id: text('id').primaryKey(),
    size: integer('size').notNull(),
    chunkCount: integer('chunk_count').notNull(),
    /**
     * `uploading` while its request streams it (a stale one is an interrupted upload), `live`
     * once verified, `retired` when compaction copied its live chunks elsewhere (deleted after a
     * grace, so reads in flight finish), `deleting` once GC marked it.
     */
    state: text('state', { enum: PACK_STATES }).notNull().default('uploading'),
    createdAt: integer('created_at').notNull(),
    retiredAt: integer('retired_at'),
    /** The pack compaction copied this one's live chunks into (set with `retired`). */
    successor: text('successor'),
  },
  (t) => [index('packs_state_created_idx').on(t.state, t.createdAt)],
);

export const chunks = sqliteTable(
  'chunks',
  {
    /** SHA-256 of the chunk's bytes, 64 lowercase hex. */
    hash: text('hash').primaryKey(),
    packId: text('pack_id').notNull(),
    /** Byte offset of the chunk inside its pack object. */
    packOffset: integer('pack_offset').notNull(),
    length: integer('length').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('chunks_pack_idx').on(t.packId)],
);

export const chunkGrants = sqliteTable(
  'chunk_grants',
  {
    namespace: text('namespace').notNull(),
    hash: text('hash').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.hash] }), index('chunk_grants_hash_idx').on(t.hash)],
);

export const recipes = sqliteTable('recipes', {
  digest: text('digest').primaryKey(),
  /** The commit that wrote this recipe (its batch inserts the recipe's chunks only under it). */
  commitId: text('commit_id').notNull(),
  size: integer('size').notNull(),
  chunkCount: integer('chunk_count').notNull(),
  /** Bytes of chunks no live recipe used before this one: what it added to the store. */
  newBytes: integer('new_bytes').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const recipeChunks = sqliteTable(
  'recipe_chunks',
  {
    digest: text('digest').notNull(),
    /** Where the chunk starts in the blob: offsets are unique and ordered within a recipe. */
    offset: integer('blob_offset').notNull(),
    chunk: text('chunk').notNull(),
    length: integer('length').notNull(),
  },
  (t) => [primaryKey({ columns: [t.digest, t.offset] }), index('recipe_chunks_chunk_idx').on(t.chunk)],
);

export const chunkCheckpoints = sqliteTable(
  'chunk_checkpoints',
  {
    /** Hash of the chunk list up to this boundary (services/chunks/checkpoints.ts). */
    prefix: text('prefix').primaryKey(),
    /** Bytes hashed into `state`: the boundary's offset in the blob. */
    endOffset: integer('end_offset').notNull(),
    /** ResumableSha256 state after those bytes. */
    state: text('state').notNull(),
    /** The blob whose verification wrote it (GC drops it once that blob is gone). */
    digest: text('digest').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('chunk_checkpoints_digest_idx').on(t.digest)],
);

export type PackRow = typeof packs.$inferSelect;
export type RecipeRow = typeof recipes.$inferSelect;
