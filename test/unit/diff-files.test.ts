/**
 * The file-list diff over canonical manifest text (services/diff/files.ts, manifest-text.ts):
 * checked against a plain Map-based reference on random manifests encoded the way publish
 * encodes them, with paths full of the characters that make JSON text tricky.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FilesDiff } from '../../src/contract/diff';
import { commonPrefix, diffFiles, emptyFilesDiff } from '../../src/services/diff/files';
import { filesText, splitManifest } from '../../src/services/diff/manifest-text';
import {
  buildManifest,
  encodeManifest,
  type ManifestFile,
  type ManifestV1,
} from '../../src/services/manifest';

/** The obvious diff: every path of either side, sorted by code units, looked up in two Maps. */
function referenceDiff(a: ManifestFile[], b: ManifestFile[], max: number): FilesDiff {
  const ma = new Map(a.map((f) => [f.path, f]));
  const mb = new Map(b.map((f) => [f.path, f]));
  const out = emptyFilesDiff();
  for (const path of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
    const x = ma.get(path);
    const y = mb.get(path);
    if (!y) out.removed.push(x!);
    else if (!x) out.added.push(y);
    else if (x.digest === y.digest) out.counts.unchanged++;
    else
      out.modified.push({
        path,
        from: { digest: x.digest, size: x.size },
        to: { digest: y.digest, size: y.size },
      });
  }
  for (const key of ['added', 'removed', 'modified'] as const) {
    out.counts[key] = out[key].length;
    if (out[key].length > max) out.truncated = true;
    out[key].length = Math.min(out[key].length, max);
  }
  out.changed = out.counts.added + out.counts.removed + out.counts.modified > 0;
  return out;
}

/** Quotes, backslashes, brackets, control characters, and characters past the surrogates. */
const pathArb = fc.string({
  unit: fc.constantFrom(
    'a',
    'b',
    '/',
    '"',
    '\\',
    '{',
    '}',
    ']',
    ',',
    ':',
    '\n',
    '\u0001',
    'é',
    '😀',
    '\uE000',
  ),
  minLength: 1,
  maxLength: 5,
});
const DIGESTS = ['1', '2', '3'].map((c) => `sha256:${c.repeat(64)}`);
const digestArb = fc.constantFrom(...DIGESTS);
const fileArb = fc.record({ path: pathArb, digest: digestArb, size: fc.nat(12) });
const filesArb = fc.uniqueArray(fileArb, { selector: (f) => f.path, maxLength: 40 });

/** Two independent lists, or a list and an edit of it (what versions of one dataset look like). */
const pairArb = fc.oneof(
  fc.tuple(filesArb, filesArb),
  filesArb.chain((a) =>
    fc
      .tuple(
        fc.array(fc.constantFrom('keep', 'keep', 'keep', 'drop', 'digest', 'size'), {
          minLength: a.length,
          maxLength: a.length,
        }),
        filesArb,
      )
      .map(([edits, extra]): [ManifestFile[], ManifestFile[]] => {
        const b = a.flatMap((f, k) => {
          const edit = edits[k];
          if (edit === 'drop') return [];
          if (edit === 'digest')
            return [{ ...f, digest: f.digest === DIGESTS[0] ? DIGESTS[1]! : DIGESTS[0]! }];
          if (edit === 'size') return [{ ...f, size: f.size + 1 }];
          return [f];
        });
        const paths = new Set(b.map((f) => f.path));
        return [a, [...b, ...extra.filter((f) => !paths.has(f.path))]];
      }),
  ),
);

/** A manifest's text as publish stores it (canonical JSON). */
async function canonicalText(
  files: ManifestFile[],
  extra: Pick<Partial<ManifestV1>, 'code' | 'environment' | 'params'> = {},
): Promise<string> {
  const manifest = buildManifest({ artifact: 'acme/data', kind: 'dataset', files, inputs: [], ...extra });
  return new TextDecoder().decode((await encodeManifest(manifest)).bytes);
}

describe('diffFiles over canonical manifest text', () => {
  it('equals the Map-based reference on random manifests (lists, order, caps and counts)', async () => {
    await fc.assert(
      fc.asyncProperty(pairArb, fc.integer({ min: 0, max: 6 }), async ([a, b], max) => {
        const [ta, tb] = await Promise.all([canonicalText(a), canonicalText(b)]);
        const fast = diffFiles(splitManifest(ta).files, splitManifest(tb).files, max);
        // The reference sees the files as the parsed manifest has them (same objects, same key order).
        const slow = referenceDiff(JSON.parse(ta).files, JSON.parse(tb).files, max);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps exact counts past the listing cap, on both sides of a long identical run', () => {
    const file = (i: number, digest = '1') => ({
      digest: `sha256:${digest.repeat(64)}`,
      path: `f${String(i).padStart(5, '0')}`,
      size: 1,
    });
    const a = Array.from({ length: 5000 }, (_, i) => file(i));
    const b = [...a.slice(0, 10), ...a.slice(20, 4000).map((f, k) => (k % 1000 ? f : file(k + 20, '2')))];
    b.push(...Array.from({ length: 30 }, (_, i) => file(9000 + i)));
    const d = diffFiles(filesText(a), filesText(b), 5);
    expect(d.counts).toEqual({ added: 30, removed: 10 + 1000, modified: 4, unchanged: 5000 - 1010 - 4 });
    expect(d.removed.map((f) => f.path)).toEqual(a.slice(10, 15).map((f) => f.path));
    expect(d.modified.map((m) => m.path)).toEqual([20, 1020, 2020, 3020].map((i) => file(i).path));
    expect(d.added).toHaveLength(5);
    expect(d.truncated).toBe(true);
    expect(diffFiles(filesText(a), filesText(a)).counts).toEqual({
      added: 0,
      removed: 0,
      modified: 0,
      unchanged: 5000,
    });
    expect(diffFiles('', '')).toMatchObject({ changed: false, truncated: false, counts: { unchanged: 0 } });
  });

  it('refuses text that is not a canonical file list instead of guessing', () => {
    const ok = filesText([{ digest: `sha256:${'1'.repeat(64)}`, path: 'a', size: 1 }]);
    expect(() => diffFiles(ok, '{"path":"a","digest":"x","size":1}')).toThrow(/canonical/);
  });
});

describe('commonPrefix', () => {
  it('is the length of the longest common prefix from the given offsets', () => {
    const textArb = fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 600 });
    fc.assert(
      fc.property(textArb, textArb, textArb, fc.nat(5), fc.nat(5), (shared, x, y, i, j) => {
        const a = 'xxxxx'.slice(0, i) + shared + x;
        const b = 'yyyyy'.slice(0, j) + shared + y;
        let n = 0;
        while (i + n < a.length && j + n < b.length && a[i + n] === b[j + n]) n++;
        expect(commonPrefix(a, i, b, j)).toBe(n);
      }),
      { numRuns: 300 },
    );
  });
});

describe('splitManifest', () => {
  it('parses every section but the files, and leaves the files as their canonical text', async () => {
    await fc.assert(
      fc.asyncProperty(
        filesArb,
        fc.dictionary(pathArb, pathArb, { maxKeys: 3 }),
        fc.jsonValue(),
        async (files, runtime, param) => {
          const extra = {
            code: { repo: 'https://git.example/"files":[x]', path: '],"inputs":[' },
            environment: { image: '"files":[', runtime: { files: '[1]', ...runtime } },
            params: { files: [param], inputs: ['],"inputs":['], p: param },
          };
          const text = await canonicalText(files, extra);
          const { files: parsedFiles, ...rest } = JSON.parse(text) as ManifestV1;
          const split = splitManifest(text);
          expect(split.manifest).toEqual(rest);
          expect(split.files).toBe(filesText(parsedFiles));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('falls back to a full parse for text not laid out canonically', async () => {
    const files = [
      { digest: `sha256:${'2'.repeat(64)}`, path: 'b', size: 2 },
      { digest: `sha256:${'1'.repeat(64)}`, path: 'a', size: 1 },
    ];
    const manifest = JSON.parse(await canonicalText(files)) as ManifestV1;
    const sorted = filesText(manifest.files);
    for (const text of [
      JSON.stringify(manifest, null, 2),
      JSON.stringify({ inputs: [], files: [...manifest.files].reverse(), schema: manifest.schema }),
    ]) {
      expect(splitManifest(text).files).toBe(sorted);
    }
  });
});
