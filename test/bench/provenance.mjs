#!/usr/bin/env node
/**
 * Provenance bench (part of `npm run bench`), against the bench server (bench-server.mjs):
 *
 *   statements   GET …/statement?type=model-signing, …?type=slsa and …/provenance (signed) of a
 *                10,000-file version, median ms over RUNS (target < 200 ms each), against a raw
 *                R2 get of the same manifest bytes (GET /__bench/raw/…) in the same run. The
 *                version's files are seeded as D1 rows only: R2 holds none of their bytes, so a
 *                statement that read a file byte would fail. Zero reads of file bytes, by design.
 *   attestation  POST …/attestations of a signed model-signing bundle (a 100-file version: full
 *                verification, signature and subject, every time) vs PUT …/tags/{tag} (a plain
 *                tag move), 16 concurrent clients, req/s ratio.
 *
 * Prints a table and writes test/bench/.out/provenance.json. Exit 0 even when a target is missed.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  benchClient,
  median,
  rotate,
  runConditions,
  runSuite,
  startBenchServer,
  writeResult,
} from './bench-server.mjs';

const FILES = Number(process.env.BENCH_PROVENANCE_FILES || 10_000);
const RUNS = Number(process.env.BENCH_RUNS || 9);
const SECONDS = Number(process.env.BENCH_SECONDS || 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const CONCURRENCY = 16;
const TARGET_MS = 200;

let server;
const { auth, request, ok, publish } = benchClient(() => server);

async function timed(path) {
  const t0 = performance.now();
  const res = await request(path);
  const ms = performance.now() - t0;
  if (res.status !== 200)
    throw new Error(`GET ${path} → ${res.status} ${Buffer.from(res.body).toString().slice(0, 200)}`);
  return ms;
}

/** req/s of `send()` (which must answer one of `want`) with CONCURRENCY clients for SECONDS. */
async function throughput(send) {
  const until = performance.now() + SECONDS * 1000;
  let count = 0;
  let turn = 0;
  const client = async () => {
    while (performance.now() < until) {
      await send(turn++);
      count++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  return count / ((performance.now() - t0) / 1000);
}

function bundleOf(statement, privateKey, keyId) {
  const type = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${statement.length} `), statement]);
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: keyId },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: statement.toString('base64'),
      payloadType: type,
      signatures: [{ sig: sign('sha256', pae, privateKey).toString('base64'), keyid: '' }],
    },
  });
}

async function main() {
  const started = Date.now();
  const load0 = loadavg();
  const registryKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  server = await startBenchServer({
    keep: process.env.BENCH_KEEP === '1',
    prefix: 'cairn-bench-provenance-',
    vars: { REGISTRY_SIGNING_KEY: registryKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  });
  console.log(
    `cairn provenance bench at ${server.base}: ${FILES} files, ${RUNS} runs; ${CONCURRENCY} clients`,
  );

  // 1. Statements of a 10,000-file version whose file bytes R2 does not hold.
  const { digests } = await ok(`/__bench/seed-blobs?count=${FILES}&seed=prov-${Date.now()}`, {
    method: 'POST',
  });
  const big = await publish('bench/prov-big', {
    kind: 'model',
    files: digests.map((digest, i) => ({
      path: `shards/${String(i).padStart(5, '0')}.bin`,
      digest,
      size: 1,
    })),
    params: { lr: 0.1 },
  });
  const manifest = await request(`/v1/manifests/${big.digest}`);
  await ok('/__bench/raw/prov-manifest', { method: 'PUT', body: Buffer.from(manifest.body) });
  const v = `/v1/artifacts/bench/prov-big/versions/${big.digest}`;
  const sides = [
    { label: 'model-signing statement', path: `${v}/statement?type=model-signing` },
    { label: 'SLSA statement', path: `${v}/statement?type=slsa` },
    { label: 'provenance bundle (signed SLSA)', path: `${v}/provenance` },
    {
      label: `raw R2 get of the manifest (${manifest.body.byteLength} B)`,
      path: '/__bench/raw/prov-manifest',
    },
  ];
  const samples = await rotate('statements', sides, (side) => timed(side.path), { runs: RUNS, warmup: 2 });
  const rawMs = median(samples[3]);
  const statementRows = sides.map((side, i) => {
    const ms = median(samples[i]);
    return {
      operation: side.label,
      medianMs: Number(ms.toFixed(1)),
      vsRawManifest: Number((ms / rawMs).toFixed(2)),
      ...(i < 3 ? { target: `< ${TARGET_MS} ms`, pass: ms < TARGET_MS } : {}),
    };
  });

  // 2. Attestation verification vs a plain tag move.
  const small = await ok('/__bench/seed-blobs?count=100&seed=prov-small', { method: 'POST' });
  const versions = [];
  for (const k of [0, 1]) {
    versions.push(
      await publish('bench/prov-small', {
        kind: 'model',
        files: small.digests.map((digest, i) => ({ path: `w/${k}-${i}.bin`, digest, size: 1 })),
      }),
    );
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha256').update(spki).digest('hex');
  await ok('/v1/keys', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', publicKey: publicKey.export({ type: 'spki', format: 'pem' }) }),
  });
  const sv = `/v1/artifacts/bench/prov-small/versions/${versions[0].digest}`;
  const statement = Buffer.from((await request(`${sv}/statement?type=model-signing`)).body);
  const bundle = bundleOf(statement, privateKey, keyId);
  const post = async (path, method, body) => {
    const res = await fetch(`${server.base}${path}`, {
      method,
      headers: { ...auth(), 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 200 && res.status !== 201) throw new Error(`${method} ${path} → ${res.status}`);
  };
  const attest = () => post(`${sv}/attestations`, 'POST', bundle);
  const move = (n) =>
    post(
      '/v1/artifacts/bench/prov-small/tags/bench',
      'PUT',
      JSON.stringify({ digest: versions[n % 2].digest }),
    );
  await attest();
  const rps = await rotate('attest vs move', [attest, move], (send) => throughput(send), {
    runs: ROUNDS,
    warmup: 1,
  });
  const attestRow = {
    operation: 'POST attestation (verified) vs PUT tag move',
    attestReqPerS: Math.round(median(rps[0])),
    moveReqPerS: Math.round(median(rps[1])),
    ratio: Number((median(rps[0]) / median(rps[1])).toFixed(3)),
  };

  console.log();
  for (const r of statementRows) {
    console.log(
      `${r.operation.padEnd(44)} median ${String(r.medianMs).padStart(7)} ms  ×${r.vsRawManifest} raw manifest read${r.target ? `  ${r.target}  ${r.pass ? 'PASS' : 'FAIL'}` : ''}`,
    );
  }
  console.log(
    `${attestRow.operation.padEnd(44)} ${attestRow.attestReqPerS} vs ${attestRow.moveReqPerS} req/s  ratio ${attestRow.ratio}`,
  );
  writeResult('provenance', {
    ...runConditions(started, load0),
    files: FILES,
    runs: RUNS,
    concurrency: CONCURRENCY,
    manifestBytes: manifest.body.byteLength,
    statements: statementRows,
    attestation: attestRow,
  });
}

await runSuite('provenance', main, () => server);
