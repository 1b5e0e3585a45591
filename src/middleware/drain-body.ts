/**
 * Reads to the end any request body a handler did not consume (a rejected upload, an error thrown
 * before the body was read). Under `wrangler dev`, cancelling an unread body can make the *next*
 * request on the connection fail with "503 … restarted mid-request"; draining avoids that and
 * costs nothing in production, where oversized bodies are refused before the Worker runs.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

async function drain(req: Request): Promise<void> {
  if (!req.body || req.bodyUsed) return;
  try {
    await req.body.pipeTo(new WritableStream());
  } catch {
    // The client went away: nothing left to drain.
  }
}

export function drainUnreadBody() {
  return createMiddleware<AppEnv>(async function drainUnreadBody(c, next) {
    try {
      await next();
    } finally {
      await drain(c.req.raw);
    }
  });
}
