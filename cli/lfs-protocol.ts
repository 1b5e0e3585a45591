/**
 * The Git LFS custom transfer protocol (git-lfs docs/custom-transfers.md), transport-free: one
 * JSON object a line on stdin (`init`, then `upload`/`download` requests one at a time, then
 * `terminate`), answers a line each on stdout (`{}` or an init error, `progress` events, one
 * `complete` per request). A failed transfer is a `complete` with an `error` and the agent goes
 * on; only a broken stream ends it. What a transfer does is injected (lfs-agent.ts), so the
 * message handling is tested without a registry.
 */

export interface TransferRequest {
  event: 'upload' | 'download';
  oid: string;
  size: number;
  /** Uploads only: the file git-lfs wants sent. */
  path?: string;
}

export type InitMessage = { event: 'init'; operation: 'upload' | 'download' };
export type Incoming = InitMessage | TransferRequest | { event: 'terminate' };

export interface AgentError {
  code: number;
  message: string;
}

export interface Transfers {
  /** Once, before any request; a throw answers init with an error (git-lfs then stops). */
  init(operation: 'upload' | 'download'): Promise<void>;
  upload(request: TransferRequest & { path: string }, onBytes: (n: number) => void): Promise<void>;
  /** Returns the path of a file holding the object, which git-lfs then moves into its store. */
  download(request: TransferRequest, onBytes: (n: number) => void): Promise<string>;
  /** What git-lfs shows for a failed transfer (the token never appears in it). */
  describe(err: unknown): AgentError;
}

const OID_RE = /^[0-9a-f]{64}$/;

/** The message on one line, or an explanation of why it is not one we accept. */
export function parseMessage(line: string): Incoming | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not a JSON line' };
  }
  if (typeof value !== 'object' || value === null) return { problem: 'not a JSON object' };
  const m = value as Record<string, unknown>;
  switch (m.event) {
    case 'init':
      if (m.operation !== 'upload' && m.operation !== 'download') {
        return {
          problem: `init: operation must be "upload" or "download", not ${JSON.stringify(m.operation)}`,
        };
      }
      return { event: 'init', operation: m.operation };
    case 'terminate':
      return { event: 'terminate' };
    case 'upload':
    case 'download': {
      if (typeof m.oid !== 'string' || !OID_RE.test(m.oid))
        return { problem: `${m.event}: oid is not SHA-256 hex` };
      if (!Number.isSafeInteger(m.size) || (m.size as number) < 0) return { problem: `${m.event}: bad size` };
      if (m.event === 'upload' && (typeof m.path !== 'string' || m.path === '')) {
        return { problem: 'upload: no path' };
      }
      const request: TransferRequest = { event: m.event, oid: m.oid, size: m.size as number };
      if (typeof m.path === 'string') request.path = m.path;
      return request;
    }
    default:
      return { problem: `unknown event ${JSON.stringify(m.event)}` };
  }
}

/**
 * Serves one agent session: reads `lines` until `terminate` (or their end) and answers through
 * `send`. Progress is reported as it comes, never above the object's size and never backwards
 * (a retried part's bytes are counted once).
 */
export async function serveAgent(
  lines: AsyncIterable<string>,
  send: (message: object) => void,
  transfers: Transfers,
): Promise<void> {
  let initialized = false;
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const message = parseMessage(line);
    if ('problem' in message) {
      // A request we cannot read still gets its answer, so git-lfs does not wait forever.
      const oid = oidOf(line);
      if (oid !== null) send({ event: 'complete', oid, error: { code: 400, message: message.problem } });
      else if (!initialized) send({ error: { code: 400, message: message.problem } });
      else throw new Error(`git-lfs sent a line the agent cannot read: ${message.problem}`);
      continue;
    }
    if (message.event === 'terminate') return;
    if (message.event === 'init') {
      try {
        await transfers.init(message.operation);
        initialized = true;
        send({});
      } catch (err) {
        send({ error: transfers.describe(err) });
      }
      continue;
    }
    const { oid, size } = message;
    let soFar = 0;
    const onBytes = (n: number) => {
      const next = Math.min(size, soFar + n);
      if (next <= soFar) return;
      send({ event: 'progress', oid, bytesSoFar: next, bytesSinceLast: next - soFar });
      soFar = next;
    };
    try {
      if (message.event === 'upload') {
        await transfers.upload({ ...message, path: message.path as string }, onBytes);
        if (soFar < size) onBytes(size - soFar); // already stored: nothing was sent, all is done
        send({ event: 'complete', oid });
      } else {
        const path = await transfers.download(message, onBytes);
        send({ event: 'complete', oid, path });
      }
    } catch (err) {
      send({ event: 'complete', oid, error: transfers.describe(err) });
    }
  }
}

function oidOf(line: string): string | null {
  try {
    const oid = (JSON.parse(line) as { oid?: unknown }).oid;
    return typeof oid === 'string' ? oid : null;
  } catch {
    return null;
  }
}
