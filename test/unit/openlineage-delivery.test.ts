/**
 * Push delivery of OpenLineage events (services/openlineage/outbox.ts, delivery.ts): the hand-off
 * after a write, the queue consumer's retries and dead letters, and the cron's sweep, against the
 * real D1 and real MessageBatches (cloudflare:test). Hand-offs go to a recording queue binding:
 * the test runtime's own consumer of the real queue would race the assertions; the real queue
 * (wrangler dev's local Queues) carries every event in test/e2e/openlineage.test.mjs. Sinks here
 * are functions standing for the remote service (2xx, 500); the unreachable case goes through the
 * real fetch, and the HTTP sink itself is driven end to end in the e2e test.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app';
import type { Bindings } from '../../src/env';
import worker from '../../src/index';
import {
  type DeliveryPolicy,
  deliverBatch,
  retryDelaySeconds,
  type Sink,
} from '../../src/services/openlineage/delivery';
import { handOff, type OutboxMessage, sweepOutbox } from '../../src/services/openlineage/outbox';
import { ADMIN, BASE, call, createToken, testDeps, testEnv } from '../helpers/http';
import { readFeed } from '../helpers/openlineage';
import { storedFile } from '../helpers/registry';

const POLICY: DeliveryPolicy = { maxAttempts: 3, retryBaseSeconds: 30, maxDelaySeconds: 3600 };
const QUEUE = 'cairn-openlineage';

interface Row {
  id: number;
  status: string;
  attempts: number;
  last_error: string | null;
  queued_at: number | null;
}

async function row(id: number): Promise<Row> {
  const r = await testEnv.DB.prepare('SELECT * FROM openlineage_events WHERE id = ?').bind(id).first<Row>();
  if (!r) throw new Error(`no outbox row ${id}`);
  return r;
}

async function setRow(id: number, fields: Record<string, unknown>) {
  const keys = Object.keys(fields);
  await testEnv.DB.prepare(
    `UPDATE openlineage_events SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`,
  )
    .bind(...Object.values(fields), id)
    .run();
}

/** Publishes in a fresh namespace through `app` with `env`; returns the outbox row ids it wrote. */
async function publishVia(env: Bindings, tags: string[] = []) {
  const ns = `dl-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`${BASE}/v1/artifacts/${ns}/m/versions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ files: [await storedFile('m.bin')], tags }),
    }),
    env,
    ctx,
  );
  expect(res.status).toBe(201);
  await waitOnExecutionContext(ctx);
  const { results } = await testEnv.DB.prepare(
    'SELECT id FROM openlineage_events WHERE namespace = ? ORDER BY id',
  )
    .bind(ns)
    .all<{ id: number }>();
  return { ns, ids: results.map((r) => r.id) };
}

/** Outbox rows written with no push configured (the test Worker's env has no OPENLINEAGE_URL). */
const newRows = (tags: string[] = []) => publishVia(testEnv, tags);

function batchOf(ids: number[], attempts = 1) {
  return createMessageBatch<OutboxMessage>(
    QUEUE,
    ids.map((id) => ({ id: `msg-${id}`, timestamp: new Date(), attempts, body: { id } })),
  );
}

/**
 * Runs the consumer on a real MessageBatch; `delays` records each retry's delay (getQueueResult
 * reports which messages were retried, not with what delay).
 */
async function deliver(ids: number[], sink: Sink | null) {
  const batch = batchOf(ids);
  const delays: (number | undefined)[] = [];
  const observed = {
    ...batch,
    messages: batch.messages.map((m) => ({
      body: m.body,
      attempts: m.attempts,
      ack: () => m.ack(),
      retry: (options?: QueueRetryOptions) => {
        delays.push(options?.delaySeconds);
        m.retry(options);
      },
    })),
  } as unknown as MessageBatch<OutboxMessage>;
  const ctx = createExecutionContext();
  await deliverBatch(testDeps(), observed, sink, POLICY);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

const failing: Sink = async () => ({ ok: false, error: 'HTTP 500' });

describe('the queue consumer', () => {
  it('POSTs each event once, marks it delivered and acks the message', async () => {
    const { ids } = await newRows(['latest']);
    const received: string[] = [];
    const result = await deliver(ids, async (json) => {
      received.push(json);
      return { ok: true };
    });
    expect(result.explicitAcks.sort()).toEqual(ids.map((id) => `msg-${id}`).sort());
    expect(received.map((j) => JSON.parse(j).eventType)).toEqual(['COMPLETE', 'COMPLETE']);
    for (const id of ids)
      expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
  });

  it('a failed POST is retried with exponential backoff, counted on the row', async () => {
    const { ids } = await newRows();
    const [id] = ids as [number];
    const first = await deliver([id], failing);
    expect(first.retryMessages).toEqual([{ msgId: `msg-${id}` }]);
    expect(first.delays).toEqual([30]);
    expect(await row(id)).toMatchObject({ status: 'queued', attempts: 1, last_error: 'HTTP 500' });
    const second = await deliver([id], failing);
    expect(second.delays).toEqual([60]);
    expect(await row(id)).toMatchObject({ status: 'queued', attempts: 2 });
    expect(retryDelaySeconds(POLICY, 20)).toBe(3600);
  });

  it('after the last attempt the row is a dead letter: acked, listed for admins, still in the feed', async () => {
    const { ns, ids } = await newRows();
    const [id] = ids as [number];
    await setRow(id, { attempts: POLICY.maxAttempts - 1, status: 'queued' });
    const result = await deliver([id], failing);
    expect(result.explicitAcks).toEqual([`msg-${id}`]);
    expect(result.retryMessages).toEqual([]);
    expect(await row(id)).toMatchObject({
      status: 'dead',
      attempts: POLICY.maxAttempts,
      last_error: 'HTTP 500',
    });

    const dead = await call('/v1/openlineage/deliveries?status=dead&limit=500');
    expect(dead.status).toBe(200);
    const items = ((await dead.json()) as { items: { id: number; status: string; lastError: string }[] })
      .items;
    expect(items.find((d) => d.id === id)).toMatchObject({ status: 'dead', lastError: 'HTTP 500' });
    const { token } = await createToken(['read'], { namespaces: [ns] });
    expect((await call('/v1/openlineage/deliveries', { token })).status).toBe(403);
    expect((await readFeed({ token })).events).toHaveLength(1);

    // A dead letter is never sent again, even if its message comes back.
    let calls = 0;
    const again = await deliver([id], async () => {
      calls += 1;
      return { ok: true };
    });
    expect(calls).toBe(0);
    expect(again.explicitAcks).toEqual([`msg-${id}`]);
  });

  it('with no OPENLINEAGE_URL the rows go back to pending (a later configuration still delivers them)', async () => {
    const { ids } = await newRows();
    const [id] = ids as [number];
    await setRow(id, { status: 'queued' });
    const batch = batchOf([id]);
    const ctx = createExecutionContext();
    await worker.queue!(batch, testEnv, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([`msg-${id}`]);
    expect((await row(id)).status).toBe('pending');
  });

  it('an unreachable OPENLINEAGE_URL is a failed attempt through the real fetch, retried', async () => {
    const { ids } = await newRows();
    const [id] = ids as [number];
    const batch = batchOf([id]);
    const ctx = createExecutionContext();
    await worker.queue!(batch, { ...testEnv, OPENLINEAGE_URL: 'http://127.0.0.1:9/lineage' }, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toHaveLength(1);
    expect(await row(id)).toMatchObject({ status: 'queued', attempts: 1 });
    expect((await row(id)).last_error).toBeTruthy();
  });

  it('a batch from a queue without a consumer here is retried, never dropped', async () => {
    const batch = createMessageBatch('another-queue', [
      { id: 'x', timestamp: new Date(), attempts: 1, body: {} },
    ]);
    const ctx = createExecutionContext();
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await worker.queue!(batch, testEnv, ctx);
    expect((await getQueueResult(batch, ctx)).retryBatch.retry).toBe(true);
    vi.restoreAllMocks();
  });
});

/**
 * A queue binding that records what is sent and delivers nothing: the test runtime's own consumer
 * of the real queue (no OPENLINEAGE_URL there) would put rows back to `pending` at any moment.
 */
function recordingQueue() {
  const sent: number[] = [];
  const queue = {
    sendBatch: async (messages: { body: OutboxMessage }[]) => {
      sent.push(...messages.map((m) => m.body.id));
    },
  } as unknown as Queue<OutboxMessage>;
  return { sent, queue };
}

/** A queue binding that refuses every send (a Queues outage). */
const brokenQueue = {
  send: async () => {
    throw new Error('queue unavailable');
  },
  sendBatch: async () => {
    throw new Error('queue unavailable');
  },
} as unknown as Queue;

describe('hand-off after a write', () => {
  it('with OPENLINEAGE_URL set, a publish hands its events to the queue after answering', async () => {
    const { sent, queue } = recordingQueue();
    const { ids } = await publishVia(
      { ...testEnv, OPENLINEAGE_URL: 'http://127.0.0.1:9/', OPENLINEAGE_QUEUE: queue as unknown as Queue },
      ['latest'],
    );
    expect(ids).toHaveLength(2);
    expect(sent).toEqual(expect.arrayContaining(ids));
    for (const id of ids) expect((await row(id)).status).toBe('queued');
  });

  it('without OPENLINEAGE_URL nothing is handed to the queue (the feed only)', async () => {
    const { sent, queue } = recordingQueue();
    const { ids } = await publishVia({ ...testEnv, OPENLINEAGE_QUEUE: queue as unknown as Queue });
    expect(sent).toEqual([]);
    expect((await row(ids[0]!)).status).toBe('pending');
  });

  it('a queue outage fails no publish: the rows stay pending for the cron', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { ids } = await publishVia({
      ...testEnv,
      OPENLINEAGE_URL: 'http://127.0.0.1:9/',
      OPENLINEAGE_QUEUE: brokenQueue,
    });
    vi.restoreAllMocks();
    expect((await row(ids[0]!)).status).toBe('pending');
  });

  it('handOff claims each pending row once: two concurrent hand-offs never send the same row', async () => {
    const { ids } = await newRows(['a', 'b', 'c']);
    const { sent, queue: recording } = recordingQueue();
    await Promise.all([
      handOff(testDeps(), recording),
      handOff(testDeps(), recording),
      handOff(testDeps(), recording),
    ]);
    for (const id of ids) expect(sent.filter((s) => s === id)).toHaveLength(1);
    for (const id of ids) expect((await row(id)).status).toBe('queued');
  });
});

describe('the hourly sweep', () => {
  it('re-queues rows whose message was lost and hands off pending rows; recent ones are left alone', async () => {
    const { ids } = await newRows(['x', 'y']);
    const [lost, pending, recent] = ids as [number, number, number];
    const now = Date.now();
    const hour = 3600_000;
    await setRow(lost, { status: 'queued', queued_at: now - 5 * hour, last_attempt_at: now - 4 * hour });
    await setRow(pending, { status: 'pending' });
    await setRow(recent, { status: 'queued', queued_at: now - 5 * hour, last_attempt_at: now - hour });
    const { sent, queue: recording } = recordingQueue();
    const result = await sweepOutbox(testDeps({ now: () => now }), recording, {
      staleMs: 3 * hour,
      maxRows: 1000,
    });
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    expect(sent).toEqual(expect.arrayContaining([lost, pending]));
    expect(sent).not.toContain(recent);
    expect(await row(lost)).toMatchObject({ status: 'queued', queued_at: now });
  });

  it('the cron runs the sweep when OPENLINEAGE_URL is set', async () => {
    const { ids } = await newRows();
    const [id] = ids as [number];
    const { sent, queue } = recordingQueue();
    const ctx = createExecutionContext();
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await worker.scheduled!(
      createScheduledController({ scheduledTime: Date.now(), cron: '17 * * * *' }),
      { ...testEnv, OPENLINEAGE_URL: 'http://127.0.0.1:9/', OPENLINEAGE_QUEUE: queue as unknown as Queue },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    vi.restoreAllMocks();
    expect(sent).toContain(id);
    expect((await row(id)).status).toBe('queued');
  });
});
