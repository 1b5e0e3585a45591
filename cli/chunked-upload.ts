/**
 * Chunk-level dedup on push (issue 15; docs/API.md "Chunked uploads"). A file of CHUNK_THRESHOLD
 * bytes or more goes up as content-defined chunks: ask which chunks the registry already has
 * (`POST /v1/chunks/known`), send the others in packs of ~32 MiB (PACK_PARALLEL at a time, their
 * bytes re-read from the file by offset), then commit the file as its recipe
 * (`PUT /v1/blobs/{digest}/recipe`), which the server verifies against the file's SHA-256 before
 * anything becomes visible. The digest stays the file's identity: manifests and pulls see a blob.
 *
 * Why 16 MiB: below it a file is at most ~256 chunks, and a whole-file PUT (one request, one R2
 * object, verified as it streams) costs less than three round trips plus a server-side re-read;
 * the bytes dedup could save on such a file are what a single PUT sends in well under a second.
 * The files whose re-push hurts (a 10 GB CSV with rows appended, a model with a few layers
 * tuned) are far above it.
 *
 * Failures: a server without the chunk API (404 on /v1/chunks/known) gets whole files, as before;
 * a recipe answered 422 CHUNK_UNKNOWN (GC reclaimed a pack between the check and the commit)
 * sends exactly the chunks it lists and commits again; 202 means "verified this much, send the
 * same request again" (a large file is verified across several requests).
 */
import { type CairnClient, CairnError, type Recipe, type RecipeAnswer } from '../src/client/index';
import { encodePackHeader, PACK_MAX_CHUNKS, type PackEntry, RECIPE_MAX_CHUNKS } from '../src/contract/chunks';
import { CliError, EXIT } from './exit-codes';
import { type ByteRange, fileStream, withFileStream } from './file-stream';
import { type ChunkList, chunkId, hashFile } from './hashing';
import { mapLimit } from './pool';
import type { Progress } from './progress';

const MiB = 1024 * 1024;
/** Files this large or larger go up as chunks (see the header for why). */
export const CHUNK_THRESHOLD = 16 * MiB;
/** Data bytes a pack aims at: few R2 writes, and a failed request re-sends little. */
export const PACK_TARGET_BYTES = 32 * MiB;
/** Packs of one file in flight: two keep the link busy while the server hashes and stores one. */
export const PACK_PARALLEL = 2;
/** Commits repeated after the server reported chunks missing (422 CHUNK_UNKNOWN). */
export const RECIPE_REUPLOADS = 2;
/** 202 answers in a row that verified nothing before we stop asking. */
const STALLED_ROUNDS = 3;

export interface ChunkedItem {
  abs: string;
  digest: string;
  size: number;
  /** Computed while hashing; absent when the digest came from the hash cache. */
  chunks?: ChunkList;
}

/** What one chunked file cost. */
export interface ChunkedResult {
  /** File bytes sent in packs. */
  sentBytes: number;
  /** File bytes not sent: chunks the registry already had, or repeated within the file. */
  reusedBytes: number;
  packs: number;
  /** Bytes the server hashed to verify the recipe (all requests). */
  verifiedBytes: number;
  /** The server's answer to the commit (201 new, 200 the blob already existed). */
  answer: RecipeAnswer;
}

export interface ChunkedDeps {
  client: CairnClient;
  signal: AbortSignal;
  note?: (message: string) => void;
  /** Runs a request with the uploader's retries, rolling back the bytes of each failed try. */
  send<T>(
    what: string,
    progress: Progress,
    attempt: (onBytes: (n: number) => void) => Promise<T>,
  ): Promise<T>;
}

/** A distinct chunk of the file: where its first occurrence is. */
interface Located extends PackEntry {
  offset: number;
}

export class ChunkedUploader {
  /** False once the server answered 404 to the chunk API: the rest of the push goes whole. */
  supported = true;

  constructor(private readonly deps: ChunkedDeps) {}

  /**
   * Uploads one file as chunks; null when it must go whole (nothing was sent): the server has no
   * chunk API, or the file has more chunks than one recipe may list (~16 GiB).
   */
  async upload(item: ChunkedItem, progress: Progress): Promise<ChunkedResult | null> {
    const { client, signal } = this.deps;
    const list = item.chunks ?? (await this.rechunk(item));
    if (list.lengths.length > RECIPE_MAX_CHUNKS) return null;
    const byId = new Map<string, Located>();
    const recipe: Recipe = { size: item.size, chunks: [] };
    let offset = 0;
    for (let i = 0; i < list.lengths.length; i++) {
      const hex = chunkId(list, i);
      const length = list.lengths[i] as number;
      if (!byId.has(hex)) byId.set(hex, { hex, length, offset });
      recipe.chunks.push([hex, length]);
      offset += length;
    }
    let known: Set<string>;
    try {
      known = await this.deps.send(`${item.digest} chunks`, progress, () =>
        client.knownChunks([...byId.keys()], signal),
      );
    } catch (err) {
      if (!(err instanceof CairnError && err.status === 404)) throw err;
      this.supported = false;
      this.deps.note?.(
        'cairn: this registry does not store chunks (404 on /v1/chunks); uploading whole files',
      );
      return null;
    }
    const missing = [...byId.values()].filter((c) => !known.has(c.hex));
    const missingBytes = missing.reduce((n, c) => n + c.length, 0);
    progress.addBytes(item.size - missingBytes);
    let packs = await this.sendChunks(item, missing, progress);
    let sentBytes = missingBytes;
    let verifiedBytes = 0;
    for (let round = 0, stalled = 0; ; ) {
      let answer: RecipeAnswer;
      try {
        answer = await this.deps.send(item.digest, progress, () =>
          client.putRecipe(item.digest, recipe, signal),
        );
      } catch (err) {
        const lost = lostChunks(err, byId);
        if (lost === null || round++ >= RECIPE_REUPLOADS) throw changedFile(err, item) ?? err;
        const bytes = lost.reduce((n, c) => n + c.length, 0);
        this.deps.note?.(
          `cairn: ${lost.length} chunk(s) of ${item.abs} were reclaimed on the server before the commit; sending them again`,
        );
        progress.totalBytes += bytes;
        packs += await this.sendChunks(item, lost, progress);
        sentBytes += bytes;
        continue;
      }
      verifiedBytes += answer.verifiedBytes ?? 0;
      if (answer.status !== 202) {
        return { sentBytes, reusedBytes: item.size - missingBytes, packs, verifiedBytes, answer };
      }
      stalled = answer.verifiedBytes ? 0 : stalled + 1;
      if (stalled >= STALLED_ROUNDS) {
        throw new CliError(EXIT.ERROR, `the registry stopped making progress verifying ${item.abs}`);
      }
    }
  }

  /** Chunks again a file whose digest came from the hash cache (it must still hash the same). */
  private async rechunk(item: ChunkedItem): Promise<ChunkList> {
    const { digest, chunks } = await hashFile(item.abs, undefined, { chunks: true });
    if (digest !== item.digest)
      throw new CliError(EXIT.ERROR, `${item.abs} changed while it was being pushed`);
    return chunks;
  }

  /** Sends `chunks` in packs, PACK_PARALLEL at a time; returns how many packs. */
  private async sendChunks(
    item: ChunkedItem,
    chunks: readonly Located[],
    progress: Progress,
  ): Promise<number> {
    const { client, signal } = this.deps;
    const packs = planPacks(chunks);
    await mapLimit(packs, PACK_PARALLEL, async (pack) => {
      const header = encodePackHeader(pack);
      const size = header.byteLength + pack.reduce((n, c) => n + c.length, 0);
      try {
        await this.deps.send(`${item.digest} pack`, progress, (onBytes) =>
          withFileStream(fileStream(item.abs, ranges(pack), onBytes, header), (body) =>
            client.putPack(body, { size, signal }),
          ),
        );
      } catch (err) {
        throw changedFile(err, item) ?? err;
      }
    });
    return packs.length;
  }
}

/** Groups chunks (in file order) into packs of about PACK_TARGET_BYTES. */
export function planPacks(chunks: readonly Located[]): Located[][] {
  const packs: Located[][] = [];
  let pack: Located[] = [];
  let bytes = 0;
  for (const chunk of chunks) {
    if (pack.length > 0 && (bytes + chunk.length > PACK_TARGET_BYTES || pack.length === PACK_MAX_CHUNKS)) {
      packs.push(pack);
      pack = [];
      bytes = 0;
    }
    pack.push(chunk);
    bytes += chunk.length;
  }
  if (pack.length > 0) packs.push(pack);
  return packs;
}

/** The file ranges a pack's data is read from: neighbouring chunks make one range. */
export function ranges(pack: readonly Located[]): ByteRange[] {
  const out: [number, number][] = [];
  for (const { offset, length } of pack) {
    const last = out[out.length - 1];
    if (last && last[1] === offset) last[1] += length;
    else out.push([offset, offset + length]);
  }
  return out;
}

/** The chunks a 422 CHUNK_UNKNOWN lists, when it is that and they are all this file's. */
function lostChunks(err: unknown, byId: ReadonlyMap<string, Located>): Located[] | null {
  if (!(err instanceof CairnError && err.status === 422 && err.code === 'CHUNK_UNKNOWN')) return null;
  const missing = err.details.missing;
  if (!Array.isArray(missing) || missing.length === 0) return null;
  const chunks = missing.map((id) => byId.get(String(id)));
  return chunks.every((c) => c !== undefined) ? (chunks as Located[]) : null;
}

/** A digest mismatch on a pack or a commit means the file changed after it was hashed. */
function changedFile(err: unknown, item: ChunkedItem): CliError | null {
  if (!(err instanceof CairnError)) return null;
  if (err.code !== 'CHUNK_DIGEST_MISMATCH' && err.code !== 'DIGEST_MISMATCH') return null;
  return new CliError(EXIT.ERROR, `${item.abs} changed while it was being pushed (${err.code})`);
}
