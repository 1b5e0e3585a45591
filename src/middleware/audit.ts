/**
 * Records the request in the audit log (services/audit.ts) once its response is known. Runs
 * outside auth, so refused credentials are recorded too; errors thrown by handlers are already
 * rendered into responses by the time `next()` returns (Hono's compose), so their status is seen.
 */
import { createMiddleware } from 'hono/factory';
import { SEGMENT } from '../contract/grammar';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { outcomeOf, recordAudit, shouldAudit } from '../services/audit';
import { actorOf } from '../services/auth';

const ARTIFACT_PATH_RE = new RegExp(
  `^/(?:v1/artifacts|lfs|ui/artifacts|v2)/(${SEGMENT})/(${SEGMENT})(?:/|$)`,
);

/** `ns/name` when the request path names an artifact (API, LFS, OCI and UI routes alike). */
function artifactOf(path: string): string | null {
  const m = ARTIFACT_PATH_RE.exec(path);
  return m ? `${m[1]}/${m[2]}` : null;
}

/** The client's address as Cloudflare saw it (a client cannot set this header through Cloudflare). */
export function clientIp(header: (name: string) => string | undefined): string | null {
  return header('cf-connecting-ip') ?? null;
}

export function audit() {
  return createMiddleware<AppEnv>(async function audit(c, next) {
    await next();
    const method = c.req.method;
    const status = c.res.status;
    if (!shouldAudit(method, status)) return;
    const path = new URL(c.req.url).pathname;
    const principal = c.var.principal ?? null;
    try {
      await recordAudit(c.var.deps, {
        at: Date.now(),
        requestId: c.var.requestId,
        actorId: principal?.id ?? null,
        actor: principal ? actorOf(principal) : 'unauthenticated',
        ip: clientIp((name) => c.req.header(name)),
        method,
        path: path.slice(0, 1024),
        action: `${method} ${c.req.routePath}`,
        artifact: artifactOf(path),
        status,
        outcome: outcomeOf(status),
        // Why it failed, in the API's own words (never the request body, which may hold secrets).
        detail: c.error instanceof ApiError ? { code: c.error.code } : null,
      });
    } catch (err) {
      // The request already happened: failing it now would only hide its outcome from the client.
      console.error(
        JSON.stringify({ requestId: c.var.requestId, error: `audit write failed: ${String(err)}` }),
      );
    }
  });
}
