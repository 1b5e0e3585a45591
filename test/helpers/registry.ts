/** Test helpers for versions and tags: publish real versions over real blobs. */
import { call, digestOf, putBlob, randomBytes } from './http';

export interface Published {
  artifact: string;
  version: number;
  digest: string;
  manifestUrl: string;
}

let counter = 0;
/** A fresh artifact name per call, so tests never see each other's versions. */
export function uniqueName(ns = 'acme', stem = 'a'): string {
  counter += 1;
  return `${ns}/${stem}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function storedFile(path: string, content?: string | Uint8Array) {
  const bytes = content ?? randomBytes(64);
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const { digest } = await putBlob(data);
  return { path, digest, size: data.byteLength };
}

export async function publish(
  name: string,
  body: Record<string, unknown>,
  token?: string,
  headers?: Record<string, string>,
) {
  return call(`/v1/artifacts/${name}/versions`, { method: 'POST', json: body, token, headers });
}

export async function publishOk(name: string, body: Record<string, unknown>): Promise<Published> {
  const res = await publish(name, body);
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Published;
}

export { digestOf };
