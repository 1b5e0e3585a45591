/**
 * Property tests (fast-check, fixed seed) over /v2: generated repository names outside Cairn's
 * grammar, manifest bodies of every shape, and chunk sequences with random sizes and offsets.
 * Every bad case answers 4xx with its OCI code, never 5xx, and leaves nothing; every good chunk
 * sequence reassembles byte for byte. The grammar is the contract's (docs/API.md "Conventions").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adoptedSegments } from '../../src/storage/r2-adopted-blobs';
import { digestOf, randomBytes, testEnv } from '../helpers/http';
import { OCI_MANIFEST, oci, ociCode } from '../helpers/oci';
import { uniqueName } from '../helpers/registry';

const SEED = 20_261_206;
const RUNS = 20;
const SEGMENT = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const segmentish = fc.oneof(
  fc.string({ minLength: 0, maxLength: 70 }),
  fc.constantFrom('UPPER', '-lead', '.dot', 'a'.repeat(65), 'sp ace', 'ünï', '..', '%2e', 'a:b', 'a@b'),
);

describe('OCI properties', () => {
  it('a repository name outside ns/name → 400 NAME_INVALID (or 404 for a path that is no route), never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(segmentish, segmentish, async (ns, name) => {
        fc.pre(!(SEGMENT.test(ns) && SEGMENT.test(name)));
        const path = `/v2/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/manifests/latest`;
        const res = await oci(path);
        expect(res.status, path).toBeLessThan(500);
        if (res.status === 400) expect(await ociCode(res), path).toBe('NAME_INVALID');
        else expect(res.status, path).toBe(404);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('any JSON (or not) pushed as a manifest → 4xx with a manifest code, and nothing is recorded', async () => {
    const repo = uniqueName();
    const body = fc.oneof(
      fc.json().map((j) => new TextEncoder().encode(j)),
      fc.uint8Array({ maxLength: 200 }),
      fc
        .record({
          schemaVersion: fc.oneof(fc.constant(2), fc.integer()),
          mediaType: fc.oneof(fc.constant(OCI_MANIFEST), fc.string()),
          config: fc.anything(),
          layers: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), fc.anything()),
        })
        .map((m) => new TextEncoder().encode(JSON.stringify(m))),
    );
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const res = await oci(`/v2/${repo}/manifests/latest`, {
          method: 'PUT',
          body: bytes,
          headers: { 'Content-Type': OCI_MANIFEST },
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'SIZE_INVALID', 'DIGEST_INVALID']).toContain(
          await ociCode(res),
        );
        expect((await oci(`/v2/${repo}/manifests/${await digestOf(bytes)}`)).status).toBe(404);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    expect((await oci(`/v2/${repo}/tags/list`)).status).toBe(404);
  });

  it('chunks of random sizes at random offsets: 202 exactly when a chunk starts where the upload ends, else 416; the accepted bytes reassemble', async () => {
    const repo = uniqueName();
    const step = fc.record({
      size: fc.integer({ min: 1, max: 70_000 }),
      skew: fc.constantFrom(0, 0, 0, -1, 1, 5000),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), async (steps) => {
        const start = await oci(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
        let location = start.headers.get('Location')!;
        const accepted: Uint8Array[] = [];
        let offset = 0;
        for (const { size, skew } of steps) {
          const from = Math.max(0, offset + skew);
          const bytes = randomBytes(size);
          const res = await oci(location, {
            method: 'PATCH',
            body: bytes,
            headers: { 'Content-Range': `${from}-${from + size - 1}`, 'Content-Length': String(size) },
          });
          if (from === offset) {
            expect(res.status).toBe(202);
            accepted.push(bytes);
            offset += size;
            location = res.headers.get('Location')!;
          } else {
            expect(res.status).toBe(416);
            expect(res.headers.get('Range')).toBe(`0-${Math.max(offset - 1, 0)}`);
          }
        }
        const whole = new Uint8Array(offset);
        let at = 0;
        for (const part of accepted) {
          whole.set(part, at);
          at += part.length;
        }
        const digest = await digestOf(whole);
        const put = await oci(`${location}?digest=${digest}`, {
          method: 'PUT',
          headers: { 'Content-Length': '0' },
        });
        expect(put.status).toBe(201);
        const got = await oci(`/v2/${repo}/blobs/${digest}`);
        expect(new Uint8Array(await got.arrayBuffer())).toEqual(whole);
      }),
      { seed: SEED, numRuns: RUNS / 2 },
    );
  });

  it('afterwards R2 holds blobs only, and staged chunks only where an adopted blob points at them: none is orphaned', async () => {
    const keys: string[] = [];
    const pointedAt = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await testEnv.BLOBS.list({ cursor, limit: 1000, include: ['customMetadata'] });
      keys.push(...page.objects.map((o) => o.key));
      for (const o of page.objects) for (const s of adoptedSegments(o) ?? []) pointedAt.add(s.key);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    expect(keys.length).toBeGreaterThan(0);
    const other = keys.filter((k) => !/^blobs\/sha256\/[0-9a-f]{64}$/.test(k));
    expect(other.filter((k) => !pointedAt.has(k))).toEqual([]);
  });
});
