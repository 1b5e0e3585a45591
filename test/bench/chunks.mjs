#!/usr/bin/env node
/**
 * Chunk-level dedup bench (issue 15; part of `npm run bench`), against the bench server
 * (bench-server.mjs), with the real `cairn` command (bin/cairn.mjs, Node and tsx start included)
 * going through the counting proxy (test/cli/counting-proxy.mjs), which counts every byte sent.
 * One run measures the four goals and prints each as a ratio against its baseline:
 *
 *  (a) insert   a 256 MiB file, then the same file with 100 bytes inserted in its middle:
 *               re-push bytes sent / file size (goal ≤ 1%), re-push time / first push (≤ 15%).
 *  (b) append   a 256 MiB CSV, then 1% more rows: re-push bytes / size (≤ 2%); what the server
 *               hashed to verify the re-push (the recipe answers' verifiedBytes) against the
 *               appended bytes, and the commit's time against the first push's commit.
 *  (c) daily    20 versions of a growing CSV (32 MiB, each day +2% rows and 5 in-place edits):
 *               bytes stored / final version's size (≤ 1.3×), from GET /v1/admin/storage when
 *               the server has it (else the pack bytes sent); whole-file dedup would store every
 *               version: Σ sizes / final.
 *  (d) GET      a chunked 256 MiB blob vs another 256 MiB blob stored whole by one PUT (R2's
 *               fastest layout to read), full GETs in turn, BENCH_GETS times each (default 5):
 *               chunked MiB/s / whole (≥ 0.8); a third one stored by multipart is read as a
 *               reference. First chunked push / `cairn push --chunking off` of the same size
 *               (≤ 1.2), 256 MiB of fresh random bytes each.
 *  (e) uplink   (a) again with another file, through a proxy that gives request bodies one link
 *               of BENCH_UPLINK_MBIT Mbit/s (default 100; 0 skips it): the loopback makes a first
 *               push cost only CPU, a real uplink makes it cost its bytes, and the re-push does
 *               not send them.
 *  Also: the CLI's hashing in this process, digest only vs digest + chunks + chunk hashes.
 *
 * The CSV files are named `.csv.dat`: a `.csv` would also be queued for the table profiler (a
 * separate feature), which would read and index the whole table in the same local Worker while
 * the next push is being timed (and a 256 MiB one made the local Worker restart).
 *
 * Writes test/bench/.out/chunks.json. Exit 0 unless something failed (a measurement, not a test).
 */
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { register } from 'tsx/esm/api';
import { copyWithInsert, editInPlace, sha256File, writeCsv, writeRandomFile } from '../cli/chunk-files.mjs';
import { startProxy } from '../cli/counting-proxy.mjs';
import { runCli } from '../cli/run-cli.mjs';
import { MiB, median, runSuite, startBenchServer, writeResult } from './bench-server.mjs';

register();

const SIZE = 256 * MiB;
const GETS = Number(process.env.BENCH_GETS || 5);
const UPLINK_MBIT = Number(process.env.BENCH_UPLINK_MBIT ?? 100);
const DAYS = 20;
const PACKS = /^\/v1\/chunks\/packs$/;
const RECIPE = /^\/v1\/blobs\/sha256:[0-9a-f]{64}\/recipe$/;

let server;
let proxy;
/** Per request: how long it took, by method and path pattern (filled by the proxy's onResponse). */
const timings = [];

async function cli(args) {
  const t0 = performance.now();
  const r = await runCli(args, {
    env: {
      CAIRN_URL: proxy.url,
      CAIRN_TOKEN: server.token,
      XDG_CONFIG_HOME: join(server.work, 'config'),
      XDG_CACHE_HOME: join(server.work, 'cache'),
    },
    cwd: server.work,
  });
  if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}\n${r.stderr.slice(-2000)}`);
  return { ms: performance.now() - t0, json: r.json };
}

/** One `cairn push` through the proxy: its time, its JSON, and what went over the wire. */
async function push(file, name, ...more) {
  proxy.reset();
  timings.length = 0;
  const r = await cli([
    'push',
    file,
    name,
    '--kind',
    'dataset',
    '--code',
    'none',
    '--quiet',
    '--json',
    ...more,
  ]);
  const sent = proxy.requests.reduce((n, q) => n + q.bytes, 0);
  const recipeMs = timings
    .filter((t) => t.method === 'PUT' && RECIPE.test(t.path))
    .reduce((n, t) => n + t.ms, 0);
  return {
    ms: r.ms,
    upload: r.json.upload,
    sentBytes: sent,
    packBytes: proxy.bytes('POST', PACKS),
    packs: proxy.count('POST', PACKS),
    recipeRequests: proxy.count('PUT', RECIPE),
    recipeMs,
    version: r.json.version,
    json: r.json,
  };
}

async function manifestDigest(published) {
  const res = await fetch(published.manifestUrl, { headers: { authorization: `Bearer ${server.token}` } });
  const manifest = await res.json();
  return manifest.files[0].digest;
}

/** A full GET straight from the server (no proxy), body drained: ms. */
async function getMs(digest) {
  const t0 = performance.now();
  const res = await fetch(`${server.base}/v1/blobs/${digest}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  if (res.status !== 200) throw new Error(`GET ${digest} → ${res.status}`);
  let size = 0;
  for await (const block of res.body) size += block.byteLength;
  if (size !== SIZE) throw new Error(`GET ${digest}: ${size} bytes, not ${SIZE}`);
  return performance.now() - t0;
}

/** The store's bytes from GET /v1/admin/storage, or null when the server has no such route. */
async function storage() {
  const res = await fetch(`${server.base}/v1/admin/storage`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  if (res.status === 404) {
    await res.arrayBuffer();
    return null;
  }
  if (res.status !== 200) throw new Error(`GET /v1/admin/storage → ${res.status}`);
  return res.json();
}

const ratio = (a, b) => Math.round((a / b) * 10_000) / 10_000;
const pct = (x) => `${(x * 100).toFixed(2)}%`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function insertCase(dir, { name = 'insert', seed = 1501 } = {}) {
  const file = join(dir, `${name}.bin`);
  await writeRandomFile(file, SIZE, seed);
  const first = await push(file, `bench/${name}`);
  const edited = join(dir, `${name}-edited`, `${name}.bin`);
  mkdirSync(join(dir, `${name}-edited`));
  await copyWithInsert(file, edited, SIZE / 2 + 4321, Buffer.alloc(100, 0x5a));
  const again = await push(edited, `bench/${name}`);
  rmSync(edited);
  return { file, first, again };
}

/** (a) through a shaped uplink; null when BENCH_UPLINK_MBIT is 0. */
async function uplinkCase(dir) {
  if (!UPLINK_MBIT) return null;
  proxy.uplink = (UPLINK_MBIT * 1e6) / 8;
  try {
    const r = await insertCase(dir, { name: 'uplink', seed: 1504 });
    rmSync(r.file);
    return r;
  } finally {
    proxy.uplink = null;
  }
}

async function appendCase(dir) {
  const file = join(dir, 'table.csv.dat');
  const rows = await writeCsv(file, { bytes: SIZE, seed: 7 });
  const size = statSync(file).size;
  const first = await push(file, 'bench/append');
  const before = statSync(file).size;
  await writeCsv(file, { fromRow: rows, rows: Math.round(rows / 100), seed: 7, header: false });
  const appended = statSync(file).size - before;
  const again = await push(file, 'bench/append', '--rehash');
  rmSync(file);
  return { size, appended, first, again };
}

async function dailyCase(dir) {
  const file = join(dir, 'daily.csv.dat');
  const before = await storage();
  let rows = await writeCsv(file, { bytes: 32 * MiB, seed: 11 });
  const days = [];
  for (let day = 1; day <= DAYS; day++) {
    if (day > 1) {
      const more = Math.round(rows * 0.02);
      await writeCsv(file, { fromRow: rows, rows: more, seed: 11, header: false });
      rows += more;
      await editInPlace(file, 5, day);
    }
    const r = await push(file, 'bench/daily', '--rehash');
    days.push({
      size: statSync(file).size,
      packBytes: r.packBytes,
      sentBytes: r.sentBytes,
      ms: Math.round(r.ms),
    });
  }
  const after = await storage();
  const finalSize = days[days.length - 1].size;
  const logical = days.reduce((n, d) => n + d.size, 0);
  const stored =
    before && after ? after.storedBytes - before.storedBytes : days.reduce((n, d) => n + d.packBytes, 0);
  rmSync(file);
  return {
    days,
    finalSize,
    logical,
    stored,
    storedFrom: before && after ? 'GET /v1/admin/storage' : 'pack bytes sent',
  };
}

/** A 256 MiB file of other random bytes pushed whole: the baseline of the first push and of GET. */
/**
 * The whole-file baselines, 256 MiB of other random bytes each: `cairn push --chunking off` (what
 * a push did before: multipart, as 256 MiB is above the CLI's 95 MiB single-request limit), and a
 * blob stored by one PUT (R2's fastest layout to read back: the GET baseline).
 */
async function wholeCase(dir) {
  const whole = join(dir, 'whole.bin');
  await writeRandomFile(whole, SIZE, 1502);
  const push1 = await push(whole, 'bench/whole', '--chunking', 'off');
  rmSync(whole);
  const single = join(dir, 'single.bin');
  await writeRandomFile(single, SIZE, 1503);
  const singleDigest = await sha256File(single);
  const res = await fetch(`${server.base}/v1/blobs/${singleDigest}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.token}`, 'content-length': String(SIZE) },
    body: Readable.toWeb(createReadStream(single, { highWaterMark: MiB })),
    duplex: 'half',
  });
  if (res.status !== 201) throw new Error(`PUT ${singleDigest} → ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  rmSync(single);
  return { push: push1, multipartDigest: await manifestDigest(push1.json), singleDigest };
}

/** Full GETs of the three, each first in turn, BENCH_GETS rounds: ms per side. */
async function getCase(digests) {
  const sides = Object.keys(digests);
  const ms = Object.fromEntries(sides.map((side) => [side, []]));
  for (let i = 0; i < GETS; i++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(i + k) % sides.length];
      ms[side].push(await getMs(digests[side]));
    }
  }
  return ms;
}

/** The CLI's hashing of a file in this process: digest only, and digest + chunks (MiB/s). */
async function clientHashing(file) {
  const { hashFile } = await import('../../cli/hashing.ts');
  const rate = async (options) => {
    const t0 = performance.now();
    await hashFile(file, undefined, options);
    return Math.round(SIZE / MiB / ((performance.now() - t0) / 1000));
  };
  return { hashMiBps: await rate({}), hashAndChunkMiBps: await rate({ chunks: true }) };
}

async function main() {
  const t0 = performance.now();
  server = await startBenchServer({ prefix: 'cairn-bench-chunks-' });
  proxy = await startProxy(server.base);
  proxy.onResponse = (entry) =>
    timings.push({ method: entry.method, path: entry.path, ms: Date.now() - entry.at });
  const dir = join(server.work, 'files');
  mkdirSync(dir);
  try {
    const whole = await wholeCase(dir);
    const a = await insertCase(dir);
    const hashing = await clientHashing(a.file);
    rmSync(a.file);
    const d = await getCase({
      chunked: await manifestDigest(a.first.json),
      single: whole.singleDigest,
      multipart: whole.multipartDigest,
    });
    const b = await appendCase(dir);
    const c = await dailyCase(dir);
    const e = await uplinkCase(dir);

    const mibps = (ms) => SIZE / MiB / (median(ms) / 1000);
    const chunkedMiBps = mibps(d.chunked);
    const wholeMiBps = mibps(d.single);
    const multipartMiBps = mibps(d.multipart);
    const result = {
      machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
      insert: {
        size: SIZE,
        firstPushMs: Math.round(a.first.ms),
        firstPackBytes: a.first.packBytes,
        firstRecipeMs: a.first.recipeMs,
        rePushMs: Math.round(a.again.ms),
        rePushSentBytes: a.again.sentBytes,
        rePushPackBytes: a.again.packBytes,
        rePushVerifiedBytes: a.again.upload.verifiedBytes,
        rePushRecipeMs: a.again.recipeMs,
        sentOverSize: ratio(a.again.sentBytes, SIZE),
        timeOverFirst: ratio(a.again.ms, a.first.ms),
      },
      append: {
        size: b.size,
        appendedBytes: b.appended,
        firstPushMs: Math.round(b.first.ms),
        firstVerifiedBytes: b.first.upload.verifiedBytes,
        firstRecipeMs: b.first.recipeMs,
        rePushMs: Math.round(b.again.ms),
        rePushSentBytes: b.again.sentBytes,
        rePushVerifiedBytes: b.again.upload.verifiedBytes,
        rePushRecipeMs: b.again.recipeMs,
        sentOverSize: ratio(b.again.sentBytes, b.size),
        verifiedOverAppended: ratio(b.again.upload.verifiedBytes, b.appended),
        recipeTimeOverFirst: ratio(b.again.recipeMs, b.first.recipeMs),
      },
      daily: {
        days: DAYS,
        finalSize: c.finalSize,
        storedBytes: c.stored,
        storedFrom: c.storedFrom,
        storedOverFinal: ratio(c.stored, c.finalSize),
        wholeFileOverFinal: ratio(c.logical, c.finalSize),
        perDay: c.days,
      },
      get: {
        chunkedMs: d.chunked.map(Math.round),
        wholeMs: d.single.map(Math.round),
        multipartMs: d.multipart.map(Math.round),
        chunkedMiBps: Math.round(chunkedMiBps),
        wholeMiBps: Math.round(wholeMiBps),
        multipartMiBps: Math.round(multipartMiBps),
        chunkedOverWhole: ratio(chunkedMiBps, wholeMiBps),
      },
      uplink: e && {
        mbit: UPLINK_MBIT,
        firstPushMs: Math.round(e.first.ms),
        rePushMs: Math.round(e.again.ms),
        rePushSentBytes: e.again.sentBytes,
        timeOverFirst: ratio(e.again.ms, e.first.ms),
      },
      clientHashing: hashing,
      firstPush: {
        chunkedMs: Math.round(a.first.ms),
        wholeMs: Math.round(whole.push.ms),
        chunkedOverWhole: ratio(a.first.ms, whole.push.ms),
      },
      durationS: Math.round((performance.now() - t0) / 1000),
    };
    const r = result;
    console.table([
      { goal: '(a) 100 B inserted: re-push bytes / size', value: pct(r.insert.sentOverSize), target: '≤ 1%' },
      {
        goal: '(a) re-push time / first push',
        value: `${pct(r.insert.timeOverFirst)} (${s(r.insert.rePushMs)} / ${s(r.insert.firstPushMs)})`,
        target: '≤ 15%',
      },
      {
        goal: '(b) 1% rows appended: re-push bytes / size',
        value: pct(r.append.sentOverSize),
        target: '≤ 2%',
      },
      {
        goal: '(b) server verified / appended bytes',
        value: `${r.append.verifiedOverAppended}× (${r.append.rePushVerifiedBytes} / ${r.append.appendedBytes})`,
        target: '~1×',
      },
      {
        goal: '(b) commit time: re-push / first push',
        value: `${pct(r.append.recipeTimeOverFirst)} (${s(r.append.rePushRecipeMs)} / ${s(r.append.firstRecipeMs)})`,
        target: '',
      },
      {
        goal: `(c) ${DAYS} daily versions: stored / final size`,
        value: `${r.daily.storedOverFinal}× (whole-file dedup: ${r.daily.wholeFileOverFinal}×)`,
        target: '≤ 1.3×',
      },
      {
        goal: '(d) GET chunked / GET whole, one PUT (MiB/s)',
        value: `${r.get.chunkedOverWhole}× (${r.get.chunkedMiBps} / ${r.get.wholeMiBps} MiB/s)`,
        target: '≥ 0.8×',
      },
      {
        goal: '(d) GET of a blob stored by multipart',
        value: `${r.get.multipartMiBps} MiB/s`,
        target: '(reference)',
      },
      {
        goal: '(d) first push chunked / whole-file push',
        value: `${r.firstPush.chunkedOverWhole}× (${s(r.firstPush.chunkedMs)} / ${s(r.firstPush.wholeMs)})`,
        target: '≤ 1.2×',
      },
      {
        goal: `(e) over a ${UPLINK_MBIT} Mbit/s uplink: re-push time / first push`,
        value: r.uplink
          ? `${pct(r.uplink.timeOverFirst)} (${s(r.uplink.rePushMs)} / ${s(r.uplink.firstPushMs)})`
          : 'skipped',
        target: '≤ 15%',
      },
      {
        goal: 'client: hash / hash + chunk + chunk hashes',
        value: `${r.clientHashing.hashMiBps} / ${r.clientHashing.hashAndChunkMiBps} MiB/s`,
        target: '(reference)',
      },
    ]);
    writeResult('chunks', result);
  } finally {
    await proxy.stop();
  }
}

await runSuite('chunks', main, () => server);
