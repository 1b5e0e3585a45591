/**
 * Uploads the blobs a registry is missing: ask `/v1/blobs/check` (1,000 digests a round trip),
 * then send only the missing ones, `parallel` at a time. A blob up to the single-request limit is
 * one PUT; a larger one is a multipart upload whose parts go one after the other, in order (the
 * server then hashes them as they stream, and completion costs no re-read). Starting the same
 * digest again returns the open session and the parts it already has, so a push that was
 * killed resumes where it stopped and sends only the missing parts.
 *
 * Garbage collection can race a push: while it deletes a digest, writes of that digest answer
 * 409 BLOB_BUSY with a Retry-After (waited out, capped), and a blob collected between its upload
 * and the publish makes the publish answer 422 BLOB_UNKNOWN listing it (sent again, then the
 * publish is repeated).
 *
 * A file of CHUNK_THRESHOLD bytes or more goes up as content-defined chunks instead
 * (cli/chunked-upload.ts), only the chunks the registry lacks, unless the registry has no chunk
 * API or `chunking` is not on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type CairnClient, CairnError, type Published, type PublishRequest } from '../src/client/index';
import { CHUNK_THRESHOLD, ChunkedUploader } from './chunked-upload';
import { fileStream, withFileStream } from './file-stream';
import type { ChunkList } from './hashing';
import { mapLimit } from './pool';
import type { Progress } from './progress';

const MiB = 1024 * 1024;
/** The server's default single-request limit; a 413 tells us the real one. */
export const DEFAULT_SINGLE_LIMIT = 95 * MiB;
/** Tries per request (the first included) on network errors, 5xx and BLOB_BUSY. */
export const ATTEMPTS = 4;
/** The longest wait a Retry-After gets; a server asking for more is asked again after this. */
export const MAX_RETRY_AFTER_S = 30;
/** Publishes repeated after GC took blobs between their upload and the publish. */
export const REPUBLISHES = 2;

export interface UploadItem {
  abs: string;
  digest: string;
  size: number;
  /** The file's content-defined chunks, when hashing computed them (large files). */
  chunks?: ChunkList;
}

export interface UploadOptions {
  parallel: number;
  /** Bytes above which a blob goes up in parts. */
  singleLimit: number;
  /** Part size to ask for (the server decides; undefined: its default). */
  partSize?: number;
  signal: AbortSignal;
  /** Tells the user about a retry or a re-upload (stderr). */
  note?: (message: string) => void;
  /** Send files of CHUNK_THRESHOLD bytes or more as chunks (default false: whole files). */
  chunking?: boolean;
}

export interface UploadStats {
  blobs: number;
  missing: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  checkRequests: number;
  /** Parts a resumed multipart session already had. */
  resumedParts: number;
  /** Blobs sent again because GC collected them before the publish. */
  reuploadedBlobs: number;
  /** File bytes not sent: blobs the registry had, and chunks it had of chunked files. */
  reusedBytes: number;
  /** Files sent as chunks, the packs that took them, and what the server hashed to verify them. */
  chunkedBlobs: number;
  packs: number;
  verifiedBytes: number;
}

/**
 * How long to wait before trying a request again after it failed with `err` on try `attempt`
 * (1-based), or null when retrying cannot help. A server's Retry-After wins, capped.
 */
export function retryDelayMs(err: unknown, attempt: number): number | null {
  if (!(err instanceof CairnError)) return null;
  const transient =
    err.code === 'NETWORK_ERROR' ||
    err.status >= 500 ||
    err.code === 'UPLOAD_IN_PROGRESS' ||
    err.code === 'BLOB_BUSY';
  if (!transient) return null;
  if (err.retryAfter !== null) return Math.min(err.retryAfter, MAX_RETRY_AFTER_S) * 1000;
  return 250 * 2 ** attempt;
}

/** Runs `attempt` up to ATTEMPTS times while `delay` says its failure is worth retrying. */
async function retrying<T>(
  signal: AbortSignal,
  attempt: () => Promise<T>,
  onRetry: (err: unknown, waitMs: number) => void = () => undefined,
  delay: (err: unknown, attempt: number) => number | null = retryDelayMs,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const waitMs = i < ATTEMPTS && !signal.aborted ? delay(err, i) : null;
      if (waitMs === null) throw err;
      onRetry(err, waitMs);
      await sleep(waitMs, undefined, { signal });
    }
  }
}

/** One push's uploads: what the server lacks, then the publish (repairing what GC took). */
export class Uploader {
  readonly stats: UploadStats = {
    blobs: 0,
    missing: 0,
    uploadedBlobs: 0,
    uploadedBytes: 0,
    checkRequests: 0,
    resumedParts: 0,
    reuploadedBlobs: 0,
    reusedBytes: 0,
    chunkedBlobs: 0,
    packs: 0,
    verifiedBytes: 0,
  };
  private singleLimit: number;
  private readonly chunked: ChunkedUploader | null;

  constructor(
    private readonly client: CairnClient,
    private readonly options: UploadOptions,
  ) {
    this.singleLimit = options.singleLimit;
    this.chunked = !options.chunking
      ? null
      : new ChunkedUploader({
          client,
          signal: options.signal,
          note: options.note,
          send: (what, progress, attempt) => this.send(what, progress, attempt),
        });
  }

  /** Asks which of `items` the registry lacks and uploads those. */
  async uploadMissing(items: readonly UploadItem[], progress: Progress): Promise<UploadStats> {
    const byDigest = new Map(items.map((item) => [item.digest, item]));
    const digests = [...byDigest.keys()];
    const missingDigests = await this.client.missingBlobs(digests, this.options.signal);
    this.stats.blobs = digests.length;
    this.stats.missing = missingDigests.length;
    this.stats.checkRequests = Math.ceil(digests.length / 1000);
    const missingSet = new Set(missingDigests);
    for (const [digest, item] of byDigest) if (!missingSet.has(digest)) this.stats.reusedBytes += item.size;
    await this.upload(
      missingDigests.map((d) => byDigest.get(d) as UploadItem),
      progress,
    );
    return this.stats;
  }

  /**
   * Publishes `body`, whose files and lockfiles are among `items`. When GC collected some of
   * them after they were uploaded (422 BLOB_UNKNOWN with `details.missing`), exactly those are
   * uploaded again (shown on `progress`) and the publish repeated, at most REPUBLISHES times.
   */
  async publish(
    name: string,
    body: PublishRequest,
    items: readonly UploadItem[],
    progress: Progress,
  ): Promise<Published> {
    const byDigest = new Map(items.map((item) => [item.digest, item]));
    for (let round = 0; ; round++) {
      try {
        // Only BLOB_BUSY is retried here (the manifest's own digest being collected): after a
        // network error the version may exist, and a blind retry would report it as unchanged.
        return await retrying(
          this.options.signal,
          () => this.client.publish(name, body),
          (err, ms) => this.noteRetry('publish', err, ms),
          (err, i) => (err instanceof CairnError && err.code === 'BLOB_BUSY' ? retryDelayMs(err, i) : null),
        );
      } catch (err) {
        const collected = collectedItems(err, byDigest);
        if (collected === null || round >= REPUBLISHES) throw err;
        this.options.note?.(
          `cairn: ${collected.length} blob(s) were garbage-collected on the server after their upload; uploading them again and publishing again`,
        );
        this.stats.reuploadedBlobs += collected.length;
        await this.upload(collected, progress);
      }
    }
  }

  private noteRetry(what: string, err: unknown, waitMs: number): void {
    const reason = err instanceof CairnError ? `${err.code}${err.status ? ` (${err.status})` : ''}` : 'error';
    this.options.note?.(`cairn: ${what}: ${reason}; retrying in ${Math.ceil(waitMs / 100) / 10} s`);
  }

  private async upload(items: readonly UploadItem[], progress: Progress): Promise<void> {
    const { parallel } = this.options;
    // Largest first: the long transfers start early and the small ones fill in around them.
    const queue = [...items].sort((a, b) => b.size - a.size);
    progress.totalBytes += queue.reduce((n, item) => n + item.size, 0);
    progress.totalItems += queue.length;
    await mapLimit(queue, parallel, async (item) => {
      if (await this.uploadChunked(item, progress)) return;
      let sent = 0;
      if (item.size <= this.singleLimit) {
        try {
          await this.send(item.digest, progress, (onBytes) =>
            item.size === 0
              ? this.client.putBlob(item.digest, new Uint8Array(0), { size: 0, signal: this.options.signal })
              : withFileStream(fileStream(item.abs, [[0, item.size]], onBytes), (body) =>
                  this.client.putBlob(item.digest, body, { size: item.size, signal: this.options.signal }),
                ),
          );
          sent = item.size;
        } catch (err) {
          // The server's limit is lower than we thought: it says which, and we go multipart.
          if (!(err instanceof CairnError && err.code === 'BLOB_TOO_LARGE')) throw err;
          const limit = Number(err.details.limit);
          this.singleLimit = Math.min(
            this.singleLimit,
            Number.isFinite(limit) && limit > 0 ? limit : item.size - 1,
          );
        }
      }
      if (item.size > this.singleLimit) sent = await this.uploadInParts(item, progress);
      this.stats.uploadedBlobs++;
      this.stats.uploadedBytes += sent;
      progress.addItem();
    });
  }

  /** Sends a large file as chunks; false when it must go whole (small, or no chunk API). */
  private async uploadChunked(item: UploadItem, progress: Progress): Promise<boolean> {
    if (!this.chunked?.supported || item.size < CHUNK_THRESHOLD) return false;
    const result = await this.chunked.upload(item, progress);
    if (result === null) return false;
    this.stats.uploadedBlobs++;
    this.stats.chunkedBlobs++;
    this.stats.uploadedBytes += result.sentBytes;
    this.stats.reusedBytes += result.reusedBytes;
    this.stats.packs += result.packs;
    this.stats.verifiedBytes += result.verifiedBytes;
    progress.addItem();
    return true;
  }

  /** Sends bytes with retries; progress is rolled back per failed try. */
  private send<T>(
    what: string,
    progress: Progress,
    attempt: (onBytes: (n: number) => void) => Promise<T>,
  ): Promise<T> {
    let sent = 0;
    return retrying(
      this.options.signal,
      () => {
        sent = 0;
        return attempt((n) => {
          sent += n;
          progress.addBytes(n);
        });
      },
      (err, ms) => {
        progress.takeBackBytes(sent);
        this.noteRetry(what, err, ms);
      },
    );
  }

  /** One multipart upload, resumed if a session for this digest is open; returns bytes sent. */
  private async uploadInParts(item: UploadItem, progress: Progress): Promise<number> {
    const { client, options } = this;
    const session = await this.send(item.digest, progress, () =>
      client.startUpload(item.digest, item.size, options.partSize),
    );
    if (session.exists) {
      progress.addBytes(item.size);
      return 0;
    }
    const { uploadId, partSize, partCount } = session;
    const have = new Set(session.parts);
    const bounds = (n: number) => [(n - 1) * partSize, Math.min(n * partSize, item.size)] as const;
    for (const n of have) {
      const [start, end] = bounds(n);
      progress.addBytes(end - start);
    }
    this.stats.resumedParts += have.size;
    let sent = 0;
    for (let n = 1; n <= partCount; n++) {
      if (have.has(n)) continue;
      const [start, end] = bounds(n);
      await this.send(`${item.digest} part ${n}`, progress, (onBytes) =>
        withFileStream(fileStream(item.abs, [[start, end]], onBytes), (body) =>
          client.putPart(uploadId, n, body, { size: end - start, signal: options.signal }),
        ),
      );
      sent += end - start;
    }
    await this.send(item.digest, progress, () => client.completeUpload(uploadId));
    return sent;
  }
}

/** The items a 422 BLOB_UNKNOWN lists as missing, or null when it is not that or not all ours. */
function collectedItems(err: unknown, byDigest: ReadonlyMap<string, UploadItem>): UploadItem[] | null {
  if (!(err instanceof CairnError && err.code === 'BLOB_UNKNOWN' && err.status === 422)) return null;
  const missing = err.details.missing;
  if (!Array.isArray(missing) || missing.length === 0) return null;
  const items = missing.map((d) => byDigest.get(String(d)));
  return items.every((item) => item !== undefined) ? (items as UploadItem[]) : null;
}
