#!/usr/bin/env node
/**
 * Server side of chunk-level dedup, measured in workerd (the bench server, bench-server.mjs):
 * what recipe verification costs and how a chunked blob reads, with the client's work (chunking,
 * hashing) left out: the chunks are cut at fixed lengths averaging 64 KiB (the server never
 * chunks, so any boundaries are a valid recipe) and sent straight as packs.
 *
 *   verify (first)   PUT …/recipe of a 256 MiB file whose chunks are all stored: the server reads
 *                    every chunk back from its packs and hashes it (ResumableSha256). Baseline: the
 *                    same chunked blob read through the BlobStore inside the Worker, not hashed
 *                    (GET /__bench/read): the ratio is what hashing adds to reading.
 *   verify (append)  the same file with 1% appended: resumes from the last checkpoint shared with
 *                    the original, so verifiedBytes ≈ appended bytes + < 1 checkpoint interval.
 *                    Reported against the first commit (time and verifiedBytes ratios).
 *   GET              GET /v1/blobs of the chunked 256 MiB blob vs the same bytes stored whole
 *                    (PUT /v1/blobs), full reads alternating, median of BENCH_GETS (default 5):
 *                    chunked MiB/s / whole MiB/s (issue goal ≥ 0.8).
 *   packs            upload throughput of ~32 MiB packs (every chunk hashed on arrival), one at a
 *                    time and BENCH_PACK_PARALLEL (default 3) at a time; restarts of the Worker seen
 *                    in the log are counted (chunk-client saw some with 3 in flight).
 *   cut              what server-side chunking of a whole upload (the stretch goal) would
 *                    cost the Worker: the whole 256 MiB blob read through the BlobStore plain, and
 *                    read while cut with the client's FastCDC and every chunk hashed
 *                    (GET /__bench/read?chunk=1), alternating, median of BENCH_GETS.
 *   scale            the per-chunk bookkeeping at the chunk count of a 10 GiB file:
 *                    BENCH_SCALE_CHUNKS (default 163,840; 0 skips) chunks of 64 bytes (10 MiB, so
 *                    bytes cost nothing and chunks everything): the first commit, a re-commit of
 *                    the same list plus one chunk (what a small append to a 10 GiB file costs the
 *                    server), a full GET and a 1 KB Range read in the middle.
 *
 * Exported `measureChunkedServer(server)` lets another suite run the same measurements on its own
 * server. Writes test/bench/.out/chunks-server.json.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { MiB, median, runSuite, startBenchServer, writeResult } from './bench-server.mjs';

const { encodePackHeader, PACK_MEDIA_TYPE } = await tsImport('../../src/contract/chunks.ts', import.meta.url);
const { planPacks } = await tsImport('../../cli/chunked-upload.ts', import.meta.url);

const SIZE = Number(process.env.BENCH_CHUNK_MIB || 256) * MiB;
const GETS = Number(process.env.BENCH_GETS || 5);
const PACK_PARALLEL = Number(process.env.BENCH_PACK_PARALLEL || 3);
/** Chunk lengths, cycled: 64 KiB on average, like the client's FastCDC. */
const LENGTHS = [40, 64, 88, 72, 56].map((k) => k * 1024);
const SCALE_CHUNKS = Number(process.env.BENCH_SCALE_CHUNKS ?? 163_840);
const SCALE_CHUNK_BYTES = 64;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function randomBytes(n) {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 65536) randomFillSync(out, i, Math.min(65536, n - i));
  return out;
}

function cut(bytes, from = 0, phase = 0) {
  const chunks = [];
  for (let at = from, i = phase; at < bytes.length; i++) {
    const length = Math.min(LENGTHS[i % LENGTHS.length], bytes.length - at);
    const data = bytes.subarray(at, at + length);
    chunks.push({ hex: sha256(data), length, data });
    at += length;
  }
  return chunks;
}

/** The request bodies of the packs the CLI would send for `chunks` (its own grouping). */
function packsOf(chunks) {
  const packs = planPacks(chunks);
  return packs.map((list) => {
    const header = encodePackHeader(list.map((c) => ({ hex: c.hex, length: c.length })));
    return Buffer.concat([header, ...list.map((c) => c.data)]);
  });
}

/** Requests to the bench server: packs, recipe commits (repeated while 202), plain sends. */
function chunkClient({ base, token }) {
  const auth = { authorization: `Bearer ${token}` };
  const timed = async (fn) => {
    const t = performance.now();
    const value = await fn();
    return { ms: performance.now() - t, value };
  };
  const send = async (method, path, body, headers = {}, retries = 1) => {
    let res;
    try {
      res = await fetch(`${base}${path}`, { method, body, headers: { ...auth, ...headers } });
    } catch (err) {
      // A dropped connection on a loaded machine: once more (every request here is idempotent).
      if (retries === 0) throw err;
      return send(method, path, body, headers, retries - 1);
    }
    const buffer = Buffer.from(await res.arrayBuffer());
    return { status: res.status, buffer, headers: res.headers };
  };
  const json = (r) => JSON.parse(r.buffer.toString('utf8'));
  const postPack = (pack) =>
    send('POST', '/v1/chunks/packs', pack, { 'content-type': PACK_MEDIA_TYPE }).then((r) => {
      if (r.status !== 201) throw new Error(`pack: ${r.status} ${r.buffer}`);
      return json(r);
    });
  /** PUT …/recipe until it stops answering 202: total time, requests, bytes the server hashed. */
  const commit = async (digest, chunks) => {
    const size = chunks.reduce((s, c) => s + c.length, 0);
    const body = JSON.stringify({ size, chunks: chunks.map((c) => [c.hex, c.length]) });
    let verifiedBytes = 0;
    let requests = 0;
    for (;;) {
      requests += 1;
      const r = await send('PUT', `/v1/blobs/${digest}/recipe`, body, { 'content-type': 'application/json' });
      const answer = json(r);
      verifiedBytes += answer.verifiedBytes ?? 0;
      if (r.status === 202) continue;
      if (r.status !== 201) throw new Error(`recipe: ${r.status} ${r.buffer}`);
      return { requests, verifiedBytes };
    }
  };
  return { timed, send, json, postPack, commit };
}

export async function measureChunkedServer({ base, token, readLog = () => '' }) {
  const { timed, send, json, postPack, commit } = chunkClient({ base, token });

  // The original file, its packs (one at a time, then the parallel round on a second file).
  const original = randomBytes(SIZE);
  const digest = `sha256:${sha256(original)}`;
  const chunks = cut(original);
  const packs = packsOf(chunks);
  const sequential = await timed(async () => {
    for (const p of packs) await postPack(p);
  });
  const restartsBefore = (readLog().match(/restarted/gi) ?? []).length;
  const twinPacks = packsOf(cut(randomBytes(SIZE)));
  const parallel = await timed(async () => {
    const queue = [...twinPacks];
    const failures = [];
    await Promise.all(
      Array.from({ length: PACK_PARALLEL }, async () => {
        while (queue.length > 0) {
          const p = queue.shift();
          await postPack(p).catch((e) => failures.push(String(e)));
        }
      }),
    );
    return failures;
  });
  const restarts = (readLog().match(/restarted/gi) ?? []).length - restartsBefore;

  // Verification: the first commit hashes everything; the baseline hashes the same bytes stored whole.
  const first = await timed(() => commit(digest, chunks));
  // Baseline: the same chunks read back through the BlobStore inside the Worker, not hashed.
  const read = await timed(() => send('GET', `/__bench/read?digest=${digest}`));
  if (read.value.status !== 200) throw new Error(`bench read: ${read.value.status}`);

  // Append 1%: the last chunk is re-cut (as a content-defined chunker would), the rest is shared.
  const tail = randomBytes(Math.round(SIZE / 100));
  const appended = Buffer.concat([original, tail]);
  const appendedDigest = `sha256:${sha256(appended)}`;
  const keep = chunks.slice(0, -1);
  const keptBytes = keep.reduce((s, c) => s + c.length, 0);
  const fresh = cut(appended, keptBytes, keep.length);
  for (const p of packsOf(fresh)) await postPack(p);
  const append = await timed(() => commit(appendedDigest, [...keep, ...fresh]));

  // GET: the chunked blob vs the same bytes stored whole (another digest: 1 byte differs).
  const whole = Buffer.from(original);
  whole[0] ^= 0xff;
  const wholeDigest = `sha256:${sha256(whole)}`;
  const put = await send('PUT', `/v1/blobs/${wholeDigest}`, whole);
  if (put.status !== 201) throw new Error(`whole PUT: ${put.status}`);
  const gets = { chunked: [], whole: [] };
  for (let i = 0; i < GETS; i++) {
    for (const [kind, d] of i % 2
      ? [
          ['whole', wholeDigest],
          ['chunked', digest],
        ]
      : [
          ['chunked', digest],
          ['whole', wholeDigest],
        ]) {
      const got = await timed(() => send('GET', `/v1/blobs/${d}`));
      if (got.value.status !== 200 || got.value.buffer.length !== SIZE)
        throw new Error(`GET ${kind}: ${got.value.status}`);
      gets[kind].push(got.ms);
    }
  }
  // The stretch goal's price: the same whole blob read in the Worker, plain and cut + hashed.
  const cutting = { plain: [], chunked: [] };
  let cutChunks = 0;
  for (let i = 0; i < GETS; i++) {
    for (const side of i % 2 ? ['chunked', 'plain'] : ['plain', 'chunked']) {
      const got = await timed(() =>
        send('GET', `/__bench/read?digest=${wholeDigest}${side === 'chunked' ? '&chunk=1' : ''}`),
      );
      if (got.value.status !== 200) throw new Error(`bench read (${side}): ${got.value.status}`);
      if (side === 'chunked') cutChunks = json(got.value).chunks;
      cutting[side].push(got.ms);
    }
  }
  const check = await send('GET', `/v1/blobs/${digest}`);
  if (sha256(check.buffer) !== digest.slice(7)) throw new Error('the chunked GET returned other bytes');

  const mib = (bytes, ms) => bytes / MiB / (ms / 1000);
  const chunkedGet = median(gets.chunked);
  const wholeGet = median(gets.whole);
  return {
    sizeMiB: SIZE / MiB,
    chunks: chunks.length,
    packs: packs.length,
    packUpload: {
      sequentialMiBps: mib(SIZE, sequential.ms),
      parallel: PACK_PARALLEL,
      parallelMiBps: mib(SIZE, parallel.ms),
      parallelFailures: parallel.value.length,
      workerRestarts: restarts,
    },
    verifyFirst: {
      ms: first.ms,
      requests: first.value.requests,
      verifiedBytes: first.value.verifiedBytes,
      MiBps: mib(first.value.verifiedBytes, first.ms),
      baselineReadMs: read.ms,
      ratioToRead: first.ms / read.ms,
    },
    verifyAppend: {
      appendedBytes: tail.length,
      ms: append.ms,
      requests: append.value.requests,
      verifiedBytes: append.value.verifiedBytes,
      verifiedOverAppended: append.value.verifiedBytes / tail.length,
      timeRatioToFirst: append.ms / first.ms,
      verifiedRatioToFirst: append.value.verifiedBytes / first.value.verifiedBytes,
    },
    serverChunking: {
      runs: GETS,
      chunks: cutChunks,
      readMs: median(cutting.plain),
      readAndChunkMs: median(cutting.chunked),
      extraMs: median(cutting.chunked) - median(cutting.plain),
      chunkingMiBps: mib(SIZE, median(cutting.chunked) - median(cutting.plain)),
    },
    get: {
      runs: GETS,
      chunkedMs: chunkedGet,
      wholeMs: wholeGet,
      chunkedMiBps: mib(SIZE, chunkedGet),
      wholeMiBps: mib(SIZE, wholeGet),
      ratio: wholeGet / chunkedGet,
    },
  };
}

/** The `scale` case (see the header); null when BENCH_SCALE_CHUNKS is 0. */
export async function measureRecipeScale({ base, token }) {
  if (!SCALE_CHUNKS) return null;
  const { timed, send, postPack, commit } = chunkClient({ base, token });
  const n = SCALE_CHUNKS;
  const bytes = randomBytes((n + 1) * SCALE_CHUNK_BYTES);
  const chunks = [];
  for (let i = 0; i <= n; i++) {
    const data = bytes.subarray(i * SCALE_CHUNK_BYTES, (i + 1) * SCALE_CHUNK_BYTES);
    chunks.push({ hex: sha256(data), length: SCALE_CHUNK_BYTES, data });
  }
  const packs = [];
  for (let i = 0; i <= n; i += 4096) {
    const list = chunks.slice(i, i + 4096);
    packs.push(Buffer.concat([encodePackHeader(list), ...list.map((c) => c.data)]));
  }
  const upload = await timed(async () => {
    for (const p of packs) await postPack(p);
  });
  const file = bytes.subarray(0, n * SCALE_CHUNK_BYTES);
  const digest = `sha256:${sha256(file)}`;
  const first = await timed(() => commit(digest, chunks.slice(0, n)));
  const again = await timed(() => commit(`sha256:${sha256(bytes)}`, chunks));
  const get = await timed(() => send('GET', `/v1/blobs/${digest}`));
  if (get.value.status !== 200 || !get.value.buffer.equals(file))
    throw new Error('scale: GET returned other bytes');
  const mid = (n * SCALE_CHUNK_BYTES) / 2;
  const range = await timed(() =>
    send('GET', `/v1/blobs/${digest}`, undefined, { range: `bytes=${mid}-${mid + 999}` }),
  );
  if (range.value.status !== 206 || !range.value.buffer.equals(file.subarray(mid, mid + 1000)))
    throw new Error(`scale: Range answered ${range.value.status}`);
  return {
    chunks: n,
    packs: packs.length,
    packUploadMs: upload.ms,
    firstCommitMs: first.ms,
    firstCommitRequests: first.value.requests,
    appendCommitMs: again.ms,
    appendVerifiedBytes: again.value.verifiedBytes,
    getMs: get.ms,
    rangeMs: range.ms,
  };
}

async function main() {
  const started = Date.now();
  const server = await startBenchServer({ prefix: 'cairn-bench-chunks-server-' });
  current = server;
  const result = await measureChunkedServer(server);
  result.scale = await measureRecipeScale(server);
  await server.stop();
  const f = (x, d = 2) => Number(x).toFixed(d);
  console.log(`chunk server bench: ${result.sizeMiB} MiB, ${result.chunks} chunks in ${result.packs} packs`);
  console.log(
    `  packs       ${f(result.packUpload.sequentialMiBps, 0)} MiB/s one at a time, ${f(result.packUpload.parallelMiBps, 0)} MiB/s ${result.packUpload.parallel} at a time (${result.packUpload.parallelFailures} failed, ${result.packUpload.workerRestarts} restarts)`,
  );
  console.log(
    `  verify 1st  ${f(result.verifyFirst.ms, 0)} ms (${f(result.verifyFirst.MiBps, 0)} MiB/s, ${result.verifyFirst.requests} request(s)); reading the same chunks in the Worker without hashing ${f(result.verifyFirst.baselineReadMs, 0)} ms → ratio ${f(result.verifyFirst.ratioToRead)}`,
  );
  console.log(
    `  verify +1%  ${f(result.verifyAppend.ms, 0)} ms, hashed ${f(result.verifyAppend.verifiedBytes / MiB)} MiB for ${f(result.verifyAppend.appendedBytes / MiB)} MiB appended → time ${f(result.verifyAppend.timeRatioToFirst, 3)}× first, bytes ${f(result.verifyAppend.verifiedRatioToFirst, 3)}× first`,
  );
  console.log(
    `  GET         chunked ${f(result.get.chunkedMiBps, 0)} MiB/s vs whole ${f(result.get.wholeMiBps, 0)} MiB/s → ratio ${f(result.get.ratio)} (goal ≥ 0.8)`,
  );
  const cutting = result.serverChunking;
  console.log(
    `  cut in Worker reading the ${result.sizeMiB} MiB whole blob: ${f(cutting.readMs, 0)} ms; also cut into ${cutting.chunks} chunks and each hashed: ${f(cutting.readAndChunkMs, 0)} ms → ${f(cutting.extraMs, 0)} ms more (${f(cutting.chunkingMiBps, 0)} MiB/s)`,
  );
  const sc = result.scale;
  if (sc) {
    console.log(
      `  scale       ${sc.chunks} chunks (a 10 GiB file's count): first commit ${f(sc.firstCommitMs, 0)} ms (${sc.firstCommitRequests} request(s)), +1 chunk ${f(sc.appendCommitMs, 0)} ms (hashed ${sc.appendVerifiedBytes} B), GET ${f(sc.getMs, 0)} ms, 1 KB Range ${f(sc.rangeMs, 0)} ms`,
    );
  }
  writeResult('chunks-server', {
    ...result,
    durationS: Math.round((Date.now() - started) / 1000),
    host: { cpus: cpus().length, loadavg: loadavg() },
  });
}

let current = null;
if (process.argv[1] === fileURLToPath(import.meta.url)) await runSuite('chunks-server', main, () => current);
