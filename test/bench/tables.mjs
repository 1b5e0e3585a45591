#!/usr/bin/env node
/**
 * Table-profile bench (part of `npm run bench`), against the bench server (bench-server.mjs):
 *
 *   profile   a ROWS-row CSV (default 1,000,000 rows, ~60 MB; 6 columns, key `id`) profiled as the
 *             queue consumer does (POST /__bench/profile → profileOne: BlobStore stream, parse,
 *             sketches, row index, D1 writes), MB/s, vs a plain streaming read of the same bytes
 *             through the BlobStore (GET /__bench/read) in the same run. Target: ≤ 10 s.
 *   steps     the edited copy profiled the same way in steps of STEP MiB (each step saves its
 *             progress to D1 and the next one resumes from it: profiles too large for one
 *             invocation), MiB/s, to set the cost of resuming against the one-pass profile.
 *   parquet   the same ROWS rows written as Parquet (hyparquet-writer, snappy, row groups of
 *             100,000) and profiled as the consumer does (range reads, row group by row group),
 *             MB/s of Parquet bytes, vs a plain streaming read of those bytes in the same run.
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
import { parquetWriteBuffer } from 'hyparquet-writer';
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
const STEP_MIB = Number(process.env.BENCH_TABLE_STEP_MIB || 8);
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

/** The CSV's rows (unedited) as Parquet, with the types a writer of that data would declare. */
function parquet() {
  const id = new Int32Array(ROWS);
  const age = new Int32Array(ROWS);
  const income = new Float64Array(ROWS);
  const city = new Array(ROWS);
  const score = new Float64Array(ROWS);
  const flag = new Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    const i = r + 1;
    id[r] = i;
    age[r] = 18 + (i % 60);
    income[r] = 20000 + ((i * 7919) % 90000);
    city[r] = CITIES[i % CITIES.length];
    score[r] = ((i * 31) % 997) / 997;
    flag[r] = i % 3 === 0;
  }
  return Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: id, type: 'INT32', nullable: false },
        { name: 'age', data: age, type: 'INT32', nullable: false },
        { name: 'income', data: income, type: 'DOUBLE', nullable: false },
        { name: 'city', data: city, type: 'STRING' },
        { name: 'score', data: score, type: 'DOUBLE', nullable: false },
        { name: 'flag', data: flag, type: 'BOOLEAN' },
      ],
      rowGroupSize: 100_000,
    }),
  );
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

/** Restarts of the local Worker between requests (printed: they are part of the result). */
let restarts = 0;

/**
 * Times fn; once again if the pooled connection was closed under it (a keep-alive race), or if
 * the local runtime restarted the Worker as the request arrived (seen after back-to-back
 * profiles of large files, on main's code too; every step's work is durable, so the retry
 * resumes it).
 */
async function timed(fn, retried = false) {
  const t0 = performance.now();
  let value;
  try {
    value = await fn();
  } catch (e) {
    if (!retried && String(e.cause).includes('other side closed')) return timed(fn, true);
    if (!retried && String(e.message).includes('restarted mid-request')) {
      restarts++;
      return timed(fn, true);
    }
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

  const pq = parquet();
  const dq = await put(pq);
  const pqMb = pq.byteLength / 1024 / 1024;

  const readOf = async (digest) => {
    const reads = [];
    for (let i = 0; i < 3; i++) reads.push((await timed(() => ok(`/__bench/read?digest=${digest}`))).ms);
    return median(reads);
  };
  const readMs = await readOf(da);
  const pqReadMs = await readOf(dq);
  const profile = async (digest, path, budget) => {
    const r = await timed(() =>
      ok(`/__bench/profile?digest=${digest}&path=${path}&key=id${budget ? `&budget=${budget}` : ''}`, {
        method: 'POST',
      }),
    );
    if (r.value.state !== 'ready') throw new Error(`profile: ${JSON.stringify(r.value)}`);
    return { ms: r.ms, steps: r.value.steps };
  };
  const profileMs = (await profile(da, 't.csv')).ms;
  const stepped = await profile(db, 't.csv', STEP_MIB * 1024 * 1024);
  const pqProfile = await profile(dq, 't.parquet');
  const bMb = b.byteLength / 1024 / 1024;

  const name = `bench/tables-${Date.now()}`;
  for (const [digest, size] of [
    [da, a.byteLength],
    [db, b.byteLength],
  ]) {
    // Through timed() for its retry: the runtime refuses a request as it restarts the Worker.
    await timed(() =>
      publish(name, { kind: 'dataset', files: [{ path: 't.csv', digest, size, table: { key: ['id'] } }] }),
    );
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
    steppedMiB: Number(bMb.toFixed(1)),
    steppedStepMiB: STEP_MIB,
    steppedSteps: stepped.steps,
    steppedMs: Math.round(stepped.ms),
    steppedMiBps: Number((bMb / (stepped.ms / 1000)).toFixed(1)),
    parquetMiB: Number(pqMb.toFixed(1)),
    parquetPlainReadMs: Math.round(pqReadMs),
    parquetPlainReadMiBps: Number((pqMb / (pqReadMs / 1000)).toFixed(1)),
    parquetProfileMs: Math.round(pqProfile.ms),
    parquetProfileMiBps: Number((pqMb / (pqProfile.ms / 1000)).toFixed(1)),
    parquetProfileVsRead: Number((pqProfile.ms / pqReadMs).toFixed(1)),
    parquetRowsPerS: Math.round(ROWS / (pqProfile.ms / 1000)),
    workerRestarts: restarts,
    diffMedianMs: Math.round(diffMs),
    diffTargetMs: 1000,
    diffRows: table?.rows,
    ...runConditions(started, loadStart),
  };
  console.log(`
tables bench (${ROWS.toLocaleString()} rows, ${result.csvMiB} MiB CSV)
  plain streaming read   ${result.plainReadMs} ms  (${result.plainReadMiBps} MiB/s)
  profile (consumer)     ${result.profileMs} ms  (${result.profileMiBps} MiB/s, ${result.profileVsRead}× the read; target ≤ 10,000 ms)
  profile in steps       ${result.steppedMs} ms  (edited copy, ${result.steppedMiB} MiB in ${result.steppedSteps} steps of ${STEP_MIB} MiB: ${result.steppedMiBps} MiB/s)
  Parquet plain read     ${result.parquetPlainReadMs} ms  (${result.parquetMiB} MiB, ${result.parquetPlainReadMiBps} MiB/s)
  Parquet profile        ${result.parquetProfileMs} ms  (${result.parquetProfileMiBps} MiB/s, ${result.parquetProfileVsRead}× the read; ${result.parquetRowsPerS.toLocaleString()} rows/s)
  diff of two profiles   ${result.diffMedianMs} ms median of ${RUNS}  (target ≤ 1,000 ms)
  rows                   ${JSON.stringify(table?.rows)}
  Worker restarts        ${restarts} (requests retried once after the local runtime restarted the Worker)`);
  writeResult('tables', result);
}

await runSuite('tables', main, () => server);
