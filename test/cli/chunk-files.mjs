/**
 * Test and bench data for chunk-level dedup (test/e2e/chunks.test.mjs, test/bench/chunks.mjs),
 * written to disk in 1 MiB blocks, never held whole in memory: seeded pseudo-random bytes (the
 * same seed, the same file), CSV tables that grow by appended rows and change by in-place edits,
 * and a copy of a file with bytes inserted in the middle.
 *
 *   await writeRandomFile(path, size, seed);
 *   next = await writeCsv(path, { fromRow, rows | bytes, seed, header });  // appends unless header
 *   await editInPlace(path, count, seed);                     // `count` digits changed, size kept
 *   await copyWithInsert(src, dst, at, bytes);
 *   await sha256File(path)                                    // 'sha256:…'
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

const MiB = 1024 * 1024;

/** An xorshift32 generator: `next()` → uint32. */
function xorshift(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

export async function writeRandomFile(path, size, seed = 1) {
  const next = xorshift(seed);
  const file = await open(path, 'w');
  try {
    for (let left = size; left > 0; left -= MiB) {
      const n = Math.min(MiB, left);
      const words = new Uint32Array(Math.ceil(n / 4));
      for (let i = 0; i < words.length; i++) words[i] = next();
      await file.write(new Uint8Array(words.buffer, 0, n));
    }
  } finally {
    await file.close();
  }
}

const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

/** One CSV row (≈ 60 bytes), a function of its number and the generator. */
function csvRow(n, next) {
  const a = next();
  const b = next();
  const day = String((a % 28) + 1).padStart(2, '0');
  const month = String((b % 12) + 1).padStart(2, '0');
  return `${n},2024-${month}-${day},${CATEGORIES[a % 5]},${(a % 1_000_000) / 100},${b % 1000},${(b >>> 8) % 97}\n`;
}

/**
 * Writes rows from `fromRow` on (row n's content depends only on n and `seed`), `rows` of them or
 * until about `bytes` were written, after a header line when `header`; appends to the file when
 * `header` is false. Resolves to the number of the next row.
 */
export async function writeCsv(
  path,
  { fromRow = 0, rows = Number.POSITIVE_INFINITY, bytes = Number.POSITIVE_INFINITY, seed = 1, header = true },
) {
  const file = await open(path, header ? 'w' : 'a');
  let n = fromRow;
  try {
    let text = header ? 'id,date,category,amount,units,store\n' : '';
    let written = 0;
    for (; n < fromRow + rows && written + text.length < bytes; n++) {
      text += csvRow(n, xorshift((seed * 2654435761 + n) >>> 0));
      if (text.length >= MiB) {
        await file.write(text);
        written += text.length;
        text = '';
      }
    }
    if (text) await file.write(text);
  } finally {
    await file.close();
  }
  return n;
}

/** Changes `count` digits at seeded places into other digits: same size, a few chunks touched. */
export async function editInPlace(path, count, seed = 1) {
  const next = xorshift(seed);
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    const buf = Buffer.alloc(64);
    for (let done = 0, tries = 0; done < count && tries < count * 100; tries++) {
      const at = next() % Math.max(1, size - buf.length);
      const { bytesRead } = await file.read(buf, 0, buf.length, at);
      const i = buf.subarray(0, bytesRead).findIndex((c) => c >= 0x30 && c <= 0x39);
      if (i < 0) continue;
      buf[i] = 0x30 + ((buf[i] - 0x30 + 1 + (next() % 9)) % 10);
      await file.write(buf, i, 1, at + i);
      done++;
    }
  } finally {
    await file.close();
  }
}

/** `src` with `bytes` inserted at offset `at`, into `dst`. */
export async function copyWithInsert(src, dst, at, bytes) {
  const out = await open(dst, 'w');
  try {
    let pos = 0;
    for await (const block of createReadStream(src, { highWaterMark: MiB })) {
      if (pos <= at && at < pos + block.length) {
        await out.write(block.subarray(0, at - pos));
        await out.write(bytes);
        await out.write(block.subarray(at - pos));
      } else await out.write(block);
      pos += block.length;
    }
    if (at >= pos) await out.write(bytes);
  } finally {
    await out.close();
  }
}

export async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const block of createReadStream(path, { highWaterMark: MiB })) hash.update(block);
  return `sha256:${hash.digest('hex')}`;
}
