/**
 * GET /v1/openapi.json: the OpenAPI 3.1 description of the API (src/openapi/document.ts), built
 * from the app's own routes on first use and kept for the isolate's life. Public, like any
 * published API description: it names routes and shapes, never data or tokens (a bad token is
 * still refused by the /v1 middleware). It changes only with a deploy, so it is cached briefly and
 * revalidated by ETag.
 */
import { Hono } from 'hono';
import type { RouterRoute } from 'hono/types';
import type { AppEnv } from '../env';
import { notModified } from '../http/caching';
import { sha256Hex } from '../lib/digest';
import { buildDocument, type OpenApiDocument } from '../openapi/document';

/** Five minutes: a deploy shows within that, and a client revalidates cheaply after. */
const CACHE_CONTROL = 'public, max-age=300, must-revalidate';

interface Rendered {
  document: OpenApiDocument;
  body: string;
  etag: string;
}

export type OpenApiSource = () => Promise<Rendered>;

/** The app's document, built once (its routes are all registered by the first request). */
export function openApiDocument(app: { routes: RouterRoute[] }): OpenApiSource {
  let rendered: Promise<Rendered> | undefined;
  return () => {
    rendered ??= (async () => {
      const document = await buildDocument(app.routes);
      const body = JSON.stringify(document);
      return { document, body, etag: `"${(await sha256Hex(body)).slice(0, 32)}"` };
    })().catch((err) => {
      rendered = undefined;
      throw err;
    });
    return rendered;
  };
}

export function openApiRoutes(document: OpenApiSource) {
  return new Hono<AppEnv>().get('/openapi.json', async (c) => {
    const { body, etag } = await document();
    const headers = { ETag: etag, 'Cache-Control': CACHE_CONTROL };
    if (notModified(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  });
}
