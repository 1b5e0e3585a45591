/**
 * Bench-only Worker entry (test/bench/wrangler.toml; never part of src/index.ts): the real app for
 * every route, plus baseline routes that touch R2 directly so `npm run bench` can compare our
 * routes against a raw BLOBS.put/get of the same bytes in the same local runtime.
 *
 *   PUT    /__bench/raw/:key   env.BLOBS.put(`bench/<key>`, request.body)   → 201 {"key","size"}
 *   GET    /__bench/raw/:key   env.BLOBS.get(`bench/<key>`) streamed back    → 200 octet-stream | 404
 *   DELETE /__bench/raw/:key   env.BLOBS.delete(`bench/<key>`)               → 204
 *
 *   GET    /__bench/d1/tag/:ns/:name/:tag   one raw D1 point lookup of a tag's digest (the
 *                                       baseline for resolve-by-tag)         → 200 {"digest"} | 404
 *   POST   /__bench/seed-blobs?count=N&seed=S  inserts N `blobs` rows with synthetic digests (rows
 *                                       only: publish reads D1, never the bytes) → 200 {"digests"}
 *
 * Diagnostics (to attribute our routes' cost, not baselines of the targets):
 *   PUT /__bench/raw/:key?sha256=<hex>  the same put with R2's sha256 check, as our PUT does
 *   GET /__bench/raw/:key?hash=1        the object streamed through SHA-256 in the Worker, as
 *                                       multipart complete does → 200 {"hex","size"}
 */
import { createApp } from '../../src/app';
import type { Bindings } from '../../src/env';

const app = createApp();
const RAW_PREFIX = '/__bench/raw/';
const KEY_RE = /^[\w.-]{1,128}$/;

async function raw(request: Request, env: Bindings, name: string, query: URLSearchParams): Promise<Response> {
  if (!KEY_RE.test(name)) return new Response('bad key\n', { status: 400 });
  const key = `bench/${name}`;
  switch (request.method) {
    case 'PUT': {
      const sha256 = query.get('sha256');
      const object = await env.BLOBS.put(key, request.body ?? '', sha256 ? { sha256 } : undefined);
      return Response.json({ key, size: object?.size ?? 0 }, { status: 201 });
    }
    case 'GET': {
      const object = await env.BLOBS.get(key);
      if (!object) return new Response('not found\n', { status: 404 });
      if (query.get('hash') === '1') {
        const digester = new crypto.DigestStream('SHA-256');
        await object.body.pipeTo(digester);
        const hex = [...new Uint8Array(await digester.digest)].map((b) => b.toString(16).padStart(2, '0'));
        return Response.json({ hex: hex.join(''), size: object.size });
      }
      return new Response(object.body, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(object.size) },
      });
    }
    case 'DELETE':
      await env.BLOBS.delete(key);
      return new Response(null, { status: 204 });
    default:
      return new Response('method not allowed\n', { status: 405 });
  }
}

async function rawTagLookup(env: Bindings, ns: string, name: string, tag: string): Promise<Response> {
  const row = await env.DB.prepare(
    'SELECT t.digest FROM tags t JOIN artifacts a ON a.id = t.artifact_id WHERE a.name = ? AND t.name = ?',
  )
    .bind(`${ns}/${name}`, tag)
    .first<{ digest: string }>();
  return row ? Response.json(row) : new Response('not found\n', { status: 404 });
}

/** Seeds blob rows for publish benchmarks: sha256 of `${seed}-${i}` for i < count. */
async function seedBlobs(env: Bindings, count: number, seed: string): Promise<Response> {
  const digests: string[] = [];
  for (let i = 0; i < count; i++) {
    const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${seed}-${i}`));
    digests.push(`sha256:${[...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('')}`);
  }
  const statements = [];
  for (let i = 0; i < digests.length; i += 5000) {
    statements.push(
      env.DB.prepare(
        'INSERT INTO blobs (digest, size, created_at) SELECT value, 1, 0 FROM json_each(?) WHERE true ON CONFLICT DO NOTHING',
      ).bind(JSON.stringify(digests.slice(i, i + 5000))),
    );
  }
  if (statements.length > 0) await env.DB.batch(statements);
  return Response.json({ digests });
}

export default {
  fetch(request, env, ctx) {
    const { pathname, searchParams } = new URL(request.url);
    const tagRoute = /^\/__bench\/d1\/tag\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(pathname);
    if (tagRoute) return rawTagLookup(env, tagRoute[1]!, tagRoute[2]!, tagRoute[3]!);
    if (pathname === '/__bench/seed-blobs' && request.method === 'POST') {
      return seedBlobs(env, Number(searchParams.get('count') ?? 0), searchParams.get('seed') ?? 'seed');
    }
    if (pathname.startsWith(RAW_PREFIX)) {
      return raw(request, env, pathname.slice(RAW_PREFIX.length), searchParams);
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
