/**
 * Profiles are computed off the request path, on the `cairn-profiles` Queue: a publish hands its
 * tabular files over after answering (enqueueVersion, in waitUntil), the consumer profiles them
 * (consumeProfiles), and the hourly cron (sweepProfiles) enqueues versions that never were
 * (a publish whose waitUntil died, versions older than this feature) and re-sends profiles left
 * pending by messages that were lost. Idempotent: a message for a profile that is no longer
 * pending is acknowledged and dropped; one for a pending profile recomputes the same result.
 * A file larger than its share of STEP_BYTES (a batch's messages share it) is profiled in steps:
 * each message reads about that share from where the saved progress stopped, saves its own (store.ts saveProgress, a compare-and-swap on
 * the step number, so a redelivered or duplicated message counts nothing twice) and sends the
 * next message.
 */
import { sql } from 'drizzle-orm';
import { type Digest, isDigest } from '../../contract/grammar';
import type { TableSpec } from '../../contract/manifest';
import type { Deps } from '../../deps';
import { readManifestText } from '../versions';
import { profileStep, type StepState, tableFormatOf } from './run';
import {
  claimPending,
  keyText,
  readProgress,
  readState,
  saveProgress,
  writeChunks,
  writeFailed,
  writeReady,
} from './store';

export interface ProfileMessage {
  digest: string;
  path: string;
  key: string[] | null;
}

/** Producer side of the queue (wrangler.toml `[[queues.producers]]`, binding PROFILES). */
export type ProfileQueue = Pick<Queue<ProfileMessage>, 'sendBatch'>;

/** A message redelivered this many times fails its profile instead of retrying forever. */
export const MAX_ATTEMPTS = 3;
const STUCK_MS = 15 * 60_000;
/**
 * Bytes one consumer invocation reads, shared by the messages of its batch (Parquet: uncompressed
 * bytes, whole row groups, as decoding is the cost): at the measured 8 MiB/s of CSV (README
 * "Table diffs", bench) about 16 s of CPU, inside a consumer's 30 s.
 */
export const STEP_BYTES = 128 * 1024 * 1024;
const SEND_BATCH = 100;

interface TabularFile {
  digest: string;
  path: string;
  key: string;
  table?: TableSpec;
}

/** The tabular files, one per (digest, key): a dataset of many identical shards asks once. */
function tabularFiles(files: readonly { path: string; digest: string; table?: TableSpec }[]): TabularFile[] {
  const out = new Map<string, TabularFile>();
  for (const f of files) {
    const key = keyText(f.table?.key);
    if (tableFormatOf(f.path) === null || out.has(`${f.digest} ${key}`)) continue;
    out.set(`${f.digest} ${key}`, {
      digest: f.digest,
      path: f.path,
      key,
      ...(f.table ? { table: f.table } : {}),
    });
  }
  return [...out.values()];
}

async function send(queue: ProfileQueue, files: readonly TabularFile[]): Promise<void> {
  for (let i = 0; i < files.length; i += SEND_BATCH) {
    await queue.sendBatch(
      files.slice(i, i + SEND_BATCH).map((f) => ({
        body: { digest: f.digest, path: f.path, key: f.table?.key ?? null },
        contentType: 'json' as const,
      })),
    );
  }
}

/** Asks for the profiles of these files (with their keys) unless they exist or are asked for. */
export async function requestProfiles(
  deps: Deps,
  queue: ProfileQueue,
  files: readonly { path: string; digest: string; table?: TableSpec }[],
): Promise<void> {
  await send(queue, await claimPending(deps, tabularFiles(files)));
}

/** After a publish: the version's tabular files go to the queue; the version is marked swept. */
export async function enqueueVersion(deps: Deps, queue: ProfileQueue, versionId: number, digest: string) {
  const manifest = JSON.parse(await readManifestText(deps, digest)) as {
    files: { path: string; digest: string; table?: TableSpec }[];
  };
  await requestProfiles(deps, queue, manifest.files);
  await deps.db.run(sql`
    INSERT INTO table_profile_sweeps (version_id, enqueued_at) VALUES (${versionId}, ${deps.now()})
    ON CONFLICT DO NOTHING`);
}

export async function enqueuePublished(deps: Deps, queue: ProfileQueue, digest: string): Promise<void> {
  const [row] = await deps.db.all<{ id: number }>(
    sql`SELECT id FROM versions WHERE digest = ${digest} LIMIT 1`,
  );
  if (row) await enqueueVersion(deps, queue, row.id, digest);
}

/** The cron's part: versions never enqueued, and profiles pending for longer than STUCK_MS. */
export async function sweepProfiles(
  deps: Deps,
  queue: ProfileQueue,
  limit = 20,
): Promise<{ versions: number; resent: number }> {
  const versions = await deps.db.all<{ id: number; digest: string }>(sql`
    SELECT v.id, v.digest FROM versions v LEFT JOIN table_profile_sweeps s ON s.version_id = v.id
    WHERE s.version_id IS NULL ORDER BY v.id LIMIT ${limit}`);
  for (const v of versions) await enqueueVersion(deps, queue, v.id, v.digest);
  const stuck = await deps.db.all<{ digest: string; key: string; path: string }>(sql`
    UPDATE table_profiles SET updated_at = ${deps.now()}
    WHERE rowid IN (SELECT rowid FROM table_profiles WHERE state = 'pending' AND updated_at < ${deps.now() - STUCK_MS} LIMIT 100)
    RETURNING digest, key, path`);
  await send(
    queue,
    stuck.map((s) => ({ ...s, ...(s.key ? { table: { key: JSON.parse(s.key) as string[] } } : {}) })),
  );
  return { versions: versions.length, resent: stuck.length };
}

/**
 * One step of one file's profile, if it is still pending: `continued` when the file is not read
 * to its end yet (the caller sends the message again), `done` when its profile is ready or failed.
 */
export async function profileOne(
  deps: Deps,
  message: ProfileMessage,
  budget = STEP_BYTES,
): Promise<'done' | 'continued' | 'skipped'> {
  const format = tableFormatOf(message.path);
  const key = keyText(message.key);
  if (!format || !isDigest(message.digest)) return 'skipped';
  const state = await readState(deps, message.digest, key);
  if (state && state.state !== 'pending') return 'skipped';
  if (!state) await claimPending(deps, [{ digest: message.digest, path: message.path, key }]);
  const progress = await readProgress<StepState>(deps, message.digest, key);
  const digest = message.digest as Digest;
  let chunks = progress?.chunks ?? 0;
  const flush = async (pages: Uint32Array[]) => {
    chunks += await writeChunks(deps, message.digest, key, chunks, pages);
  };
  const step = await profileStep(deps, digest, format, message.key, progress, budget, flush);
  if (step.kind === 'failed') {
    await writeFailed(deps, message.digest, key, step.reason);
    return 'done';
  }
  if (step.kind === 'done') {
    const { profile, index } = step.result;
    await writeReady(deps, message.digest, key, profile, index, chunks);
    return 'done';
  }
  const moved = await saveProgress(deps, message.digest, key, progress?.step ?? 0, {
    offset: step.offset,
    chunks,
    state: step.state,
  });
  // Another delivery of this step got there first and sent the next message itself.
  return moved ? 'continued' : 'skipped';
}

/** The queue consumer: one message at a time (a profile holds up to a 64 MiB index). */
export async function consumeProfiles(
  deps: Deps,
  batch: MessageBatch<ProfileMessage>,
  batchBytes = STEP_BYTES,
): Promise<void> {
  // The CPU limit is the invocation's, and one invocation runs the whole batch: its messages
  // share one step's bytes (a file left unfinished continues in a message of its own).
  const budget = Math.ceil(batchBytes / Math.max(1, batch.messages.length));
  for (const message of batch.messages) {
    try {
      let step = await profileOne(deps, message.body, budget);
      if (step === 'continued' && deps.profiles) {
        await deps.profiles.sendBatch([{ body: message.body, contentType: 'json' }]);
      } else {
        // No queue to continue on: the steps run here, one after the other.
        while (step === 'continued') step = await profileOne(deps, message.body);
      }
      message.ack();
    } catch (e) {
      console.error(
        JSON.stringify({ queue: 'cairn-profiles', digest: message.body.digest, error: String(e) }),
      );
      if (message.attempts >= MAX_ATTEMPTS) {
        await writeFailed(
          deps,
          message.body.digest,
          keyText(message.body.key),
          'internal error while profiling',
        );
        message.ack();
      } else message.retry();
    }
  }
}
