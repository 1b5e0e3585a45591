/**
 * Property tests of content-defined chunking (src/contract/chunking.ts, issue 15): the chunks
 * reassemble to the input, stay within their size bounds, do not depend on how the input is
 * split into buffers, and an insertion or deletion changes only the chunks near it — the whole
 * point of chunk-level dedup. Inputs are random bytes and CSV-like text (low entropy, repeated
 * structure: where a weak hash would find too few or too many cuts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { register } from 'tsx/esm/api';

register();
const { CHUNK_AVG, CHUNK_MAX, CHUNK_MIN, Chunker, GEAR, GEAR_SEED, MASK_L, MASK_S, chunkLengths } =
  await import('../../src/contract/chunking.ts');

/** `size` pseudo-random bytes from `seed` (xorshift32: fast, and the same on every run). */
function randomBytes(seed, size) {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, size);
}

/** CSV rows from `seed` until `size` bytes: ids, dates, categories, floats. */
function csvBytes(seed, size) {
  const r = randomBytes(seed, size);
  const cats = ['alpha', 'beta', 'gamma', 'delta'];
  let text = 'id,date,category,value,score\n';
  for (let i = 0; text.length < size; i++) {
    const a = r[i % r.length];
    const b = r[(i * 7 + 3) % r.length];
    text += `${i},2024-0${(a % 9) + 1}-${String((b % 28) + 1).padStart(2, '0')},${cats[a % 4]},${(a * 31 + b) / 7},${b % 100}\n`;
  }
  return new TextEncoder().encode(text.slice(0, size));
}

const input = fc.oneof(
  fc.record({
    kind: fc.constant('random'),
    seed: fc.integer({ min: 1 }),
    size: fc.integer({ min: 0, max: 3 << 20 }),
  }),
  fc.record({
    kind: fc.constant('csv'),
    seed: fc.integer({ min: 1 }),
    size: fc.integer({ min: 0, max: 2 << 20 }),
  }),
);
const bytesOf = ({ kind, seed, size }) => (kind === 'csv' ? csvBytes(seed, size) : randomBytes(seed, size));
const hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The chunks of `bytes` as [start, length, sha256] triples. */
function chunksOf(bytes) {
  let start = 0;
  return chunkLengths(bytes).map((len) => {
    const chunk = [start, len, hex(bytes.subarray(start, start + len))];
    start += len;
    return chunk;
  });
}

test('the Gear table is SHA-256 of the documented seed, and the masks have 18 and 14 bits', () => {
  for (let b = 0; b < 256; b++) {
    const d = createHash('sha256')
      .update(Buffer.concat([Buffer.from(GEAR_SEED, 'ascii'), Buffer.from([b])]))
      .digest();
    assert.equal(GEAR[b] >>> 0, d.readUInt32BE(0), `GEAR[${b}]`);
  }
  const bits = (m) => (m >>> 0).toString(2).replaceAll('0', '').length;
  assert.equal(bits(MASK_S), 18);
  assert.equal(bits(MASK_L), 14);
});

test('known boundaries: the algorithm does not drift (another client must reproduce these)', () => {
  // Pinned: changing the table, the masks or the skip would change every chunk id in every store.
  const lengths = chunkLengths(randomBytes(42, 1 << 20));
  assert.deepEqual(lengths.slice(0, 6), [111500, 66347, 51560, 89406, 63815, 82666]);
  assert.equal(lengths.length, 15);
});

test('chunks reassemble to the input; every chunk but the last is within [min, max]', () => {
  fc.assert(
    fc.property(input, (spec) => {
      const bytes = bytesOf(spec);
      const lengths = chunkLengths(bytes);
      assert.equal(
        lengths.reduce((a, b) => a + b, 0),
        bytes.length,
      );
      if (bytes.length === 0) assert.deepEqual(lengths, []);
      lengths.forEach((len, i) => {
        assert.ok(len <= CHUNK_MAX, `chunk ${i} is ${len} bytes`);
        if (i < lengths.length - 1) assert.ok(len >= CHUNK_MIN, `chunk ${i} is ${len} bytes`);
        else assert.ok(len >= 1);
      });
      const whole = createHash('sha256');
      let at = 0;
      for (const len of lengths) {
        whole.update(bytes.subarray(at, at + len));
        at += len;
      }
      assert.equal(whole.digest('hex'), hex(bytes));
    }),
    { numRuns: 40 },
  );
});

test('streaming in arbitrary buffer splits gives the same boundaries as one buffer', () => {
  fc.assert(
    fc.property(input, fc.array(fc.integer({ min: 0, max: 1 << 21 }), { maxLength: 40 }), (spec, cuts) => {
      const bytes = bytesOf(spec);
      const splits = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunker = new Chunker();
      const ends = [];
      let from = 0;
      for (const to of [...splits, bytes.length]) {
        ends.push(...chunker.update(bytes.subarray(from, to)));
        from = to;
      }
      const last = chunker.finish();
      if (last !== null) ends.push(last);
      const expected = [];
      let at = 0;
      for (const len of chunkLengths(bytes)) {
        at += len;
        expected.push(at);
      }
      assert.deepEqual(ends, expected);
    }),
    { numRuns: 40 },
  );
});

test('an insertion or deletion changes only the chunks around it', () => {
  const RESYNC = 2 << 20;
  const edit = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    remove: fc.integer({ min: 0, max: 300 }),
    insert: fc.uint8Array({ maxLength: 300 }),
  });
  const big = fc.record({
    kind: fc.constantFrom('random', 'csv'),
    seed: fc.integer({ min: 1 }),
    size: fc.integer({ min: 1 << 20, max: 5 << 20 }),
  });
  fc.assert(
    fc.property(big, edit, (spec, { at, remove, insert }) => {
      const before = bytesOf(spec);
      const pos = Math.floor(at * before.length);
      const cut = Math.min(remove, before.length - pos);
      const after = new Uint8Array(before.length - cut + insert.length);
      after.set(before.subarray(0, pos));
      after.set(insert, pos);
      after.set(before.subarray(pos + cut), pos + insert.length);
      const shift = insert.length - cut;
      const a = chunksOf(before);
      const b = chunksOf(after);
      const inB = new Set(b.map(([start, len, h]) => `${start}:${len}:${h}`));
      const bStarts = new Set(b.map(([start]) => start));
      // The first chunk of `before` past the edit that `after` also starts a chunk at.
      const sync = a.find(([start]) => start >= pos + cut && bStarts.has(start + shift))?.[0];
      a.forEach(([start, len, h], i) => {
        // Before the edit, a cut depends only on the bytes before it: the same chunks (but the
        // last chunk ends where the input did, not at a cut).
        if (start + len <= pos && i < a.length - 1)
          assert.ok(inB.has(`${start}:${len}:${h}`), `chunk at ${start} before the edit`);
        // From a shared boundary on, both chunk the same bytes: the same chunks, shifted.
        if (sync !== undefined && start >= sync)
          assert.ok(
            inB.has(`${start + shift}:${len}:${h}`),
            `chunk at ${start}, edit at ${pos}, sync ${sync}`,
          );
      });
      // The two fall back into step soon after the edit: within one chunk in most cases (the
      // next cut of each is the same unless one of them is still skipping its first 16 KiB),
      // rarely after several; 2 MiB (~30 chunks) is never reached in practice.
      if (before.length - pos - cut > RESYNC + CHUNK_MAX) {
        assert.ok(sync !== undefined && sync - pos <= RESYNC, `edit at ${pos}: in step again at ${sync}`);
      }
      const aHashes = new Set(a.map(([, , h]) => h));
      const newBytes = b.filter(([, , h]) => !aHashes.has(h)).reduce((n, [, len]) => n + len, 0);
      const span = (sync ?? before.length) - pos;
      assert.ok(newBytes <= CHUNK_MAX + span + insert.length, `${newBytes} new bytes, edit at ${pos}`);
    }),
    { numRuns: 40 },
  );
});

test('chunk sizes centre on the average (normalized chunking)', () => {
  const lengths = chunkLengths(randomBytes(7, 32 << 20)).slice(0, -1);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  assert.ok(mean > 0.8 * CHUNK_AVG && mean < 1.4 * CHUNK_AVG, `mean chunk ${mean}`);
  const csv = chunkLengths(csvBytes(7, 16 << 20)).slice(0, -1);
  const csvMean = csv.reduce((a, b) => a + b, 0) / csv.length;
  assert.ok(csvMean > 0.8 * CHUNK_AVG && csvMean < 1.4 * CHUNK_AVG, `mean CSV chunk ${csvMean}`);
});

test('hashing a file with chunks: one pass gives the digest and the same chunks as in memory', async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { hashFile, chunkId } = await import('../../cli/hashing.ts');
  const dir = mkdtempSync(join(tmpdir(), 'cairn-chunks-'));
  try {
    // Empty; one read exactly; a few reads; more reads than the ring of read buffers has slots
    // (8 × 1 MiB), so slots are reused while the hashing thread catches up.
    for (const size of [0, 1 << 20, (5 << 20) + 12345, (20 << 20) + 7]) {
      const bytes = csvBytes(11, size);
      const file = join(dir, `data-${size}.csv`);
      writeFileSync(file, bytes);
      const hashed = await hashFile(file, undefined, { chunks: true });
      assert.equal(hashed.digest, `sha256:${hex(bytes)}`, `digest of ${size} bytes`);
      assert.equal(hashed.size, bytes.length);
      const expected = chunksOf(bytes);
      assert.deepEqual(
        [...hashed.chunks.lengths],
        expected.map(([, len]) => len),
        `chunk lengths of ${size} bytes`,
      );
      assert.deepEqual(
        expected.map((_, i) => chunkId(hashed.chunks, i)),
        expected.map(([, , h]) => h),
        `chunk ids of ${size} bytes`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('packs: chunks in file order, at most the target size, neighbours read as one range', async () => {
  const { planPacks, ranges, PACK_TARGET_BYTES } = await import('../../cli/chunked-upload.ts');
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: CHUNK_MAX }), { maxLength: 2000 }),
      fc.boolean(),
      (lengths, gaps) => {
        let offset = 0;
        const chunks = lengths.map((length, i) => {
          const chunk = { hex: '0'.repeat(64), length, offset };
          offset += length + (gaps && i % 3 === 0 ? 7 : 0);
          return chunk;
        });
        const packs = planPacks(chunks);
        assert.deepEqual(packs.flat(), chunks);
        for (const pack of packs) {
          const bytes = pack.reduce((n, c) => n + c.length, 0);
          assert.ok(pack.length === 1 || bytes <= PACK_TARGET_BYTES);
          const rs = ranges(pack);
          assert.equal(
            rs.reduce((n, [s, e]) => n + e - s, 0),
            bytes,
          );
          if (!gaps) assert.equal(rs.length, 1);
        }
      },
    ),
  );
});
