/**
 * Namespace-limited tokens and chunks (SECURITY.md): a token learns only of chunks it uploaded
 * itself or that belong to blobs it may read. Chunks of a file published in another namespace,
 * or of a chunked blob nothing references, answer exactly like chunks that do not exist — in
 * `known` and in a recipe's CHUNK_UNKNOWN — and a token that uploads the chunks itself proves it
 * holds the bytes and may then commit (and read) the blob.
 */
import { describe, expect, it } from 'vitest';
import {
  bodyBytes,
  cut,
  firstDifference,
  known,
  postPack,
  pushChunked,
  putRecipe,
  recipeOf,
} from '../helpers/chunk-packs';
import { call, createToken, randomBytes } from '../helpers/http';
import { publishOk, uniqueName } from '../helpers/registry';

const KiB = 1024;

async function knownTo(hashes: string[], token: string): Promise<string[]> {
  const res = await known(hashes, token);
  expect(res.status).toBe(200);
  return ((await res.json()) as { known: string[] }).known;
}

describe('chunk visibility for namespace-limited tokens', () => {
  it('chunks of a file published in another namespace are unknown to the token, known in its own', async () => {
    const bytes = randomBytes(80 * KiB);
    const { digest, chunks } = await pushChunked(bytes, [16 * KiB]);
    const name = uniqueName('beta', 'secret');
    await publishOk(name, { kind: 'dataset', files: [{ path: 'd.bin', digest, size: bytes.length }] });
    const alpha = await createToken(['read', 'write'], { namespaces: ['alpha'] });
    const beta = await createToken(['read', 'write'], { namespaces: ['beta'] });
    const hashes = chunks.map((c) => c.hex);
    expect(await knownTo(hashes, alpha.token)).toEqual([]);
    expect(await knownTo(hashes, beta.token)).toEqual(hashes);

    // The recipe names every chunk as missing (the same answer as for chunks that do not exist).
    const refused = await putRecipe(digest, recipeOf(chunks), alpha.token);
    expect(refused.status).toBe(422);
    const details = ((await refused.json()) as { error: { details: { missing: string[] } } }).error.details;
    expect(details.missing).toEqual(hashes);
    expect((await call(`/v1/blobs/${digest}`, { token: alpha.token })).status).toBe(404);

    // Uploading the chunks proves possession: they become known, the recipe commits (200: the blob
    // exists) and the blob is readable in alpha from then on.
    expect((await postPack(chunks, alpha.token)).status).toBe(201);
    expect(await knownTo(hashes, alpha.token)).toEqual(hashes);
    const committed = await putRecipe(digest, recipeOf(chunks), alpha.token);
    expect(committed.status).toBe(200);
    const read = await call(`/v1/blobs/${digest}`, { token: alpha.token });
    expect(firstDifference(await bodyBytes(read), bytes)).toBe(-1);
  });

  it('chunks of a chunked blob that nothing references are unknown to every limited token', async () => {
    const bytes = randomBytes(48 * KiB);
    const { chunks } = await pushChunked(bytes, [16 * KiB]);
    const gamma = await createToken(['write'], { namespaces: ['gamma'] });
    expect(
      await knownTo(
        chunks.map((c) => c.hex),
        gamma.token,
      ),
    ).toEqual([]);
    // An unlimited token sees them.
    const all = await createToken(['write']);
    expect(
      await knownTo(
        chunks.map((c) => c.hex),
        all.token,
      ),
    ).toEqual(chunks.map((c) => c.hex));
  });

  it('a limited token’s own chunks, and the blobs it commits from them, are visible to it', async () => {
    const delta = await createToken(['read', 'write'], { namespaces: ['delta'] });
    const bytes = randomBytes(40 * KiB);
    const { digest, chunks, last } = await pushChunked(bytes, [10 * KiB], delta.token);
    expect(last.status).toBe(201);
    expect(
      await knownTo(
        chunks.map((c) => c.hex),
        delta.token,
      ),
    ).toEqual(chunks.map((c) => c.hex));
    expect((await call(`/v1/blobs/${digest}`, { token: delta.token, method: 'HEAD' })).status).toBe(200);
    const other = await createToken(['read', 'write'], { namespaces: ['epsilon'] });
    expect((await call(`/v1/blobs/${digest}`, { token: other.token, method: 'HEAD' })).status).toBe(404);
    expect(
      await knownTo(
        chunks.map((c) => c.hex),
        other.token,
      ),
    ).toEqual([]);
  });

  it('a chunk shared by a visible and a hidden file is known, the hidden file’s own chunks are not', async () => {
    const shared = randomBytes(16 * KiB);
    const mine = new Uint8Array([...shared, ...randomBytes(16 * KiB)]);
    const theirs = new Uint8Array([...shared, ...randomBytes(16 * KiB)]);
    const a = await pushChunked(mine, [16 * KiB]);
    const b = await pushChunked(theirs, [16 * KiB]);
    await publishOk(uniqueName('zeta', 'm'), {
      kind: 'dataset',
      files: [{ path: 'm', digest: a.digest, size: mine.length }],
    });
    await publishOk(uniqueName('eta', 't'), {
      kind: 'dataset',
      files: [{ path: 't', digest: b.digest, size: theirs.length }],
    });
    const zeta = await createToken(['write'], { namespaces: ['zeta'] });
    const [sharedChunk] = await cut(shared, [16 * KiB]);
    expect(await knownTo([sharedChunk!.hex, b.chunks[1]!.hex, a.chunks[1]!.hex], zeta.token)).toEqual([
      sharedChunk!.hex,
      a.chunks[1]!.hex,
    ]);
  });
});
