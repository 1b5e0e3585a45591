/** Multipart upload helpers shared by the upload test files (small 5 MiB parts). */
import { expect } from 'vitest';
import { call } from './http';

export const MiB = 1024 * 1024;
export const PART = 5 * MiB;

export interface Started {
  uploadId: string;
  partSize: number;
  partCount: number;
  parts: number[];
}

/** POST /v1/uploads, expecting a new session (201). */
export async function start(digest: string, size: number, partSize = PART, token?: string): Promise<Started> {
  const res = await call('/v1/uploads', { method: 'POST', json: { digest, size, partSize }, token });
  expect(res.status).toBe(201);
  return (await res.json()) as Started;
}

/** PUT one part; the caller checks the answer. */
export function putPart(id: string, n: number, bytes: Uint8Array, token?: string) {
  return call(`/v1/uploads/${id}/parts/${n}`, { method: 'PUT', body: bytes, token });
}

export const complete = (id: string, token?: string) =>
  call(`/v1/uploads/${id}/complete`, { method: 'POST', token });
