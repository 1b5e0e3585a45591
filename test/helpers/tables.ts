/** Test helpers for table profiles: drive the Worker's real queue consumer with a message batch. */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import worker from '../../src/index';
import type { ProfileMessage } from '../../src/services/tables/queue';
import { readState } from '../../src/services/tables/store';
import { putBlob, testDeps, testEnv } from './http';

/** Stores the text as a blob; returns its digest. */
export async function storedText(text: string | Uint8Array): Promise<string> {
  const { digest, res } = await putBlob(text);
  if (res.status !== 201 && res.status !== 200) throw new Error(`blob put failed: ${res.status}`);
  return digest;
}

/** Delivers messages to the Worker's queue() handler as the runtime would; returns acks/retries. */
export async function deliver(messages: ProfileMessage[], attempts = 1) {
  const batch = createMessageBatch<ProfileMessage>(
    'cairn-profiles',
    messages.map((body, i) => ({
      id: `m${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, testEnv, ctx);
  return getQueueResult(batch, ctx);
}

/** Profiles one file through the consumer and returns its stored state. */
export async function profiled(path: string, text: string | Uint8Array, key: string[] | null = null) {
  const digest = await storedText(text);
  await deliver([{ digest, path, key }]);
  const state = await readState(testDeps(), digest, key ? JSON.stringify(key) : '');
  if (!state) throw new Error('no profile row after delivery');
  return { digest, state };
}

/** Delivers a message for every pending profile, as the queue would (order and timing are ours). */
export async function drainProfiles(): Promise<number> {
  const pending = await testEnv.DB.prepare(
    "SELECT digest, key, path FROM table_profiles WHERE state = 'pending'",
  ).all<{ digest: string; key: string; path: string }>();
  const messages = pending.results.map((r) => ({
    digest: r.digest,
    path: r.path,
    key: r.key ? (JSON.parse(r.key) as string[]) : null,
  }));
  if (messages.length > 0) await deliver(messages);
  return messages.length;
}
