/**
 * Real answers conform to GET /v1/openapi.json, so the document cannot drift from the code: a
 * realistic scenario (blobs, a multipart upload, publishes with inputs, tags, lineage, diff,
 * tokens, audit, gc) drives every documented operation through the real Worker (real D1 and R2),
 * with its happy answers and its main error answers, and every answer's status, Content-Type and
 * JSON body is checked against the document (ajv, JSON Schema 2020-12). An undocumented status,
 * an undocumented field or a missing one fails the test, as does an operation never exercised.
 */
import { describe, expect, it } from 'vitest';
import { type CallOptions, call, createToken, digestOf, randomBytes } from '../helpers/http';
import { Conformance, fetchDocument, operationsOf } from '../helpers/openapi';
import { chunksScenario } from '../helpers/openapi-chunks';
import { provenanceScenario } from '../helpers/openapi-provenance';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';
import { drainProfiles } from '../helpers/tables';
import { MiB, PART, putPart, start } from '../helpers/uploads';

const ZERO = `sha256:${'0'.repeat(64)}`;

/** Every call is checked as an answer of the operation `key` names. */
function caller(conformance: Conformance) {
  return async (key: string, path: string, options?: CallOptions) =>
    conformance.check(key, await call(path, options));
}

async function blobsAndUploads(hit: ReturnType<typeof caller>) {
  const bytes = randomBytes(300);
  const digest = await digestOf(bytes);
  const B = 'PUT /v1/blobs/{digest}';
  await hit(B, `/v1/blobs/${digest}`, { method: 'PUT', body: bytes });
  await hit(B, `/v1/blobs/${digest}`, { method: 'PUT', body: bytes });
  await hit(B, `/v1/blobs/${digest}`, { method: 'PUT', body: randomBytes(300) });
  await hit(B, `/v1/blobs/${ZERO}`, { method: 'PUT', body: bytes });
  await hit(B, '/v1/blobs/sha256:nope', { method: 'PUT', body: bytes });
  await hit(B, `/v1/blobs/${ZERO}`, { method: 'PUT', body: new Blob([bytes]).stream() });
  const G = 'GET /v1/blobs/{digest}';
  const got = await hit(G, `/v1/blobs/${digest}`);
  const etag = got.headers.get('etag') ?? '';
  await hit(G, `/v1/blobs/${digest}`, { headers: { Range: 'bytes=0-9' } });
  await hit(G, `/v1/blobs/${digest}`, { headers: { Range: 'bytes=0-9', 'If-None-Match': etag } });
  await hit(G, `/v1/blobs/${digest}`, { headers: { Range: 'bytes=5000-6000' } });
  await hit(G, `/v1/blobs/${ZERO}`);
  await hit(G, `/v1/blobs/${digest}`, { token: null });
  const C = 'POST /v1/blobs/check';
  await hit(C, '/v1/blobs/check', { method: 'POST', json: { digests: [digest, ZERO] } });
  await hit(C, '/v1/blobs/check', { method: 'POST', json: { digests: ['x'] } });
  await hit(C, '/v1/blobs/check', { method: 'POST', body: '{}', headers: { 'Content-Type': 'text/plain' } });

  // A 6 MiB blob in two parts; a second session aborted; an incomplete one refused.
  const big = randomBytes(6 * MiB);
  const bigDigest = await digestOf(big);
  const U = 'POST /v1/uploads';
  const session = await start(bigDigest, big.byteLength);
  await hit(U, '/v1/uploads', {
    method: 'POST',
    json: { digest: bigDigest, size: big.byteLength, partSize: PART },
  });
  await hit(U, '/v1/uploads', {
    method: 'POST',
    json: { digest: bigDigest, size: big.byteLength, partSize: PART * 2 },
  });
  await hit(U, '/v1/uploads', { method: 'POST', json: { digest: bigDigest, size: 0 } });
  const id = session.uploadId;
  await hit('GET /v1/uploads/{id}', `/v1/uploads/${id}`);
  await hit('GET /v1/uploads/{id}', '/v1/uploads/upl_missing');
  await hit('GET /v1/uploads/{id}', '/v1/uploads/nope');
  const P = 'PUT /v1/uploads/{id}/parts/{n}';
  await hit('POST /v1/uploads/{id}/complete', `/v1/uploads/${id}/complete`, { method: 'POST' });
  await hit(P, `/v1/uploads/${id}/parts/1`, { method: 'PUT', body: big.subarray(0, PART) });
  await hit(P, `/v1/uploads/${id}/parts/3`, { method: 'PUT', body: big.subarray(0, 10) });
  await hit(P, `/v1/uploads/${id}/parts/2`, { method: 'PUT', body: big.subarray(0, 10) });
  expect((await putPart(id, 2, big.subarray(PART))).status).toBe(200);
  await hit('POST /v1/uploads/{id}/complete', `/v1/uploads/${id}/complete`, { method: 'POST' });
  await hit('POST /v1/uploads/{id}/complete', '/v1/uploads/upl_missing/complete', { method: 'POST' });
  await hit(U, '/v1/uploads', { method: 'POST', json: { digest: bigDigest, size: big.byteLength } });
  const other = await start(`sha256:${'1'.repeat(64)}`, 6 * MiB);
  await hit('DELETE /v1/uploads/{id}', `/v1/uploads/${other.uploadId}`, { method: 'DELETE' });
  await hit('DELETE /v1/uploads/{id}', `/v1/uploads/${other.uploadId}`, { method: 'DELETE' });
}

async function versionsAndTags(hit: ReturnType<typeof caller>) {
  const data = uniqueName('acme', 'oa-data');
  const model = uniqueName('acme', 'oa-model');
  const A = `/v1/artifacts/${model}`;
  const file = await storedFile('data.csv', 'a,b\n1,2\n');
  const v1 = await publishOk(data, { kind: 'dataset', files: [file], tags: ['latest'] });
  const weights = await storedFile('model.bin');
  const body = {
    kind: 'model',
    files: [weights],
    inputs: [{ role: 'train', ref: `${data}@1` }],
    code: { repo: 'https://example.com/r.git', commit: 'a'.repeat(40) },
    params: { lr: 0.1 },
    tags: ['latest'],
  };
  const PUB = 'POST /v1/artifacts/{ns}/{name}/versions';
  const published = await hit(PUB, `${A}/versions`, { method: 'POST', json: body });
  const m1 = (await published.json()) as { digest: string };
  await hit(PUB, `${A}/versions`, { method: 'POST', json: body });
  await hit(PUB, `${A}/versions`, {
    method: 'POST',
    json: { ...body, files: [{ ...weights, digest: ZERO }] },
  });
  await hit(PUB, `${A}/versions`, { method: 'POST', json: { ...body, kind: 'dataset' } });
  await hit(PUB, `${A}/versions`, {
    method: 'POST',
    json: { ...body, inputs: [{ role: 'x', ref: `${data}@9` }] },
  });
  await hit(PUB, '/v1/artifacts/ACME/x/versions', { method: 'POST', json: body });
  const readOnly = await createToken(['read']);
  await hit(PUB, `${A}/versions`, { method: 'POST', json: body, token: readOnly.token });
  const params2 = { ...body, params: { lr: 0.2 }, tags: [] };
  const m2 = (await publishOk(model, params2)) as { digest: string };

  await hit('GET /v1/artifacts', '/v1/artifacts?prefix=acme/&limit=2');
  await hit('GET /v1/artifacts', '/v1/artifacts?limit=0');
  await hit('GET /v1/artifacts/{ns}/{name}', A);
  await hit('GET /v1/artifacts/{ns}/{name}', '/v1/artifacts/acme/missing-one');
  await hit('GET /v1/artifacts/{ns}/{name}/versions', `${A}/versions?limit=1`);
  await hit('GET /v1/artifacts/{ns}/{name}/versions', '/v1/artifacts/acme/missing-one/versions');
  const V = 'GET /v1/artifacts/{ns}/{name}/versions/{sel}';
  await hit(V, `${A}/versions/1`);
  await hit(V, `${A}/versions/latest`);
  await hit(V, `${A}/versions/${m2.digest}`);
  await hit(V, `${A}/versions/99`);
  await hit(V, `${A}/versions/nope`);
  await hit(V, `${A}/versions/007`);
  const F = 'GET /v1/artifacts/{ns}/{name}/versions/{sel}/files/{path}';
  await hit(F, `${A}/versions/1/files/model.bin`);
  await hit(F, `${A}/versions/1/files/model.bin`, { headers: { Range: 'bytes=0-3' } });
  await hit(F, `${A}/versions/1/files/missing.bin`);
  await hit(F, `${A}/versions/1/files/a/%2e%2e/b`);
  const M = 'POST /v1/artifacts/{ns}/{name}/versions/{sel}/metrics';
  await hit(M, `${A}/versions/1/metrics`, { method: 'POST', json: { metrics: { auc: 0.9 } } });
  await hit(M, `${A}/versions/1/metrics`, { method: 'POST', json: { metrics: {} } });

  const T = 'PUT /v1/artifacts/{ns}/{name}/tags/{tag}';
  await hit(T, `${A}/tags/prod`, {
    method: 'PUT',
    json: { digest: m1.digest, expect: null, reason: 'first' },
  });
  await hit(T, `${A}/tags/prod`, { method: 'PUT', json: { digest: m2.digest, reason: 'better lr' } });
  await hit(T, `${A}/tags/prod`, { method: 'PUT', json: { digest: m1.digest, expect: m1.digest } });
  await hit(T, `${A}/tags/prod`, { method: 'PUT', json: { digest: v1.digest } });
  await hit(T, `${A}/tags/123`, { method: 'PUT', json: { digest: m1.digest } });
  await hit(T, `${A}/tags/prod`, { method: 'PUT', json: { digest: m1.digest }, token: null });
  await hit('GET /v1/artifacts/{ns}/{name}/tags', `${A}/tags`);
  await hit('GET /v1/artifacts/{ns}/{name}/tags/{tag}/history', `${A}/tags/prod/history?limit=5`);
  const X = 'GET /v1/artifacts/{ns}/{name}/tags/{tag}/explain';
  await hit(X, `${A}/tags/prod/explain`);
  await hit(X, `${A}/tags/latest/explain`);
  await hit(X, `${A}/tags/none/explain`);

  await hit('GET /v1/manifests/{digest}', `/v1/manifests/${m1.digest}`);
  await hit('GET /v1/manifests/{digest}', `/v1/manifests/${ZERO}`);
  const R = 'GET /v1/resolve/{ref}';
  const resolved = await hit(R, `/v1/resolve/${model}:prod`);
  await hit(R, `/v1/resolve/${model}:prod`, {
    headers: { 'If-None-Match': resolved.headers.get('etag') ?? '' },
  });
  await hit(R, `/v1/resolve/${model}@1`, { headers: { Accept: 'application/vnd.cairn.manifest.v1+json' } });
  await hit(R, `/v1/resolve/${model}:missing`);
  await hit(R, `/v1/resolve/${model}@99`);
  await hit(R, '/v1/resolve/not-a-ref');
  const L = 'GET /v1/lineage/{ref}';
  await hit(L, `/v1/lineage/${model}@1?direction=both`);
  await hit(L, `/v1/lineage/${model}@1?format=mermaid`);
  await hit(L, `/v1/lineage/${model}@1?format=dot`);
  await hit(L, `/v1/lineage/${model}@1?depth=x`);
  await hit(L, `/v1/lineage/${model}:missing`);
  await hit('GET /v1/impact/{ref}', `/v1/impact/${data}@1`);
  await hit('GET /v1/impact/{ref}', '/v1/impact/x');
  const D = 'GET /v1/diff';
  await hit(D, `/v1/diff?from=${model}@1&to=${model}@2`);
  await hit(D, `/v1/diff?from=${model}@1`);
  await hit(D, `/v1/diff?from=${model}@1&to=${model}@99`);
  // Table diffs: pending, then ready (rows, schema, drift, histograms, samples), then failed.
  const tables = uniqueName('acme', 'oa-tables');
  for (const text of ['id,v\n1,a\n2,b\n', 'id,v,w\n2,c,1\n3,d,2\n', 'id,v\n1,"open\n']) {
    const csvFile = await storedFile('t.csv', text);
    await publishOk(tables, { kind: 'dataset', files: [{ ...csvFile, table: { key: ['id'] } }] });
  }
  await hit(D, `/v1/diff?from=${tables}@1&to=${tables}@2`);
  await drainProfiles();
  await hit(D, `/v1/diff?from=${tables}@1&to=${tables}@2`);
  await hit(D, `/v1/diff?from=${tables}@2&to=${tables}@3`);
  await drainProfiles();
  await hit(D, `/v1/diff?from=${tables}@2&to=${tables}@3`);

  const DT = 'DELETE /v1/artifacts/{ns}/{name}/tags/{tag}';
  await hit(DT, `${A}/tags/prod?reason=done`, { method: 'DELETE' });
  await hit(DT, `${A}/tags/prod`, { method: 'DELETE' });
}

async function service(hit: ReturnType<typeof caller>) {
  await hit('GET /v1/health', '/v1/health', { token: null });
  await hit('GET /v1/health', '/v1/health', { token: 'not-a-token' });
  const doc = await hit('GET /v1/openapi.json', '/v1/openapi.json', { token: null });
  await hit('GET /v1/openapi.json', '/v1/openapi.json', {
    token: null,
    headers: { 'If-None-Match': doc.headers.get('etag') ?? '' },
  });
  const K = 'POST /v1/tokens';
  const created = await hit(K, '/v1/tokens', { method: 'POST', json: { name: 'ci', scopes: ['read'] } });
  const { id, token } = (await created.json()) as { id: string; token: string };
  await hit(K, '/v1/tokens', { method: 'POST', json: { name: 'ci', scopes: ['root'] } });
  await hit(K, '/v1/tokens', { method: 'POST', json: { name: 'ci', scopes: ['read'] }, token });
  await hit('GET /v1/tokens', '/v1/tokens?limit=2');
  await hit('GET /v1/tokens', '/v1/tokens', { token: null });
  await hit('DELETE /v1/tokens/{id}', `/v1/tokens/${id}`, { method: 'DELETE' });
  await hit('DELETE /v1/tokens/{id}', `/v1/tokens/${id}`, { method: 'DELETE' });
  await hit('GET /v1/audit', '/v1/audit?limit=3&outcome=denied');
  await hit('GET /v1/audit', '/v1/audit?outcome=maybe');
  await hit('POST /v1/admin/gc', '/v1/admin/gc', { method: 'POST', json: { dryRun: true, orphanPages: 0 } });
  await hit('POST /v1/admin/gc', '/v1/admin/gc', { method: 'POST', json: { dryRun: 'yes' } });
}

/** After versionsAndTags: the feed has publish and tag-move events to page through. */
async function openlineage(hit: ReturnType<typeof caller>) {
  const E = 'GET /v1/openlineage/events';
  const first = await hit(E, '/v1/openlineage/events?limit=2');
  const { nextCursor } = (await first.json()) as { nextCursor: string };
  await hit(E, `/v1/openlineage/events?limit=2&after=${nextCursor}`);
  await hit(E, '/v1/openlineage/events?limit=0');
  await hit(E, '/v1/openlineage/events', { token: null });
  const D = 'GET /v1/openlineage/deliveries';
  await hit(D, '/v1/openlineage/deliveries?limit=2');
  await hit(D, '/v1/openlineage/deliveries?status=lost');
  const { token } = await createToken(['read']);
  await hit(D, '/v1/openlineage/deliveries', { token });
  await hit('GET /v1/openlineage/facets.json', '/v1/openlineage/facets.json', { token: null });
}

describe('real answers conform to GET /v1/openapi.json', () => {
  it('every operation, happy and error answers: documented status, media type and body', async () => {
    const conformance = new Conformance(await fetchDocument());
    const hit = caller(conformance);
    await service(hit);
    await blobsAndUploads(hit);
    await versionsAndTags(hit);
    await provenanceScenario(hit);
    await openlineage(hit);
    await chunksScenario(hit);
    expect(conformance.problems).toEqual([]);
    const unexercised = operationsOf(conformance.doc)
      .map(({ method, path }) => `${method} ${path}`)
      .filter((key) => ![...(conformance.answered.get(key) ?? [])].some((s) => s < 400));
    expect(unexercised).toEqual([]);
  });

  it('an undocumented field, error code, status or media type is caught (the check can fail)', async () => {
    const doc = await fetchDocument();
    const health = doc.paths?.['/v1/health']?.get?.responses?.['200'] as {
      content: Record<string, { schema: { properties: Record<string, unknown> } }>;
    };
    delete health.content['application/json']?.schema.properties.service;
    const conformance = new Conformance(doc);
    await conformance.check('GET /v1/health', await call('/v1/health'));
    await conformance.check('GET /v1/blobs/{digest}', await call(`/v1/blobs/${ZERO}`, { method: 'DELETE' }));
    await conformance.check('GET /v1/health', await call('/v1/no-such-route'));
    await conformance.check('GET /v1/diff', await call('/v1/health'));
    await conformance.check('GET /v1/health', await call('/ui'));
    expect(conformance.problems).toEqual([
      expect.stringMatching(/^GET \/v1\/health → 200: body does not match: .*additional properties/),
      expect.stringMatching(/^GET \/v1\/blobs\/\{digest\} → 404: body does not match/),
      expect.stringMatching(/^GET \/v1\/health → 404: status not documented/),
      expect.stringMatching(/^GET \/v1\/diff → 200: body does not match/),
      expect.stringMatching(/^GET \/v1\/health → 200: Content-Type text\/html not documented/),
    ]);
  });
});
