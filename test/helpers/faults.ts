/**
 * Fault injection over the real bindings: Proxies around `env.BLOBS` (R2) and `env.DB` (D1) that
 * record every I/O call and throw on the Nth one, so a test can drive the real app (createApp)
 * with one step failing and then check what the failure left behind. Nothing is faked: every
 * call that is not the failing one goes to the real local R2/D1.
 *
 * Counted calls (the injection points) are the ones that do I/O: R2 head/get/put/delete/list/
 * createMultipartUpload and a multipart upload's uploadPart/complete/abort; D1 batch/exec and a
 * prepared statement's run/all/first/raw. `prepare`, `bind` and `resumeMultipartUpload` only
 * build objects, so they are wrapped (to see the calls made through them) but not counted.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { createApp } from '../../src/app';
import type { Bindings } from '../../src/env';
import { ADMIN, BASE, type CallOptions, testEnv } from './http';

export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
  // Worded so no error-message sniffing in src/ (checksum, constraint, not found…) mistakes it.
  constructor(
    readonly kind: string,
    readonly index: number,
  ) {
    super(`injected fault: ${kind} (call #${index}) failed`);
  }
}

/**
 * Records calls in order; throws InjectedFault on call number `failAt` (0-based), once.
 * `interleave`, when given, runs before each call goes out: a test can make another request
 * land at exactly that point (a deterministic race).
 */
export class FaultInjector {
  readonly calls: string[] = [];
  injected: InjectedFault | null = null;

  constructor(
    readonly failAt: number | null = null,
    readonly interleave?: (kind: string) => Promise<void>,
  ) {}

  hit(kind: string): void {
    const index = this.calls.length;
    this.calls.push(kind);
    if (index === this.failAt) {
      this.injected = new InjectedFault(kind, index);
      throw this.injected;
    }
  }
}

type AnyFn = (...args: unknown[]) => unknown;

/**
 * A Proxy whose listed async methods first ask the injector (rejecting on the chosen call) and
 * whose results may be wrapped in turn. Other members pass through, bound to the real object:
 * workerd's native bindings refuse a Proxy as `this`.
 */
function wrap<T extends object>(
  target: T,
  name: (method: string) => string,
  injector: FaultInjector,
  counted: readonly string[],
  wrapResult: Record<string, (value: unknown) => unknown> = {},
): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const fn = (value as AnyFn).bind(t);
      const after = wrapResult[prop];
      if (counted.includes(prop)) {
        return async (...args: unknown[]) => {
          await injector.interleave?.(name(prop));
          injector.hit(name(prop));
          const result = await fn(...args);
          return after ? after(result) : result;
        };
      }
      return after ? (...args: unknown[]) => after(fn(...args)) : fn;
    },
  });
}

function wrapR2(bucket: R2Bucket, injector: FaultInjector): R2Bucket {
  const upload = (u: unknown) =>
    wrap(u as R2MultipartUpload, (m) => `r2.multipart.${m}`, injector, ['uploadPart', 'complete', 'abort']);
  return wrap(
    bucket,
    (m) => `r2.${m}`,
    injector,
    ['head', 'get', 'put', 'delete', 'list', 'createMultipartUpload'],
    {
      createMultipartUpload: upload,
      resumeMultipartUpload: upload,
    },
  );
}

/** `select uploads`, `insert blobs`…: enough to tell the steps of a flow apart in a report. */
export function sqlLabel(query: string): string {
  const verb = /^\s*(\w+)/.exec(query)?.[1]?.toLowerCase() ?? '?';
  const table = /\b(?:from|into|update)\s+"?(\w+)"?/i.exec(query)?.[1] ?? '';
  return table ? `${verb} ${table}` : verb;
}

function wrapD1(db: D1Database, injector: FaultInjector): D1Database {
  // D1's batch reads the statements' own fields: hand it the real ones behind our wrappers.
  const real = new WeakMap<object, { statement: D1PreparedStatement; label: string }>();
  const statement = (label: string) => (s: unknown) => {
    const wrapped: D1PreparedStatement = wrap(
      s as D1PreparedStatement,
      (m) => `d1.${m}(${label})`,
      injector,
      ['run', 'all', 'first', 'raw'],
      { bind: statement(label) },
    );
    real.set(wrapped, { statement: s as D1PreparedStatement, label });
    return wrapped;
  };
  return new Proxy(db, {
    get(t, prop) {
      switch (prop) {
        case 'prepare':
          return (query: string) => statement(sqlLabel(query))(t.prepare(query));
        case 'batch':
          return async (statements: D1PreparedStatement[]) => {
            const unwrapped = statements.map((s) => real.get(s) ?? { statement: s, label: '?' });
            const kind = `d1.batch(${unwrapped.map((u) => u.label).join(', ')})`;
            await injector.interleave?.(kind);
            injector.hit(kind);
            return t.batch(unwrapped.map((u) => u.statement));
          };
        case 'exec':
          return async (query: string) => {
            await injector.interleave?.(`d1.exec(${sqlLabel(query)})`);
            injector.hit(`d1.exec(${sqlLabel(query)})`);
            return t.exec(query);
          };
        default: {
          const value = Reflect.get(t, prop, t);
          return typeof value === 'function' ? value.bind(t) : value;
        }
      }
    },
  });
}

/** The test env with R2 and D1 wrapped. A fresh D1 wrapper also means a fresh Drizzle handle. */
export function faultyEnv(injector: FaultInjector, env: Bindings = testEnv): Bindings {
  const blobs = wrapR2(env.BLOBS, injector);
  const db = wrapD1(env.DB, injector);
  return new Proxy(env, {
    get(t, prop, receiver) {
      if (prop === 'BLOBS') return blobs;
      if (prop === 'DB') return db;
      return Reflect.get(t, prop, receiver);
    },
  });
}

const NULL_BODY = [101, 204, 205, 304];

export type Send = (path: string, options?: CallOptions) => Promise<Response>;

/**
 * `call` (test/helpers/http.ts) against `createApp()` with the given env, as the Worker entry
 * would run it; background work (`waitUntil`) is awaited so its calls are counted too.
 */
export function sendWith(env: Bindings): Send {
  const app = createApp();
  return async (path, { token = ADMIN, json, method = 'GET', body = null, headers = {} } = {}) => {
    const payload = json === undefined ? body : JSON.stringify(json);
    // The app reads Content-Length itself; a Request built here has none until it is sent.
    const length: Record<string, string> =
      payload instanceof Uint8Array ? { 'content-length': String(payload.byteLength) } : {};
    const request = new Request(`${BASE}${path}`, {
      method,
      body: payload,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...length,
        ...headers,
      },
    });
    const ctx = createExecutionContext();
    const response = await app.fetch(request, env, ctx);
    // Read the body now, so calls made while streaming it are counted before the next request.
    const bytes = await response.arrayBuffer();
    const buffered = new Response(NULL_BODY.includes(response.status) ? null : bytes, response);
    await waitOnExecutionContext(ctx).catch(() => {});
    return buffered;
  };
}
