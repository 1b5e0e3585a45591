/**
 * A Worker-side cache (the Cache API, per data centre) for responses addressed by digest, which
 * never change once served. The CDN cannot cache them for us: requests carry Authorization.
 * Entries are keyed by a synthetic URL (independent of the host the client used) and carry the
 * namespace they belong to, so a hit is still checked against a namespace-limited token.
 * Only plain GETs use it: Range and conditional requests take the normal path.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { canAccessNamespace } from '../services/auth';

const NAMESPACE_HEADER = 'X-Cairn-Namespace';
const CACHE_ORIGIN = 'https://immutable.cairn.internal';

function cacheable(c: Context<AppEnv>): boolean {
  return c.req.method === 'GET' && !c.req.header('range') && !c.req.header('if-none-match');
}

function runLater(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (app.request() in tests): just let it finish.
    work.catch(() => {});
  }
}

/**
 * Serves `path` from the cache when present (and visible to the caller); otherwise answers with
 * `produce()` and stores a copy of a 200 answer, tagged with `namespace` from `produce`.
 */
export async function withImmutableCache(
  c: Context<AppEnv>,
  path: string,
  produce: () => Promise<{ response: Response; namespace: string }>,
): Promise<Response> {
  if (!cacheable(c)) return (await produce()).response;
  const cache = (caches as unknown as { default: Cache }).default;
  const key = new Request(`${CACHE_ORIGIN}${path}`);
  const hit = await cache.match(key);
  if (hit && canAccessNamespace(c.var.principal, hit.headers.get(NAMESPACE_HEADER) ?? '')) {
    const headers = new Headers(hit.headers);
    headers.delete(NAMESPACE_HEADER);
    return new Response(hit.body, { status: hit.status, headers });
  }
  if (hit) await hit.body?.cancel();
  const { response, namespace } = await produce();
  if (response.status !== 200 || !response.body) return response;
  const [mine, stored] = response.body.tee();
  const copy = new Response(stored, response);
  copy.headers.set(NAMESPACE_HEADER, namespace);
  runLater(c, cache.put(key, copy));
  return new Response(mine, response);
}
