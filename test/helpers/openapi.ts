/** Test helpers for the OpenAPI document: fetch it from the real route, walk its operations. */
import type { OpenAPIV3_1 } from 'openapi-types';
import { call } from './http';

export type Doc = OpenAPIV3_1.Document;
export type Op = OpenAPIV3_1.OperationObject;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export async function fetchDocument(): Promise<Doc> {
  const res = await call('/v1/openapi.json', { token: null });
  if (res.status !== 200) throw new Error(`GET /v1/openapi.json: ${res.status} ${await res.text()}`);
  return (await res.json()) as Doc;
}

/** Every operation: `{ method: 'GET', path: '/v1/blobs/{digest}', op }`. */
export function operationsOf(doc: Doc): { method: string; path: string; op: Op }[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item?.[m] ? [{ method: m.toUpperCase(), path, op: item[m] as Op }] : [])),
  );
}
