/**
 * The registry's integrity invariants (docs/DESIGN.md invariants 1–3 and 8), checked against the real
 * local D1 and R2 for the blobs and artifacts a test touched: nothing visible may reference bytes
 * that are missing or wrong. Returns the problems found (empty when consistent), so a failing
 * test says exactly what broke.
 *
 * - every live `blobs` row among `digests` has an R2 object at its key of exactly that size
 *   (and, for objects up to HASH_LIMIT bytes, whose bytes hash to the digest);
 * - every version of `artifacts` has its manifest as a live blob, and every `version_files` row
 *   a live blob of the size it records;
 * - every tag of `artifacts` points at an existing version with the digest the tag records;
 * - every lineage edge into those versions starts at an existing version;
 * - OpenLineage outbox: exactly one publish event per version, and exactly one event per tag
 *   history row, no more (an event exists if and only if its change committed).
 */
import { r2BlobStore } from '../../src/storage/r2-blob-store';
import { testEnv } from './http';

/** Objects up to this size are re-hashed: a row over wrong bytes is as bad as one over none. */
const HASH_LIMIT = 1024 * 1024;

export interface Scope {
  digests?: readonly string[];
  artifacts?: readonly string[];
}

interface BlobRow {
  digest: string;
  size: number;
  state: string;
}

async function rows<T>(query: string, ...params: unknown[]): Promise<T[]> {
  const result = await testEnv.DB.prepare(query)
    .bind(...params)
    .all<T>();
  return result.results;
}

async function hexOfObject(body: ReadableStream): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', await new Response(body).arrayBuffer()));
  return [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Checks live rows among `digests` against R2; returns the live rows by digest. */
async function checkBlobs(digests: readonly string[], problems: string[]): Promise<Map<string, BlobRow>> {
  const live = new Map<string, BlobRow>();
  if (digests.length === 0) return live;
  const found = await rows<BlobRow>(
    'SELECT digest, size, state FROM blobs WHERE digest IN (SELECT value FROM json_each(?))',
    JSON.stringify([...new Set(digests)]),
  );
  for (const row of found) {
    // A row marked for deletion by GC is invisible; its bytes may already be gone.
    if (row.state !== 'live') continue;
    live.set(row.digest, row);
    // Through the R2 BlobStore, which knows the layout (an adopted OCI upload is a pointer).
    const store = r2BlobStore(testEnv.BLOBS);
    const digest = row.digest as `sha256:${string}`;
    const object = row.size <= HASH_LIMIT ? await store.get(digest) : await store.head(digest);
    if (!object) {
      problems.push(`blob ${row.digest} has a row but no R2 object`);
      continue;
    }
    if (object.size !== row.size) {
      problems.push(`blob ${row.digest}: row says ${row.size} bytes, R2 holds ${object.size}`);
    }
    if ('body' in object) {
      const hex = await hexOfObject(object.body);
      if (`sha256:${hex}` !== row.digest)
        problems.push(`blob ${row.digest}: R2 holds bytes hashing to ${hex}`);
    }
  }
  return live;
}

export async function checkInvariants(scope: Scope): Promise<string[]> {
  const problems: string[] = [];
  const names = JSON.stringify([...(scope.artifacts ?? [])]);
  const versions = await rows<{ id: number; digest: string; name: string; number: number }>(
    `SELECT v.id, v.digest, a.name, v.number FROM versions v JOIN artifacts a ON a.id = v.artifact_id
     WHERE a.name IN (SELECT value FROM json_each(?))`,
    names,
  );
  const files = await rows<{ versionId: number; path: string; digest: string; size: number }>(
    `SELECT f.version_id AS versionId, f.path, f.digest, f.size FROM version_files f
     WHERE f.version_id IN (SELECT value FROM json_each(?))`,
    JSON.stringify(versions.map((v) => v.id)),
  );
  const live = await checkBlobs(
    [...(scope.digests ?? []), ...versions.map((v) => v.digest), ...files.map((f) => f.digest)],
    problems,
  );
  for (const v of versions) {
    if (!live.has(v.digest)) problems.push(`${v.name}@${v.number}: manifest ${v.digest} is not a live blob`);
  }
  for (const f of files) {
    const blob = live.get(f.digest);
    if (!blob) problems.push(`version ${f.versionId} file ${f.path}: ${f.digest} is not a live blob`);
    else if (blob.size !== f.size)
      problems.push(`version ${f.versionId} file ${f.path}: size ${f.size} ≠ ${blob.size}`);
  }
  const tags = await rows<{ name: string; tag: string; digest: string; versionDigest: string | null }>(
    `SELECT a.name, t.name AS tag, t.digest, v.digest AS versionDigest
     FROM tags t JOIN artifacts a ON a.id = t.artifact_id LEFT JOIN versions v ON v.id = t.version_id
     WHERE a.name IN (SELECT value FROM json_each(?))`,
    names,
  );
  for (const t of tags) {
    if (t.versionDigest !== t.digest) {
      problems.push(`${t.name}:${t.tag} points at ${t.digest}, its version row has ${t.versionDigest}`);
    }
  }
  const edges = await rows<{ outputId: number; inputId: number }>(
    `SELECT e.output_id AS outputId, e.input_id AS inputId FROM lineage_edges e
     LEFT JOIN versions v ON v.id = e.input_id
     WHERE v.id IS NULL AND e.output_id IN (SELECT value FROM json_each(?))`,
    JSON.stringify(versions.map((v) => v.id)),
  );
  for (const e of edges)
    problems.push(`lineage edge into version ${e.outputId} from missing version ${e.inputId}`);
  await checkOutbox(names, versions, problems);
  return problems;
}

async function checkOutbox(
  names: string,
  versions: readonly { digest: string; name: string }[],
  problems: string[],
) {
  const published = await rows<{ digest: string; n: number }>(
    `SELECT json_extract(event, '$.outputs[0].facets.version.datasetVersion') AS digest, COUNT(*) AS n
     FROM openlineage_events
     WHERE kind = 'publish' AND json_extract(event, '$.outputs[0].name') IN (SELECT value FROM json_each(?))
     GROUP BY digest`,
    names,
  );
  const events = new Map(published.map((p) => [p.digest, p.n]));
  for (const v of versions) {
    if (events.get(v.digest) !== 1)
      problems.push(`${v.name} ${v.digest}: ${events.get(v.digest) ?? 0} publish events`);
    events.delete(v.digest);
  }
  for (const digest of events.keys()) problems.push(`publish event for ${digest}, which is no version`);
  const [tagged] = await rows<{ history: number; events: number }>(
    `SELECT COUNT(*) AS history, COUNT(o.id) AS events FROM tag_events te
     JOIN artifacts a ON a.id = te.artifact_id LEFT JOIN openlineage_events o ON o.tag_event_id = te.id
     WHERE a.name IN (SELECT value FROM json_each(?))`,
    names,
  );
  const [orphans] = await rows<{ n: number }>(
    `SELECT COUNT(*) AS n FROM openlineage_events o LEFT JOIN tag_events te ON te.id = o.tag_event_id
     WHERE o.kind = 'tag' AND te.id IS NULL`,
  );
  if (tagged && tagged.history !== tagged.events) {
    problems.push(`${tagged.history} tag history rows but ${tagged.events} tag-move events`);
  }
  if (orphans?.n) problems.push(`${orphans.n} tag-move events without their history row`);
}
