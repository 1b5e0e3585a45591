/**
 * docs/API.md describes the API that exists: its error table is exactly the contract's
 * (src/contract/errors.ts, which ApiError and the client use), and every route the app serves
 * under /v1, /lfs, /v2 (OCI) and /hf (Hugging Face Hub) is documented as `METHOD /path` (parameters
 * written `{name}`).
 */
import { describe, expect, it } from 'vitest';
import api from '../../docs/API.md?raw';
import { createApp } from '../../src/app';
import { ERROR_STATUS } from '../../src/contract/errors';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);

/** `/v1/blobs/:digest` → a pattern matching the docs' `/v1/blobs/{digest}` (a `*` tail: `{ref}`). */
function documented(method: string, path: string): RegExp {
  const pattern = path
    .replace(/\/$/, '')
    .split(/(:\w+|\*)/)
    .map((part) =>
      part.startsWith(':') || part === '*' ? '\\{[^}]+\\}' : part.replace(/[.?+^$|()[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`\`${method} ${pattern}[\`?\\s]`);
}

describe('docs/API.md', () => {
  it('lists every error code with its status, and no other', () => {
    const rows = [...api.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [
      code,
      Number(status),
    ]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
    expect(rows.length).toBe(Object.keys(ERROR_STATUS).length);
  });

  it('documents every route under /v1, /lfs, /v2 and /hf', () => {
    const routes = createApp()
      .routes.filter((r) => METHODS.has(r.method) && /^\/(v1|lfs|v2|hf)\//.test(r.path))
      .map((r) => `${r.method} ${r.path}`);
    const unique = [...new Set(routes)];
    expect(unique.length).toBeGreaterThan(30);
    const missing = unique.filter((route) => {
      const [method = '', path = ''] = route.split(' ');
      return !documented(method, path).test(api);
    });
    expect(missing).toEqual([]);
  });
});
