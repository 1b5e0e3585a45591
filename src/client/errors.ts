/**
 * CairnError: every failure the client reports. An API error keeps the server's status, code,
 * message, details and request id (quote it when reporting a problem); a request that never got
 * an answer is `status: 0` with code `NETWORK_ERROR` (or `TIMEOUT`/`ABORTED`), the cause kept.
 */
import type { ErrorBody, ErrorCode } from '../contract/errors';

/** Codes the client itself uses when there is no API answer to quote. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'ABORTED' | 'BAD_RESPONSE';

/**
 * What `CairnError.code` can be. A code the server sends is kept as sent: one this client does
 * not know yet (a newer server) matches no case of a switch over these.
 */
export type CairnErrorCode = ErrorCode | ClientErrorCode;

export class CairnError extends Error {
  override readonly name = 'CairnError';
  /** Seconds the server asked to wait before retrying (its `Retry-After`), or null. */
  readonly retryAfter: number | null;

  constructor(
    /** HTTP status, or 0 when no response arrived. */
    readonly status: number,
    /** The API's error code (`TAG_CONFLICT`, `UNAUTHORIZED`, …) or a ClientErrorCode. */
    readonly code: CairnErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly requestId: string | null = null,
    options?: { cause?: unknown; retryAfter?: number | null },
  ) {
    super(message, options);
    this.retryAfter = options?.retryAfter ?? null;
  }

  /** True when the request never reached an answer (retrying may help). */
  get isNetwork(): boolean {
    return this.status === 0;
  }
}

/** Our error shape; its code is not checked against the table (see CairnErrorCode). */
function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as ErrorBody | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** `Retry-After` as seconds from now: delay-seconds or an HTTP date; null if absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  // An HTTP date names its day and month (Date.parse alone would read "1.5" as a date).
  const at = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Builds the error for a non-2xx response, whatever its body holds. */
export async function errorFromResponse(res: Response, what: string): Promise<CairnError> {
  const requestId = res.headers.get('x-request-id');
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {}
  if (isErrorBody(body)) {
    return new CairnError(
      res.status,
      body.error.code,
      body.error.message,
      body.error.details ?? {},
      body.error.requestId ?? requestId,
      { retryAfter },
    );
  }
  // Not our error shape: a proxy, a load balancer, or not a Cairn server at all.
  const snippet = text.slice(0, 200).replace(/\s+/g, ' ').trim();
  return new CairnError(
    res.status,
    res.status === 404 ? 'NOT_FOUND' : 'BAD_RESPONSE',
    `${what} answered ${res.status}${snippet ? `: ${snippet}` : ''}`,
    {},
    requestId,
    { retryAfter },
  );
}

/** Wraps a fetch rejection (refused connection, DNS, reset, abort, timeout). */
export function errorFromFailure(err: unknown, what: string, baseUrl: string): CairnError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError')
    return new CairnError(0, 'TIMEOUT', `${what} timed out`, {}, null, { cause: err });
  if (e?.name === 'AbortError')
    return new CairnError(0, 'ABORTED', `${what} was aborted`, {}, null, { cause: err });
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new CairnError(0, 'NETWORK_ERROR', `cannot reach ${baseUrl} (${reason}) during ${what}`, {}, null, {
    cause: err,
  });
}
