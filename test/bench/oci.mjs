#!/usr/bin/env node
/**
 * OCI bench (part of `npm run bench`), against the bench server (bench-server.mjs): one layer of
 * BENCH_OCI_MIB MiB (default 64; e.g. BENCH_OCI_MIB=256 for the larger run), fresh random bytes
 * for every push (so nothing is deduplicated), BENCH_ROUNDS rounds (default 3), the order rotating:
 *
 *   push  raw        PUT /__bench/raw/{key}          a plain BLOBS.put (the floor)
 *         v1         PUT /v1/blobs/{digest}          Cairn's native verified PUT (the baseline)
 *         oci-http   POST, PATCH (the whole layer), PUT ?digest= on /v2: the requests skopeo
 *                    sends for a layer, from this process (protocol cost only)
 *         v1-curl    `curl -T <file> …/v1/blobs/{digest}`: the same /v1 PUT from a process that
 *                    reads the layer from disk, through the same front as skopeo
 *         skopeo     `skopeo copy --preserve-digests oci:<layout> docker://…` (config, layer,
 *                    manifest that becomes a version): the real client, process start included
 *   pull  raw        GET /__bench/raw/{key}
 *         v1         GET /v1/blobs/{digest}
 *         oci-http   GET /v2/{name}/blobs/{digest}
 *         v1-curl    `curl …/v1/blobs/{digest} | tee <file> | sha256sum`, digest compared: the
 *                    same /v1 GET written to disk and verified, through the same front as skopeo
 *         skopeo     `skopeo copy docker://… oci:<dir>` (manifest, config, layer; verified)
 *
 * Writing a layout (or curl's file) before a push, and removing what a pull wrote, are not
 * timed. skopeo and curl go through test/e2e/http-only-front.mjs (a local pipe that refuses
 * skopeo's HTTPS probe at once). Two baselines, both printed: `v1` (an in-process request with
 * the bytes in memory: the server's cost alone) and `v1-curl` (the fair one for a client
 * process: a process start, the disk, the front hop, and on pull the digest check, as skopeo
 * pays them). Prints medians (MiB/s) and the ratios the issue sets goals for: push time skopeo /
 * baseline (goal ≤ 1.3), pull throughput skopeo / baseline (goal ≥ 0.9), and against raw; then
 * manifest GET by tag (BENCH_LOOKUPS, default 200, 4 in flight) in req/s vs
 * `GET /v1/resolve/{ref}` of the same tag; writes test/bench/.out/oci.json.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpOnlyFront } from '../e2e/http-only-front.mjs';
import {
  benchClient,
  MiB,
  median,
  rotate,
  runConditions,
  runSuite,
  startSuiteServer,
  writeResult,
} from './bench-server.mjs';

const run = promisify(execFile);
const SIZE = Number(process.env.BENCH_OCI_MIB || 64) * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const REPO = 'bench/oci-model';
const LOOKUPS = Number(process.env.BENCH_LOOKUPS || 200);

let server;
let front;
const { auth } = benchClient(() => server);
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
let seq = 0;
/** The latest pushed layer of each side, for the pulls. */
const pushed = {};

async function expect(res, statuses, what) {
  if (!statuses.includes(res.status))
    throw new Error(`${what} → ${res.status} ${(await res.text()).slice(0, 300)}`);
  await res.arrayBuffer();
  return res;
}

const call = (path, init = {}) =>
  fetch(`${server.base}${path}`, { ...init, headers: { ...auth(), ...init.headers } });

function skopeo(args) {
  return run('skopeo', ['--insecure-policy', ...args], {
    maxBuffer: 16 * MiB,
    env: { ...process.env, HOME: server.work },
  });
}

/** An OCI layout of one layer of `bytes` (fresh each time), tagged `tag`. */
function layout(bytes, tag) {
  const dir = join(server.work, `layout-${tag}`);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b) => {
    const digest = sha256(b);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), b);
    return { digest, size: b.length };
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cncf.model.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.cncf.model.config.v1+json',
        ...put(Buffer.from(`{"n":"${tag}"}`)),
      },
      layers: [
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          ...put(bytes),
          annotations: { 'org.opencontainers.image.title': 'weights.bin' },
        },
      ],
    }),
  );
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const ref = { 'org.opencontainers.image.ref.name': tag };
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: ref }],
    }),
  );
  return dir;
}

/** Writes `bytes` to a file for curl to send (untimed). */
function curlFile(bytes) {
  const file = join(server.work, `curl-${++seq}.bin`);
  writeFileSync(file, bytes);
  return file;
}

function curl(args) {
  return run('curl', ['-sS', '-f', '-H', `Authorization: Bearer ${server.token}`, ...args], {
    maxBuffer: 16 * MiB,
  });
}

/** Per side, what to do before a timed push (untimed; its result is passed to the push). */
const PREPARE = {
  'v1-curl': (bytes) => ({ file: curlFile(bytes) }),
  skopeo: (bytes) => {
    const tag = `r${++seq}`;
    return { tag, dir: layout(bytes, tag) };
  },
};

const PUSH = {
  raw: async (bytes) => {
    const key = `oci-${++seq}`;
    await expect(
      await fetch(`${server.base}/__bench/raw/${key}`, { method: 'PUT', body: bytes }),
      [201],
      'raw PUT',
    );
    return { key };
  },
  v1: async (bytes, digest) => {
    await expect(await call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes }), [201], 'v1 PUT');
    return { digest };
  },
  'oci-http': async (bytes, digest) => {
    const start = await expect(await call(`/v2/${REPO}/blobs/uploads/`, { method: 'POST' }), [202], 'POST');
    const patch = await expect(
      await call(start.headers.get('location'), {
        method: 'PATCH',
        body: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      }),
      [202],
      'PATCH',
    );
    await expect(
      await call(`${patch.headers.get('location')}?digest=${digest}`, { method: 'PUT' }),
      [201],
      'PUT',
    );
    return { digest };
  },
  'v1-curl': async (_bytes, digest, { file }) => {
    await curl([
      '-o',
      '/dev/null',
      '-T',
      file,
      '-H',
      'Content-Type: application/octet-stream',
      `http://${front.host}/v1/blobs/${digest}`,
    ]);
    rmSync(file, { force: true });
    return { digest };
  },
  skopeo: async (_bytes, digest, { tag, dir }) => {
    await skopeo([
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `--dest-creds=bench:${server.token}`,
      `oci:${dir}:${tag}`,
      `docker://${front.host}/${REPO}:${tag}`,
    ]);
    return { digest, tag, dir };
  },
};

const PULL = {
  raw: async ({ key }) => expect(await fetch(`${server.base}/__bench/raw/${key}`), [200], 'raw GET'),
  v1: async ({ digest }) => expect(await call(`/v1/blobs/${digest}`), [200], 'v1 GET'),
  'oci-http': async ({ digest }) => expect(await call(`/v2/${REPO}/blobs/${digest}`), [200], 'oci GET'),
  'v1-curl': async ({ digest }) => {
    const file = join(server.work, `pulled-${++seq}.bin`);
    const url = `http://${front.host}/v1/blobs/${digest}`;
    const { stdout } = await run(
      'sh',
      ['-c', 'curl -sS -f -H "Authorization: Bearer $T" "$U" | tee "$F" | sha256sum'],
      { env: { ...process.env, T: server.token, U: url, F: file } },
    );
    if (`sha256:${stdout.split(' ')[0]}` !== digest)
      throw new Error(`curl pulled other bytes than ${digest}`);
    return { file };
  },
  skopeo: async ({ tag }) => {
    const dir = join(server.work, `pull-${++seq}`);
    await skopeo([
      'copy',
      '--src-tls-verify=false',
      `--src-creds=bench:${server.token}`,
      `docker://${front.host}/${REPO}:${tag}`,
      `oci:${dir}:${tag}`,
    ]);
    return { dir };
  },
};

/** Removes what a push's preparation or a pull wrote (untimed). */
function cleanUp(out) {
  if (out?.dir) rmSync(out.dir, { recursive: true, force: true });
  if (out?.file) rmSync(out.file, { force: true });
}

/** GET the manifest by tag (/v2) or resolve the same ref (/v1), LOOKUPS times, 4 in flight: req/s. */
async function lookupRate(side, tag) {
  const path = side === 'oci' ? `/v2/${REPO}/manifests/${tag}` : `/v1/resolve/${REPO}:${tag}`;
  let left = LOOKUPS;
  const client = async () => {
    while (left-- > 0) await expect(await call(path, { headers: { accept: '*/*' } }), [200], side);
  };
  const t0 = performance.now();
  await Promise.all([client(), client(), client(), client()]);
  return LOOKUPS / ((performance.now() - t0) / 1000);
}

async function timed(fn) {
  const t0 = performance.now();
  const out = await fn();
  const seconds = (performance.now() - t0) / 1000;
  cleanUp(out);
  return seconds;
}

async function main() {
  const t0 = Date.now();
  const load0 = loadavg();
  server = await startSuiteServer('cairn-bench-oci-');
  front = await httpOnlyFront(server.base);
  const sides = Object.keys(PUSH);
  console.log(`cairn OCI bench at ${server.base}: one ${SIZE / MiB} MiB layer, ${ROUNDS} rounds`);
  const pushS = await rotate(
    'push',
    sides,
    (side) => {
      const bytes = randomBytes(SIZE);
      const digest = sha256(bytes);
      const prepared = PREPARE[side]?.(bytes) ?? {};
      return timed(async () => {
        pushed[side] = await PUSH[side](bytes, digest, prepared);
        return { dir: pushed[side].dir };
      });
    },
    { runs: ROUNDS, warmup: 1 },
  );
  const pullS = await rotate('pull', sides, (side) => timed(() => PULL[side](pushed[side])), {
    runs: ROUNDS,
    warmup: 1,
  });
  const tag = pushed.skopeo.tag;
  const lookups = await rotate('manifest', ['oci', 'resolve'], (side) => lookupRate(side, tag), {
    runs: ROUNDS,
    warmup: 1,
  });
  const rate = (s) => Math.round((SIZE / MiB / s) * 10) / 10;
  const rows = sides.map((side, k) => ({
    side,
    pushMiBs: rate(median(pushS[k])),
    pullMiBs: rate(median(pullS[k])),
    pushS: pushS[k],
    pullS: pullS[k],
  }));
  const by = Object.fromEntries(rows.map((r) => [r.side, r]));
  const r2 = (x) => Math.round(x * 100) / 100;
  const ratios = {
    // Push: time ours / time baseline (lower is better; goal skopeo ≤ 1.3× v1).
    pushSkopeoVsV1: r2(by.v1.pushMiBs / by.skopeo.pushMiBs),
    pushOciHttpVsV1: r2(by.v1.pushMiBs / by['oci-http'].pushMiBs),
    pushSkopeoVsRaw: r2(by.raw.pushMiBs / by.skopeo.pushMiBs),
    // The fair baseline for a client process (see the header).
    pushSkopeoVsV1Curl: r2(by['v1-curl'].pushMiBs / by.skopeo.pushMiBs),
    // Pull: throughput ours / baseline (higher is better; goal skopeo ≥ 0.9× v1).
    pullSkopeoVsV1: r2(by.skopeo.pullMiBs / by.v1.pullMiBs),
    pullOciHttpVsV1: r2(by['oci-http'].pullMiBs / by.v1.pullMiBs),
    pullSkopeoVsRaw: r2(by.skopeo.pullMiBs / by.raw.pullMiBs),
    pullSkopeoVsV1Curl: r2(by.skopeo.pullMiBs / by['v1-curl'].pullMiBs),
  };
  const perS = { oci: Math.round(median(lookups[0])), resolve: Math.round(median(lookups[1])) };
  ratios.manifestByTagVsResolve = r2(perS.oci / perS.resolve);
  for (const r of rows)
    console.log(
      `${r.side.padEnd(9)} push ${String(r.pushMiBs).padStart(7)} MiB/s   pull ${String(r.pullMiBs).padStart(7)} MiB/s`,
    );
  console.log(
    `fair:       skopeo push time ${ratios.pushSkopeoVsV1Curl}× v1-curl (goal ≤ 1.3), pull rate ${ratios.pullSkopeoVsV1Curl}× v1-curl (goal ≥ 0.9)`,
  );
  console.log(
    `push time:  skopeo ${ratios.pushSkopeoVsV1}× v1 (goal ≤ 1.3), oci-http ${ratios.pushOciHttpVsV1}× v1, skopeo ${ratios.pushSkopeoVsRaw}× raw`,
  );
  console.log(
    `pull rate:  skopeo ${ratios.pullSkopeoVsV1}× v1 (goal ≥ 0.9), oci-http ${ratios.pullOciHttpVsV1}× v1, skopeo ${ratios.pullSkopeoVsRaw}× raw`,
  );
  console.log(
    `manifest by tag: ${perS.oci} req/s over /v2, ${perS.resolve} req/s /v1/resolve (${ratios.manifestByTagVsResolve}×)`,
  );
  writeResult('oci', {
    ...runConditions(t0, load0),
    sizeMiB: SIZE / MiB,
    rounds: ROUNDS,
    rows,
    lookupsPerS: perS,
    ratios,
  });
}

await runSuite(
  'oci',
  async () => {
    try {
      await main();
    } finally {
      await front?.close();
    }
  },
  () => server,
);
