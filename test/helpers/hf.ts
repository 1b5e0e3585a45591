/** Test helpers for the Hub protocol (/hf): repos, uploads through the batch API, NDJSON commits. */
import { ADMIN, call, digestOf } from './http';

export const HF_TOKEN = `hf_${ADMIN}`;

export function hf(path: string, options: Parameters<typeof call>[1] = {}) {
  return call(`/hf${path}`, { token: HF_TOKEN, ...options });
}

export async function createHfRepo(name: string, type: 'model' | 'dataset' = 'model', token = HF_TOKEN) {
  const [organization, repo] = name.split('/');
  return hf('/api/repos/create', { method: 'POST', json: { name: repo, organization, type }, token });
}

export function batch(name: string, objects: { oid: string; size: number }[], prefix = '') {
  return hf(`${prefix}/${name}.git/info/lfs/objects/batch`, {
    method: 'POST',
    json: { operation: 'upload', transfers: ['basic', 'multipart'], hash_algo: 'sha_256', objects },
  });
}

interface Planned {
  oid: string;
  actions?: { upload: { href: string; header?: Record<string, string> } };
}

/** Uploads `bytes` to `name` the way the Hub's clients do (batch, then a credential-less PUT). */
export async function hubUpload(name: string, bytes: Uint8Array | string, prefix = '') {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const oid = (await digestOf(data)).slice(7);
  const res = await batch(name, [{ oid, size: data.byteLength }], prefix);
  if (res.status !== 200) throw new Error(`batch: ${res.status} ${await res.text()}`);
  const [planned] = ((await res.json()) as { objects: Planned[] }).objects;
  if (planned?.actions) {
    const put = await call(
      new URL(planned.actions.upload.href).pathname + new URL(planned.actions.upload.href).search,
      {
        method: 'PUT',
        body: data,
        token: null,
      },
    );
    if (put.status !== 200) throw new Error(`put: ${put.status} ${await put.text()}`);
  }
  return { oid, size: data.byteLength };
}

export function ndjson(lines: unknown[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n');
}

export function commit(
  name: string,
  lines: unknown[],
  { rev = 'main', type = 'models', token = HF_TOKEN } = {},
) {
  return hf(`/api/${type}/${name}/commit/${rev}`, {
    method: 'POST',
    body: ndjson(lines),
    headers: { 'Content-Type': 'application/x-ndjson' },
    token,
  });
}

export const header = (parentCommit?: string) => ({ key: 'header', value: { summary: 'c', parentCommit } });
export const lfsFile = (path: string, f: { oid: string; size: number }) => ({
  key: 'lfsFile',
  value: { path, algo: 'sha256', oid: f.oid, size: f.size },
});
