/**
 * Publishing a version. Order is the integrity story (docs/DESIGN.md):
 *   0. a retried request with the same `Idempotency-Key` gets the first answer back, byte for
 *      byte (services/idempotency.ts); the same key with another request is refused;
 *   1. validate everything that can be refused: duplicate paths, missing or mis-sized blobs,
 *      unknown input refs, kind;
 *   2. build the canonical manifest; its SHA-256 is the version digest. An existing digest is an
 *      idempotent re-post: the existing version, no new number;
 *   3. write the manifest bytes to the blob store (verified by digest, like any blob);
 *   4. one D1 batch makes it all visible at once: the artifact (if new), the version row with
 *      its number, its files and lockfiles, its lineage edges, the manifest's blob row, initial
 *      metrics, the tag moves with their history events, the idempotency record, and the
 *      OpenLineage events of the new version and of each tag move (services/openlineage/outbox.ts).
 *      Each tag move is guarded (services/tag-guard.ts): if its policy or its expectation no
 *      longer holds, the whole batch aborts and the publish is refused with nothing written.
 * A failure before 4 leaves at most an unreferenced manifest in the store (invisible; GC's to
 * reclaim); a failure in 4 rolls the whole batch back.
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../contract/grammar';
import { type BatchStatement, chunkJson, runBatch } from '../db/client';
import type { Deps } from '../deps';
import { sha256Hex } from '../lib/digest';
import type { PublishInput } from '../schemas/publish';
import { findArtifact, resolveRef } from './artifacts';
import { actorOf, type Principal } from './auth';
import { missingBlobs, releaseIntent, storedSizes, takeIntent } from './blobs';
import { findReplay, recordPublish } from './idempotency';
import { buildManifest, encodeManifest, type ManifestInput } from './manifest';
import { sourceOf } from './openlineage/events';
import { publishOutboxStatement, tagOutboxStatement } from './openlineage/outbox';
import { type PolicyRule, unmetRules } from './provenance/policy';
import type { Failure, Result } from './result';
import { guardFailure, tagMoveGuards } from './tag-guard';
import { type Expectation, tagMoveStatements } from './tag-statements';
import type { TagConflict } from './tags';

export interface Published {
  kind: 'published';
  created: boolean;
  artifact: string;
  version: number;
  digest: string;
}

/** The first answer to this Idempotency-Key, to send again as it was. */
export interface Replayed {
  kind: 'replayed';
  status: 200 | 201;
  body: string;
}

export type PublishFailure =
  | Failure<'kind-conflict', { kind: string; requested: string }>
  | Failure<'duplicate-paths', { list: 'files' | 'lockfiles'; duplicates: string[] }>
  /** Referenced blobs that are not stored (or not visible to the publisher). */
  | Failure<'blobs-missing', { missing: string[] }>
  | Failure<'size-mismatch', { files: { path: string; declared: number; stored: number | undefined }[] }>
  | Failure<'refs-unknown', { refs: string[] }>
  /** Garbage collection is deleting the manifest's own digest: retry in a few seconds. */
  | Failure<'being-deleted', { digest: Digest }>
  /** Blobs were garbage-collected between the check and the commit: upload them again. */
  | Failure<'blobs-collected', { missing: string[] }>
  | Failure<'idempotency-key-reused', { key: string }>
  /** A named tag's policy requires attestations this version does not have (yet). */
  | Failure<'policy-unsatisfied', { tag: string; missing: PolicyRule[] }>
  /** A tag with an expectation (`PublishOptions.expect`) had moved: nothing was written. */
  | TagConflict;

export type PublishResult = Result<Published | Replayed, PublishFailure>;

export interface PublishOptions {
  /** `Idempotency-Key` and the request it came with (path and body, as received). */
  idempotency?: { key: string; request: string };
  /** The request's origin, for the manifest URL in a recorded answer. */
  origin: string;
  /** Tags that move by compare-and-swap: where each must point (null: nowhere) for the publish. */
  expect?: Readonly<Record<string, Expectation>>;
  /** The tag moves' reason in the history (default `publish`). */
  tagReason?: string;
}

function duplicates(paths: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const p of paths) (seen.has(p) ? dup : seen).add(p);
  return [...dup];
}

async function checkBlobs(
  deps: Deps,
  input: PublishInput,
  principal: Principal | null,
): Promise<Result<{ totalSize: number; sizes: Map<string, number> }, PublishFailure>> {
  const lockfiles = input.environment?.lockfiles ?? [];
  for (const [list, paths] of [
    ['files', input.files.map((f) => f.path)],
    ['lockfiles', lockfiles.map((f) => f.path)],
  ] as const) {
    const dup = duplicates(paths);
    if (dup.length > 0) return { ok: false, reason: 'duplicate-paths', list, duplicates: dup };
  }
  // Visible to the publisher only: a namespace-limited token cannot reference bytes it never held.
  const sizes = await storedSizes(
    deps,
    [...input.files.map((f) => f.digest), ...lockfiles.map((l) => l.digest)],
    principal,
  );
  const missing = [
    ...new Set([...input.files, ...lockfiles].map((f) => f.digest).filter((d) => !sizes.has(d))),
  ];
  if (missing.length > 0) return { ok: false, reason: 'blobs-missing', missing };
  const wrongSize = input.files.filter((f) => sizes.get(f.digest) !== f.size);
  if (wrongSize.length > 0) {
    return {
      ok: false,
      reason: 'size-mismatch',
      files: wrongSize.map((f) => ({ path: f.path, declared: f.size, stored: sizes.get(f.digest) })),
    };
  }
  return { ok: true, totalSize: input.files.reduce((sum, f) => sum + f.size, 0), sizes };
}

async function resolveInputs(
  deps: Deps,
  input: PublishInput,
  principal: Principal,
): Promise<Result<{ inputs: ManifestInput[] }, PublishFailure>> {
  const resolved = await Promise.all(input.inputs.map((i) => resolveRef(deps, i.ref, principal)));
  const unknown = input.inputs.filter((_, k) => !resolved[k]).map((i) => i.ref.raw);
  if (unknown.length > 0) return { ok: false, reason: 'refs-unknown', refs: unknown };
  return {
    ok: true,
    inputs: input.inputs.map((i, k) => ({
      role: i.role,
      ref: i.ref.raw,
      digest: resolved[k]!.version.digest,
    })),
  };
}

export async function publishVersion(
  deps: Deps,
  principal: Principal,
  name: string,
  input: PublishInput,
  options: PublishOptions,
): Promise<PublishResult> {
  let record: (digest: string, status: 200 | 201) => BatchStatement[] = () => [];
  if (options.idempotency) {
    const { key } = options.idempotency;
    const requestHash = await sha256Hex(options.idempotency.request);
    const replay = await findReplay(deps, principal.id, key, requestHash);
    if (replay === 'reused') return { ok: false, reason: 'idempotency-key-reused', key };
    if (replay) return { ok: true, kind: 'replayed', status: replay.status as 200 | 201, body: replay.body };
    record = (digest, status) => [
      recordPublish(deps, {
        principalId: principal.id,
        key,
        requestHash,
        status,
        origin: options.origin,
        digest,
      }),
    ];
  }
  return publish(deps, principal, name, input, record, options);
}

async function publish(
  deps: Deps,
  principal: Principal,
  name: string,
  input: PublishInput,
  record: (digest: string, status: 200 | 201) => BatchStatement[],
  { origin, expect = {}, tagReason: reason = 'publish' }: PublishOptions,
): Promise<PublishResult> {
  const { db } = deps;
  const now = deps.now();
  const by = actorOf(principal);
  const existingArtifact = await findArtifact(deps, name);
  if (existingArtifact && existingArtifact.kind !== input.kind) {
    return { ok: false, reason: 'kind-conflict', kind: existingArtifact.kind, requested: input.kind };
  }
  const [checked, resolved] = await Promise.all([
    checkBlobs(deps, input, principal),
    resolveInputs(deps, input, principal),
  ]);
  if (!checked.ok) return checked;
  if (!resolved.ok) return resolved;
  const { totalSize, sizes } = checked;
  const { inputs } = resolved;
  const manifest = buildManifest({
    artifact: name,
    kind: input.kind,
    files: input.files,
    inputs,
    ...(input.code ? { code: input.code } : {}),
    ...(input.environment ? { environment: input.environment } : {}),
    ...(input.params ? { params: input.params } : {}),
  });
  const { bytes, digest } = await encodeManifest(manifest);

  const lineage = sourceOf(origin, deps.config.openlineage.namespace);
  const moves = input.tags.map((tag) => ({ tag, digest, expect: expect[tag] }));
  const tagMoves = moves.flatMap((move) => [
    ...tagMoveGuards(move),
    ...tagMoveStatements({ ...move, by, at: now, reason }),
    tagOutboxStatement(lineage, { artifact: name, tag: move.tag, to: digest, at: now, by, reason }),
  ]);
  const guarded = (versionId: number | undefined, err: unknown) =>
    guardFailure(deps, name, moves, versionId, err);
  const existing = await db.query.versions.findFirst({ where: (v, { eq }) => eq(v.digest, digest) });
  // Refused up front with the reason; the batch checks the policy again atomically (its guards).
  for (const tag of existingArtifact ? input.tags : []) {
    const missing = await unmetRules(deps, existingArtifact!.id, tag, existing?.id);
    if (missing.length > 0) return { ok: false, reason: 'policy-unsatisfied', tag, missing };
  }
  if (existing) return republish(deps, name, existing, [...tagMoves, ...record(digest, 200)], guarded);

  // The manifest's bytes are written like any blob's: under a write intent (services/blobs.ts).
  const intentId = await takeIntent(deps, digest);
  if (!intentId) return { ok: false, reason: 'being-deleted', digest };
  const put = await deps.blobs.put(digest, bytes).catch(async (err: unknown) => {
    await releaseIntent(deps, intentId).catch(() => undefined);
    throw err;
  });
  if (!put.ok) throw new Error(`manifest ${digest} failed its own digest check`);

  const versionRow = sql`
    INSERT INTO versions (artifact_id, number, digest, file_count, total_size, labels, created_at, created_by)
    SELECT a.id, COALESCE((SELECT MAX(number) FROM versions WHERE artifact_id = a.id), 0) + 1,
           ${digest}, ${input.files.length}, ${totalSize}, ${input.labels ? JSON.stringify(input.labels) : null},
           ${now}, ${by}
    FROM artifacts a WHERE a.name = ${name}
    RETURNING number`;
  const versionId = sql`(SELECT id FROM versions WHERE digest = ${digest})`;
  const fileRows = [
    ...input.files.map((f) => ['file', f.path, f.digest, f.size]),
    ...(input.environment?.lockfiles ?? []).map((l) => [
      'lockfile',
      l.path,
      l.digest,
      sizes.get(l.digest) ?? 0,
    ]),
  ];
  const statements = [
    sql`
      INSERT INTO artifacts (name, namespace, kind, created_at, created_by)
      VALUES (${name}, ${name.slice(0, name.indexOf('/'))}, ${input.kind}, ${now}, ${by})
      ON CONFLICT (name) DO NOTHING`,
    versionRow,
    sql`INSERT INTO blobs (digest, size, created_at) VALUES (${digest}, ${bytes.byteLength}, ${now})
               ON CONFLICT (digest) DO NOTHING`,
    sql`DELETE FROM blob_writes WHERE id = ${intentId}`,
    ...chunkJson(fileRows).map(
      (json) =>
        sql`
        INSERT INTO version_files (version_id, role, path, digest, size)
        SELECT ${versionId}, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM json_each(${json}) j`,
    ),
    ...inputs.map(
      (i) =>
        sql`
        INSERT INTO lineage_edges (input_id, output_id, role, ref)
        SELECT (SELECT id FROM versions WHERE digest = ${i.digest}), ${versionId}, ${i.role}, ${i.ref}
        ON CONFLICT DO NOTHING`,
    ),
    ...(input.metrics && Object.keys(input.metrics).length > 0
      ? [
          sql`INSERT INTO version_metrics (version_id, metrics, at, by)
                     VALUES (${versionId}, ${JSON.stringify(input.metrics)}, ${now}, ${by})`,
        ]
      : []),
    // Before the tag moves: the feed then shows the version before the tags that point to it.
    publishOutboxStatement(lineage, manifest, digest, now, by),
    ...tagMoves,
    ...record(digest, 201),
  ];
  try {
    const results = await runBatch(db, statements);
    const number = Number(results[1]?.[0]?.number);
    return { ok: true, kind: 'published', created: true, artifact: name, version: number, digest };
  } catch (err) {
    await releaseIntent(deps, intentId).catch(() => undefined);
    // The same manifest published concurrently: the loser sees the winner's version.
    if (/UNIQUE constraint failed: versions\.digest/.test(String(err))) {
      const winner = await db.query.versions.findFirst({ where: (v, { eq }) => eq(v.digest, digest) });
      if (winner) return republish(deps, name, winner, [...tagMoves, ...record(digest, 200)], guarded);
    }
    const refused = await guarded(undefined, err);
    if (refused) return refused;
    // The GC fence (migrations/0004): a blob was marked for deletion after checkBlobs saw it.
    if (/CAIRN_BLOB_NOT_LIVE/.test(String(err))) {
      const gone = await missingBlobs(
        deps,
        fileRows.map((row) => row[2] as Digest),
      );
      return { ok: false, reason: 'blobs-collected', missing: gone };
    }
    throw err;
  }
}

async function republish(
  deps: Deps,
  name: string,
  version: { id: number; number: number; digest: string },
  statements: BatchStatement[],
  guarded: (versionId: number, err: unknown) => Promise<PublishFailure | null>,
): Promise<PublishResult> {
  // The tags listed in the request still move here: that is what the request asked for.
  try {
    await runBatch(deps.db, statements);
  } catch (err) {
    const refused = await guarded(version.id, err);
    if (refused) return refused;
    throw err;
  }
  return {
    ok: true,
    kind: 'published',
    created: false,
    artifact: name,
    version: version.number,
    digest: version.digest,
  };
}
