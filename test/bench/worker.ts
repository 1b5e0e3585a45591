/**
 * Bench-only Worker entry (test/bench/wrangler.toml; never part of src/index.ts): the real app for
 * every route, plus baseline routes that touch R2 directly so `npm run bench` can compare our
 * routes against a raw BLOBS.put/get of the same bytes in the same local runtime.
 *
 *   PUT    /__bench/raw/:key   env.BLOBS.put(`bench/<key>`, request.body)   → 201 {"key","size"}
 *   GET    /__bench/raw/:key   env.BLOBS.get(`bench/<key>`) streamed back    → 200 octet-stream | 404
 *   DELETE /__bench/raw/:key   env.BLOBS.delete(`bench/<key>`)               → 204
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

export default {
  fetch(request, env, ctx) {
    const { pathname, searchParams } = new URL(request.url);
    if (pathname.startsWith(RAW_PREFIX)) {
      return raw(request, env, pathname.slice(RAW_PREFIX.length), searchParams);
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
