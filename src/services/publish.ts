/**
 * Publishing a version. Order is the integrity story (docs/DESIGN.md invariants 2–4):
 *   1. validate everything that can be refused: duplicate paths, missing or mis-sized blobs
 *      (422 BLOB_UNKNOWN / SIZE_MISMATCH), unknown input refs (422 REF_UNKNOWN), kind;
 *   2. build the canonical manifest; its SHA-256 is the version digest. An existing digest is an
 *      idempotent re-post: 200 with the existing version, no new number;
 *   3. write the manifest bytes to R2 (verified by digest, like any blob);
 *   4. one D1 batch makes it all visible at once: the artifact (if new), the version row with
 *      its number, its files and lockfiles, its lineage edges, the manifest's blob row, initial
 *      metrics, the tag moves with their history events, and the idempotency record.
 * A failure before 4 leaves at most an unreferenced manifest object in R2 (invisible; GC's to
 * reclaim); a failure in 4 rolls the whole batch back.
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../contract/grammar';
import { type BatchStatement, chunkJson, type Db, runBatch } from '../db/client';
import { ApiError } from '../errors';
import type { PublishInput } from '../schemas/publish';
import { putVerified } from '../storage/blob-store';
import { findArtifact, resolveRef } from './artifacts';
import { actorOf, type Principal } from './auth';
import { blobBeingDeleted, missingBlobs, releaseIntent, storedSizes, takeIntent } from './blobs';
import { buildManifest, encodeManifest, MANIFEST_MEDIA_TYPE, type ManifestInput } from './manifest';
import { tagMoveStatements } from './tag-statements';

export interface PublishContext {
  db: Db;
  bucket: R2Bucket;
  principal: Principal;
  now?: number;
}

export interface PublishResult {
  created: boolean;
  artifact: string;
  version: number;
  digest: string;
}

/** Statements to store alongside the version in its batch (the idempotency record). */
export type ExtraStatements = (digest: string, status: 200 | 201) => BatchStatement[];

function duplicates(paths: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const p of paths) (seen.has(p) ? dup : seen).add(p);
  return [...dup];
}

async function checkBlobs(db: Db, input: PublishInput, principal: Principal | null) {
  const lockfiles = input.environment?.lockfiles ?? [];
  for (const [what, paths] of [
    ['files', input.files.map((f) => f.path)],
    ['lockfiles', lockfiles.map((f) => f.path)],
  ] as const) {
    const dup = duplicates(paths);
    if (dup.length > 0) {
      throw new ApiError('PATH_INVALID', `${what} has duplicate paths: ${dup.slice(0, 5).join(', ')}`, {
        duplicates: dup.slice(0, 100),
      });
    }
  }
  // Visible to the publisher only: a namespace-limited token cannot reference bytes it never held.
  const sizes = await storedSizes(
    db,
    [...input.files.map((f) => f.digest), ...lockfiles.map((l) => l.digest)],
    principal,
  );
  const missing = [
    ...new Set([...input.files, ...lockfiles].map((f) => f.digest).filter((d) => !sizes.has(d))),
  ];
  if (missing.length > 0) {
    throw new ApiError(
      'BLOB_UNKNOWN',
      `${missing.length} referenced blob(s) are not stored; upload them first`,
      { missing: missing.slice(0, 1000), missingCount: missing.length },
      { status: 422 },
    );
  }
  const wrongSize = input.files.filter((f) => sizes.get(f.digest) !== f.size);
  if (wrongSize.length > 0) {
    throw new ApiError(
      'SIZE_MISMATCH',
      `${wrongSize.length} file(s) declare a size other than the stored blob's`,
      {
        files: wrongSize
          .slice(0, 100)
          .map((f) => ({ path: f.path, declared: f.size, stored: sizes.get(f.digest) })),
      },
    );
  }
  return { totalSize: input.files.reduce((sum, f) => sum + f.size, 0), sizes };
}

async function resolveInputs(ctx: PublishContext, input: PublishInput): Promise<ManifestInput[]> {
  const resolved = await Promise.all(input.inputs.map((i) => resolveRef(ctx.db, i.ref, ctx.principal)));
  const unknown = input.inputs.filter((_, k) => !resolved[k]).map((i) => i.ref.raw);
  if (unknown.length > 0) {
    throw new ApiError('REF_UNKNOWN', `input ref(s) do not resolve: ${unknown.slice(0, 5).join(', ')}`, {
      refs: unknown,
    });
  }
  return input.inputs.map((i, k) => ({ role: i.role, ref: i.ref.raw, digest: resolved[k]!.version.digest }));
}

export async function publishVersion(
  ctx: PublishContext,
  name: string,
  input: PublishInput,
  extra: ExtraStatements = () => [],
): Promise<PublishResult> {
  const { db } = ctx;
  const now = ctx.now ?? Date.now();
  const by = actorOf(ctx.principal);
  const existingArtifact = await findArtifact(db, name);
  if (existingArtifact && existingArtifact.kind !== input.kind) {
    throw new ApiError('KIND_CONFLICT', `${name} is a ${existingArtifact.kind}, not a ${input.kind}`, {
      kind: existingArtifact.kind,
    });
  }
  const [{ totalSize, sizes }, inputs] = await Promise.all([
    checkBlobs(db, input, ctx.principal),
    resolveInputs(ctx, input),
  ]);
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

  const tagMoves = input.tags.flatMap((tag) =>
    tagMoveStatements({ tag, digest, expect: undefined, by, at: now, reason: 'publish' }),
  );
  const existing = await db.query.versions.findFirst({ where: (v, { eq }) => eq(v.digest, digest) });
  if (existing) return republish(ctx, name, existing, tagMoves, extra(digest, 200));

  // The manifest's bytes are written like any blob's: under a write intent (services/blobs.ts).
  const intentId = await takeIntent(db, digest, now);
  if (!intentId) throw blobBeingDeleted(digest);
  const put = await putVerified(ctx.bucket, digest, bytes.buffer as ArrayBuffer, MANIFEST_MEDIA_TYPE).catch(
    async (err: unknown) => {
      await releaseIntent(db, intentId).catch(() => undefined);
      throw err;
    },
  );
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
    ...tagMoves,
    ...extra(digest, 201),
  ];
  try {
    const results = await runBatch(db, statements);
    const number = Number(results[1]?.[0]?.number);
    return { created: true, artifact: name, version: number, digest };
  } catch (err) {
    await releaseIntent(db, intentId).catch(() => undefined);
    // The same manifest published concurrently: the loser sees the winner's version.
    if (/UNIQUE constraint failed: versions\.digest/.test(String(err))) {
      const winner = await db.query.versions.findFirst({ where: (v, { eq }) => eq(v.digest, digest) });
      if (winner) return republish(ctx, name, winner, tagMoves, extra(digest, 200));
    }
    // The GC fence (migrations/0004): a blob was marked for deletion after checkBlobs saw it.
    if (/CAIRN_BLOB_NOT_LIVE/.test(String(err))) {
      const gone = await missingBlobs(
        db,
        fileRows.map((row) => row[2] as Digest),
      );
      throw new ApiError(
        'BLOB_UNKNOWN',
        `${gone.length} referenced blob(s) were garbage-collected while this version was published; upload them again, then retry`,
        { missing: gone.slice(0, 1000), missingCount: gone.length },
        { status: 422 },
      );
    }
    throw err;
  }
}

async function republish(
  ctx: PublishContext,
  name: string,
  version: { number: number; digest: string },
  tagMoves: BatchStatement[],
  extra: BatchStatement[],
): Promise<PublishResult> {
  // The tags listed in the request still move here: that is what the request asked for.
  const statements = [...tagMoves, ...extra];
  await runBatch(ctx.db, statements);
  return { created: false, artifact: name, version: version.number, digest: version.digest as Digest };
}
