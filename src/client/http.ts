/**
 * The client's transport: one `send()` over `fetch` that adds the token, a request id and the
 * JSON or byte body, and turns every non-2xx answer or fetch failure into a CairnError.
 * Uses only what Workers and Node ≥ 20 share (fetch, Headers, URL, streams), so both can import it.
 */
import { CairnError, errorFromFailure, errorFromResponse } from './errors';

/** Bytes for an upload. A stream needs `size`, since uploads must declare their Content-Length. */
export type UploadBody = ReadableStream<Uint8Array> | Blob | Uint8Array | ArrayBuffer | string;

export interface TransportOptions {
  /** The registry's origin, e.g. `http://127.0.0.1:8787` (a trailing slash is ignored). */
  baseUrl: string;
  token?: string | null;
  /** Defaults to the global fetch (pass a service binding's `fetch` from a Worker). */
  fetch?: typeof fetch;
  /** Sent as `User-Agent` (Node) — Workers ignore it. */
  userAgent?: string;
}

export interface SendOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: UploadBody;
  /** Content-Length for a stream body. */
  size?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Statuses that are not errors besides 2xx (e.g. 304, 302). */
  allow?: number[];
  redirect?: 'follow' | 'manual';
}

export class Transport {
  readonly baseUrl: string;
  readonly token: string | null;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string | undefined;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token ?? null;
    // Bound, so that a Worker's global fetch is not called with a foreign `this`.
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.userAgent = options.userAgent;
  }

  url(path: string, query?: SendOptions['query']): string {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** One request; resolves to the response when it is 2xx (or allowed), else throws CairnError. */
  async send(method: string, path: string, options: SendOptions = {}): Promise<Response> {
    const what = `${method} ${path}`;
    const headers = new Headers(options.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    if (this.userAgent) headers.set('user-agent', this.userAgent);
    let body: RequestInit['body'];
    if (options.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/octet-stream');
      const size = options.size ?? knownSize(options.body);
      if (size === undefined) throw new CairnError(0, 'BAD_REQUEST', `${what}: a stream body needs its size`);
      headers.set('content-length', String(size));
      // Uploads answer ~100 bytes of JSON: compressing that costs both ends a gzip stream per
      // request and saves nothing (it was a fifth of the CLI's CPU in a 1,000-file push).
      if (!headers.has('accept-encoding')) headers.set('accept-encoding', 'identity');
      body = options.body as RequestInit['body'];
    }
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers,
      body,
      signal: options.signal,
      redirect: options.redirect ?? 'follow',
    };
    // Node's fetch streams a ReadableStream body only when told it is half duplex.
    if (body instanceof ReadableStream) init.duplex = 'half';
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path, options.query), init);
    } catch (err) {
      throw errorFromFailure(err, what, this.baseUrl);
    }
    if (res.ok || options.allow?.includes(res.status)) return res;
    throw await errorFromResponse(res, what);
  }

  /** A JSON answer. */
  async json<T>(
    method: string,
    path: string,
    options: SendOptions = {},
  ): Promise<{ status: number; body: T }> {
    const res = await this.send(method, path, options);
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch (err) {
      throw new CairnError(
        res.status,
        'BAD_RESPONSE',
        `${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 120)}`,
        {},
        res.headers.get('x-request-id'),
        { cause: err },
      );
    }
  }

  /** A route answering 204 (or any body the caller ignores). */
  async empty(method: string, path: string, options: SendOptions = {}): Promise<void> {
    const res = await this.send(method, path, options);
    await res.body?.cancel();
  }
}

function knownSize(body: UploadBody): number | undefined {
  if (typeof body === 'string') return new TextEncoder().encode(body).byteLength;
  if (body instanceof Blob) return body.size;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return body.byteLength;
  return undefined;
}

/** `acme/model` → `/acme/model`, each segment percent-encoded (names are already URL-safe). */
export function artifactPath(name: string): string {
  return name
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** A ref as the rest of a path: `:`, `@` and `/` are kept, anything unusual is encoded. */
export function refPath(ref: string): string {
  return encodeURI(ref);
}
