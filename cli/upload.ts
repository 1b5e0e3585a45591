/**
 * Uploads the blobs a registry is missing: ask `/v1/blobs/check` (1,000 digests a round trip),
 * then send only the missing ones, `parallel` at a time. A blob up to the single-request limit is
 * one PUT; a larger one is a multipart upload whose parts go one after the other, in order (the
 * server then hashes them as they stream, and completion costs no re-read). Starting the same
 * digest again returns the open session and the parts it already has, so a push that was
 * killed resumes where it stopped and sends only the missing parts.
 */
import { createReadStream } from 'node:fs';
import { type CairnClient, CairnError } from '../src/client/index';
import { READ_CHUNK } from './hashing';
import { mapLimit } from './pool';
import type { Progress } from './progress';

const MiB = 1024 * 1024;
/** The server's default single-request limit; a 413 tells us the real one. */
export const DEFAULT_SINGLE_LIMIT = 95 * MiB;
const ATTEMPTS = 3;

export interface UploadItem {
  abs: string;
  digest: string;
  size: number;
}

export interface UploadOptions {
  parallel: number;
  /** Bytes above which a blob goes up in parts. */
  singleLimit: number;
  /** Part size to ask for (the server decides; undefined: its default). */
  partSize?: number;
  progress: Progress;
  signal: AbortSignal;
}

export interface UploadStats {
  blobs: number;
  missing: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  checkRequests: number;
  /** Parts a resumed multipart session already had. */
  resumedParts: number;
}

/** The file's bytes [start, end) as a stream that reports what it hands to fetch. */
function fileStream(abs: string, start: number, end: number, onBytes: (n: number) => void) {
  const chunks = createReadStream(abs, { start, end: end - 1, highWaterMark: READ_CHUNK })[
    Symbol.asyncIterator
  ]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) return controller.close();
        const buf = value as Buffer;
        onBytes(buf.byteLength);
        controller.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      },
      async cancel() {
        await chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

function retryable(err: unknown): boolean {
  if (!(err instanceof CairnError)) return false;
  return err.code === 'NETWORK_ERROR' || err.status >= 500 || err.code === 'UPLOAD_IN_PROGRESS';
}

/** Sends bytes with a few retries on network errors and 5xx; progress is rolled back per failed try. */
async function send<T>(
  options: UploadOptions,
  attempt: (onBytes: (n: number) => void) => Promise<T>,
): Promise<T> {
  for (let i = 1; ; i++) {
    let sent = 0;
    try {
      return await attempt((n) => {
        sent += n;
        options.progress.addBytes(n);
      });
    } catch (err) {
      options.progress.takeBackBytes(sent);
      if (i >= ATTEMPTS || options.signal.aborted || !retryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** i));
    }
  }
}

export async function uploadMissing(
  client: CairnClient,
  items: readonly UploadItem[],
  options: UploadOptions,
): Promise<UploadStats> {
  const byDigest = new Map(items.map((item) => [item.digest, item]));
  const digests = [...byDigest.keys()];
  const missingDigests = await client.missingBlobs(digests, options.signal);
  // Largest first: the long transfers start early and the small ones fill in around them.
  const missing = missingDigests.map((d) => byDigest.get(d)!).sort((a, b) => b.size - a.size);
  const stats: UploadStats = {
    blobs: digests.length,
    missing: missing.length,
    uploadedBlobs: 0,
    uploadedBytes: 0,
    checkRequests: Math.ceil(digests.length / 1000),
    resumedParts: 0,
  };
  options.progress.totalBytes = missing.reduce((n, item) => n + item.size, 0);
  options.progress.totalItems = missing.length;
  let singleLimit = options.singleLimit;

  await mapLimit(missing, options.parallel, async (item) => {
    let sent = 0;
    if (item.size <= singleLimit) {
      try {
        await send(options, (onBytes) =>
          client.putBlob(
            item.digest,
            item.size === 0 ? new Uint8Array(0) : fileStream(item.abs, 0, item.size, onBytes),
            { size: item.size, signal: options.signal },
          ),
        );
        sent = item.size;
      } catch (err) {
        // The server's limit is lower than we thought: it says which, and we go multipart.
        if (!(err instanceof CairnError && err.code === 'BLOB_TOO_LARGE')) throw err;
        const limit = Number(err.details.limit);
        singleLimit = Math.min(singleLimit, Number.isFinite(limit) && limit > 0 ? limit : item.size - 1);
      }
    }
    if (item.size > singleLimit) sent = await uploadInParts(client, item, options, stats);
    stats.uploadedBlobs++;
    stats.uploadedBytes += sent;
    options.progress.addItem();
  });
  return stats;
}

/** One multipart upload, resumed if a session for this digest is open; returns bytes sent. */
async function uploadInParts(
  client: CairnClient,
  item: UploadItem,
  options: UploadOptions,
  stats: UploadStats,
): Promise<number> {
  const session = await client.startUpload(item.digest, item.size, options.partSize);
  if (session.exists) {
    options.progress.addBytes(item.size);
    return 0;
  }
  const { uploadId, partSize, partCount } = session;
  const have = new Set(session.parts);
  const bounds = (n: number) => [(n - 1) * partSize, Math.min(n * partSize, item.size)] as const;
  for (const n of have) {
    const [start, end] = bounds(n);
    options.progress.addBytes(end - start);
  }
  stats.resumedParts += have.size;
  let sent = 0;
  for (let n = 1; n <= partCount; n++) {
    if (have.has(n)) continue;
    const [start, end] = bounds(n);
    await send(options, (onBytes) =>
      client.putPart(uploadId, n, fileStream(item.abs, start, end, onBytes), {
        size: end - start,
        signal: options.signal,
      }),
    );
    sent += end - start;
  }
  await send(options, () => client.completeUpload(uploadId));
  return sent;
}
