/**
 * Reads of chunked blobs are transparent: GET/HEAD /v1/blobs (every Range, across chunk edges:
 * a property test against the plain bytes), files by path, Git LFS downloads, OCI blob GETs,
 * /hf resolve, the table profiler and hashStored all read a recipe like a whole object, and a
 * read coalesces the neighbouring chunks of one pack into one R2 range read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/contract/grammar';
import { readState } from '../../src/services/tables/store';
import { hashStored } from '../../src/storage/blob-store';
import { bodyBytes, firstDifference, pushChunked } from '../helpers/chunk-packs';
import { FaultInjector, faultyEnv, sendWith } from '../helpers/faults';
import { commit, createHfRepo, header, hf, lfsFile } from '../helpers/hf';
import { call, randomBytes, testDeps } from '../helpers/http';
import { batchObjects, followAction } from '../helpers/lfs';
import { oci } from '../helpers/oci';
import { publishOk, uniqueName } from '../helpers/registry';
import { deliver } from '../helpers/tables';

const KiB = 1024;

describe('chunked blobs read like whole ones', () => {
  it('property: any Range of a chunked blob (random chunk sizes) is exactly those bytes of the file', async () => {
    const bytes = randomBytes(180 * KiB + 3);
    const { digest, last } = await pushChunked(bytes, [7 * KiB + 1, 1, 30 * KiB, 3 * KiB, 16 * KiB]);
    expect(last.status).toBe(201);
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.nat(bytes.length + 100), async (a, b) => {
        const start = Math.min(a, b);
        const end = Math.max(a, b);
        const res = await call(`/v1/blobs/${digest}`, { headers: { range: `bytes=${start}-${end}` } });
        expect(res.status).toBe(206);
        const last = Math.min(end, bytes.length - 1);
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${last}/${bytes.length}`);
        expect(firstDifference(await bodyBytes(res), bytes.subarray(start, last + 1))).toBe(-1);
      }),
      { numRuns: 25 },
    );
    const suffix = await call(`/v1/blobs/${digest}`, { headers: { range: 'bytes=-5000' } });
    expect(firstDifference(await bodyBytes(suffix), bytes.subarray(bytes.length - 5000))).toBe(-1);
  });

  it('a read of chunks that lie next to each other in one pack is one R2 range read', async () => {
    const bytes = randomBytes(200 * KiB);
    const { digest, chunks } = await pushChunked(bytes, [10 * KiB]);
    expect(chunks.length).toBe(20);
    const injector = new FaultInjector();
    const res = await sendWith(faultyEnv(injector))(`/v1/blobs/${digest}`);
    expect(firstDifference(await bodyBytes(res), bytes)).toBe(-1);
    // One miss for a whole object at the digest, one read of the pack: not twenty.
    expect(injector.calls.filter((c) => c === 'r2.get')).toHaveLength(2);
  });

  it('hashStored re-hashes a chunked blob from its packs', async () => {
    const bytes = randomBytes(70 * KiB);
    const { digest } = await pushChunked(bytes, [9 * KiB]);
    expect(await hashStored(testDeps().blobs, digest as Digest)).toEqual({
      matches: true,
      size: bytes.length,
    });
    expect(await testDeps().blobs.head(digest as Digest)).toMatchObject({
      size: bytes.length,
      verified: true,
    });
  });

  it('files by path, Git LFS downloads and OCI blob GETs serve the chunked bytes', async () => {
    const bytes = randomBytes(120 * KiB);
    const { digest } = await pushChunked(bytes, [20 * KiB, 5 * KiB]);
    const name = uniqueName('acme', 'chunked');
    await publishOk(name, { kind: 'model', files: [{ path: 'w.bin', digest, size: bytes.length }] });
    const file = await call(`/v1/artifacts/${name}/versions/1/files/w.bin`);
    expect(firstDifference(await bodyBytes(file), bytes)).toBe(-1);

    const [object] = await batchObjects(name, 'download', [{ oid: digest.slice(7), size: bytes.length }]);
    const download = object?.actions?.download;
    expect(download).toBeDefined();
    const lfs = await followAction(download!, 'GET');
    expect(firstDifference(await bodyBytes(lfs), bytes)).toBe(-1);

    const blob = await oci(`/v2/${name}/blobs/${digest}`);
    expect(blob.status).toBe(200);
    expect(firstDifference(await bodyBytes(blob), bytes)).toBe(-1);
  });

  it('/hf resolve serves a chunked file, with Range', async () => {
    const bytes = randomBytes(64 * KiB + 11);
    const { digest } = await pushChunked(bytes, [8 * KiB]);
    const name = uniqueName('acme', 'hfchunk');
    expect((await createHfRepo(name)).status).toBe(200);
    const res = await commit(name, [
      header(),
      lfsFile('w.bin', { oid: digest.slice(7), size: bytes.length }),
    ]);
    expect(res.status, await res.clone().text()).toBe(200);
    const ranged = await hf(`/${name}/resolve/main/w.bin`, { headers: { Range: 'bytes=8000-9000' } });
    expect(ranged.status).toBe(206);
    expect(firstDifference(await bodyBytes(ranged), bytes.subarray(8000, 9001))).toBe(-1);
  });

  it('the table profiler profiles a chunked CSV', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},name-${i},${(i * 7) % 13}`);
    const csv = new TextEncoder().encode(`id,name,score\n${rows.join('\n')}\n`);
    const { digest } = await pushChunked(csv, [4 * KiB, 3 * KiB]);
    await deliver([{ digest, path: 'data.csv', key: null }]);
    const state = await readState(testDeps(), digest, '');
    expect(state).toMatchObject({ state: 'ready', profile: { rows: 3000 } });
  });
});
