/**
 * Test helpers for chunk-level dedup: cut bytes into chunks (fixed or random boundaries: the
 * server never chunks, so any boundaries are a valid recipe), build packs with the contract's own
 * encoder, and drive `POST /v1/chunks/*` and `PUT /v1/blobs/{digest}/recipe` like a client.
 */
import { encodePackHeader, PACK_MEDIA_TYPE } from '../../src/contract/chunks';
import type { Bindings } from '../../src/env';
import type { Send } from './faults';
import { call, digestOf, testEnv } from './http';

export interface TestChunk {
  hex: string;
  length: number;
  bytes: Uint8Array;
}

export async function chunkOf(bytes: Uint8Array): Promise<TestChunk> {
  return { hex: (await digestOf(bytes)).slice(7), length: bytes.length, bytes };
}

/** Cuts `bytes` at the given lengths (cycled), e.g. [65536] for 64 KiB chunks. */
export async function cut(bytes: Uint8Array, lengths: readonly number[]): Promise<TestChunk[]> {
  const out: TestChunk[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const length = Math.min(lengths[i % lengths.length] as number, bytes.length - at);
    out.push(await chunkOf(bytes.subarray(at, at + length)));
    at += length;
  }
  return out;
}

export function packOf(chunks: readonly TestChunk[]): Uint8Array {
  const header = encodePackHeader(chunks.map((c) => ({ hex: c.hex, length: c.length })));
  const out = new Uint8Array(header.length + chunks.reduce((s, c) => s + c.length, 0));
  out.set(header);
  let at = header.length;
  for (const c of chunks) {
    out.set(c.bytes, at);
    at += c.length;
  }
  return out;
}

const viaSelf: Send = (path, options) => call(path, options);

export function postPackBytes(body: Uint8Array, token?: string | null, send: Send = viaSelf) {
  return send('/v1/chunks/packs', {
    method: 'POST',
    body,
    token,
    headers: { 'content-type': PACK_MEDIA_TYPE },
  });
}

export function postPack(chunks: readonly TestChunk[], token?: string | null, send: Send = viaSelf) {
  return postPackBytes(packOf(chunks), token, send);
}

export function known(hashes: readonly string[], token?: string | null, send: Send = viaSelf) {
  return send('/v1/chunks/known', { method: 'POST', json: { chunks: hashes }, token });
}

export function recipeOf(chunks: readonly TestChunk[]) {
  return { size: chunks.reduce((s, c) => s + c.length, 0), chunks: chunks.map((c) => [c.hex, c.length]) };
}

export function putRecipe(digest: string, body: unknown, token?: string | null, send: Send = viaSelf) {
  return send(`/v1/blobs/${digest}/recipe`, { method: 'PUT', json: body, token });
}

/** Repeats the recipe PUT while it answers 202; returns every answer's status and body. */
export async function putRecipeUntilDone(
  digest: string,
  body: unknown,
  token?: string | null,
  send: Send = viaSelf,
): Promise<{ status: number; body: Record<string, unknown> }[]> {
  const answers: { status: number; body: Record<string, unknown> }[] = [];
  for (let i = 0; i < 100; i++) {
    const res = await putRecipe(digest, body, token, send);
    answers.push({ status: res.status, body: (await res.json()) as Record<string, unknown> });
    if (res.status !== 202) return answers;
  }
  throw new Error('the recipe never completed');
}

/** A whole chunked push: known → packs of the unknown chunks → recipe (until done). */
export async function pushChunked(
  bytes: Uint8Array,
  lengths: readonly number[],
  token?: string | null,
  send: Send = viaSelf,
) {
  const digest = await digestOf(bytes);
  const chunks = await cut(bytes, lengths);
  const res = await known(
    chunks.map((c) => c.hex),
    token,
    send,
  );
  const have = new Set(((await res.json()) as { known: string[] }).known);
  const fresh = [...new Map(chunks.filter((c) => !have.has(c.hex)).map((c) => [c.hex, c])).values()];
  const packs: string[] = [];
  for (let i = 0; i < fresh.length; i += 1024) {
    const posted = await postPack(fresh.slice(i, i + 1024), token, send);
    if (posted.status !== 201) throw new Error(`pack refused: ${posted.status} ${await posted.text()}`);
    packs.push(((await posted.json()) as { pack: string }).pack);
  }
  const answers = await putRecipeUntilDone(digest, recipeOf(chunks), token, send);
  return { digest, chunks, packs, answers, last: answers.at(-1)! };
}

/** The test env with some vars replaced (e.g. a small hashing budget), for `sendWith`. */
export function envWith(vars: Record<string, string>, env: Bindings = testEnv): Bindings {
  return new Proxy(env, {
    get(t, prop, receiver) {
      return typeof prop === 'string' && prop in vars ? vars[prop] : Reflect.get(t, prop, receiver);
    },
  });
}

/** The index of the first byte where `a` and `b` differ, or -1 (toEqual on MiBs is very slow). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export async function bodyBytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}
