#!/usr/bin/env node
/**
 * `npm run test:bundle`: builds the Worker exactly as `wrangler deploy` would upload it
 * (`wrangler deploy --dry-run --outdir <tmp>`: no login, no network), prints its size raw and
 * gzip-compressed, and fails when it is over a limit below.
 *
 * The size is computed as wrangler's bundle reporter does: every uploaded module (the bundle and
 * the modules beside it, such as the SHA-256 WebAssembly; not source maps) concatenated, and
 * that gzip-compressed. Our raw figure must equal wrangler's own "Total Upload" line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Cloudflare Workers "Worker size" (developers.cloudflare.com/workers/platform/limits/#worker-size),
 * looked up 2026-12-06. Since 2026-09-04 the platform checks one limit on every plan: 64 MiB
 * uncompressed. Before that it was 3 MiB after gzip on Workers Free (10 MiB on Paid); we keep
 * the old Free figure as our own budget: a Worker that fits it starts fast and deploys on any
 * plan with any wrangler.
 */
const LIMITS = [
  { what: 'raw', limit: 64 * MiB, name: 'Workers limit on every plan, uncompressed' },
  { what: 'gzip', limit: 3 * MiB, name: 'our budget: the former Workers Free limit, gzip' },
];

const kib = (bytes) =>
  `${(bytes / KiB).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} KiB`;

function build(outdir) {
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
  // Credentials are not needed for a dry run; dropping them proves it (and CI has none).
  for (const name of ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_ACCOUNT_ID'])
    delete env[name];
  const result = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir, '-c', join(ROOT, 'wrangler.toml')],
    { cwd: ROOT, env, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`wrangler deploy --dry-run failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** The uploaded modules in wrangler's order (the others, then the entry), without source maps. */
function modules(outdir, entry) {
  const names = readdirSync(outdir).filter((n) => !n.endsWith('.map') && n !== 'README.md');
  if (!names.includes(entry)) throw new Error(`no ${entry} in ${outdir}: ${names.join(', ')}`);
  return [...names.filter((n) => n !== entry), entry].map((name) => ({
    name,
    bytes: readFileSync(join(outdir, name)),
  }));
}

function main() {
  const outdir = mkdtempSync(join(tmpdir(), 'cairn-bundle-'));
  try {
    const log = build(outdir);
    const mainTs = /^main = "(.+)"$/m.exec(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'))?.[1];
    const files = modules(outdir, `${basename(mainTs ?? 'index.ts').replace(/\.ts$/, '')}.js`);
    const all = Buffer.concat(files.map((f) => f.bytes));
    const sizes = { raw: all.length, gzip: gzipSync(all).length };

    console.log('Worker bundle (wrangler deploy --dry-run):');
    for (const f of files) console.log(`  ${f.name.padEnd(60)} ${kib(f.bytes.length).padStart(14)}`);
    let over = 0;
    for (const { what, limit, name } of LIMITS) {
      const share = ((100 * sizes[what]) / limit).toFixed(1);
      const ok = sizes[what] <= limit;
      if (!ok) over++;
      console.log(
        `  ${what.padEnd(5)} ${kib(sizes[what]).padStart(14)}  ${share.padStart(5)}% of ${limit / MiB} MiB (${name})  ${ok ? 'ok' : 'OVER'}`,
      );
    }

    // Cross-check: wrangler prints "Total Upload: 1602.97 KiB / gzip: 320.61 KiB".
    const reported = /Total Upload: ([\d.]+) KiB/.exec(log)?.[1];
    if (reported === undefined) console.log('  (wrangler printed no "Total Upload" line to compare with)');
    else if (reported !== (sizes.raw / KiB).toFixed(2)) {
      throw new Error(
        `measured ${kib(sizes.raw)}, but wrangler reports ${reported} KiB: the module list differs`,
      );
    }
    if (over > 0) {
      console.error(
        '\nThe Worker is over its size limit: its source map (`wrangler deploy --dry-run --outdir DIR`) names the sources that grew.',
      );
      return 1;
    }
    return 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`check-bundle: ${err.message}`);
  process.exitCode = 1;
}
