#!/usr/bin/env node
/**
 * Table-profile bench (part of `npm run bench`), against the bench server (bench-server.mjs):
 *
 *   profile   a ROWS-row CSV (default 1,000,000 rows, ~60 MB; 6 columns, key `id`) profiled as the
 *             queue consumer does (POST /__bench/profile → profileOne: BlobStore stream, parse,
 *             sketches, row index, D1 writes), MB/s, vs a plain streaming read of the same bytes
 *             through the BlobStore (GET /__bench/read) in the same run. Target: ≤ 10 s.
 *   diff      GET /v1/diff between two versions holding that CSV and an edited copy (1% rows
 *             dropped, 10,000 appended, every 37th score changed, every 20th age emptied), both
 *             profiled: median ms over RUNS. Target: ≤ 1 s.
 *
 * Prints a table and writes test/bench/.out/tables.json. Exit 0 even when a target is missed.
 * BENCH_TABLE_ROWS=… changes the scale; BENCH_KEEP=1 keeps the server's temp dir (its wrangler.log).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  benchClient,
  median,
  runConditions,
  runSuite,
  startBenchServer,
  writeResult,
} from './bench-server.mjs';

const ROWS = Number(process.env.BENCH_TABLE_ROWS || 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS || 5);
const CITIES = ['Oslo', 'Lima', 'Pune', 'Kyiv', 'Accra', 'Quito', 'Hanoi', 'Porto'];

let server;
const { request, ok, publish } = benchClient(() => server);

function csv(edit) {
  const parts = ['id,age,income,city,score,flag\n'];
  let chunk = '';
  const row = (i, age) =>
    `${i},${age},${(20000 + ((i * 7919) % 90000)).toFixed(2)},${CITIES[i % CITIES.length]},${edit && i % 37 === 0 ? 1 : ((i * 31) % 997) / 997},${i % 3 === 0}\n`;
  for (let i = 1; i <= ROWS + (edit ? 10_000 : 0); i++) {
    if (i > ROWS && !edit) break;
    if (edit && i % 100 === 0) continue;
    chunk += row(i, edit && i % 20 === 0 ? '' : 18 + (i % 60));
    if (chunk.length > 1 << 20) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return Buffer.from(parts.join(''));
}

/** Uploads with curl from a file (undici's fetch drops a 60 MB request body to the local runtime). */
async function put(bytes) {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const file = join(server.work, `${digest.slice(7, 23)}.csv`);
  writeFileSync(file, bytes);
  const status = execFileSync(
    'curl',
    [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      'Expect:',
      '-H',
      `Authorization: Bearer ${server.token}`,
      '-T',
      file,
      `${server.base}/v1/blobs/${digest}`,
    ],
    { encoding: 'utf8' },
  );
  if (status !== '201' && status !== '200') throw new Error(`PUT ${digest}: ${status}`);
  return digest;
}

/** Times fn; once again if the pooled connection was closed under it (a keep-alive race). */
async function timed(fn, retried = false) {
  const t0 = performance.now();
  let value;
  try {
    value = await fn();
  } catch (e) {
    if (!retried && String(e.cause).includes('other side closed')) return timed(fn, true);
    throw new Error(`${e.message} after ${Math.round(performance.now() - t0)} ms: ${e.cause ?? ''}`);
  }
  return { ms: performance.now() - t0, value };
}

async function main() {
  const started = Date.now();
  const loadStart = loadavg();
  server = await startBenchServer({ keep: process.env.BENCH_KEEP === '1' });
  const a = csv(false);
  const b = csv(true);
  const [da, db] = [await put(a), await put(b)];
  const mb = a.byteLength / 1024 / 1024;

  const reads = [];
  for (let i = 0; i < 3; i++) reads.push((await timed(() => ok(`/__bench/read?digest=${da}`))).ms);
  const readMs = median(reads);
  const profile = async (digest) => {
    const r = await timed(() =>
      ok(`/__bench/profile?digest=${digest}&path=t.csv&key=id`, { method: 'POST' }),
    );
    if (r.value.state !== 'ready') throw new Error(`profile: ${JSON.stringify(r.value)}`);
    return r.ms;
  };
  const profileMs = await profile(da);
  await profile(db);

  const name = `bench/tables-${Date.now()}`;
  for (const [digest, size] of [
    [da, a.byteLength],
    [db, b.byteLength],
  ]) {
    await publish(name, {
      kind: 'dataset',
      files: [{ path: 't.csv', digest, size, table: { key: ['id'] } }],
    });
  }
  const diffs = [];
  let table;
  for (let i = 0; i < RUNS; i++) {
    const r = await timed(() => request(`/v1/diff?from=${name}@1&to=${name}@2`));
    if (r.value.status !== 200) throw new Error(`diff ${r.value.status}`);
    diffs.push(r.ms);
    table = JSON.parse(Buffer.from(r.value.body).toString()).files.modified[0].table;
  }
  const diffMs = median(diffs);
  const result = {
    rows: ROWS,
    csvMiB: Number(mb.toFixed(1)),
    plainReadMs: Math.round(readMs),
    plainReadMiBps: Number((mb / (readMs / 1000)).toFixed(1)),
    profileMs: Math.round(profileMs),
    profileMiBps: Number((mb / (profileMs / 1000)).toFixed(1)),
    profileVsRead: Number((profileMs / readMs).toFixed(1)),
    profileTargetMs: 10_000,
    diffMedianMs: Math.round(diffMs),
    diffTargetMs: 1000,
    diffRows: table?.rows,
    ...runConditions(started, loadStart),
  };
  console.log(`
tables bench (${ROWS.toLocaleString()} rows, ${result.csvMiB} MiB CSV)
  plain streaming read   ${result.plainReadMs} ms  (${result.plainReadMiBps} MiB/s)
  profile (consumer)     ${result.profileMs} ms  (${result.profileMiBps} MiB/s, ${result.profileVsRead}× the read; target ≤ 10,000 ms)
  diff of two profiles   ${result.diffMedianMs} ms median of ${RUNS}  (target ≤ 1,000 ms)
  rows                   ${JSON.stringify(table?.rows)}`);
  writeResult('tables', result);
}

await runSuite('tables', main, () => server);
