/**
 * The provenance part of the OpenAPI conformance scenario (test/unit/openapi-responses.test.ts):
 * every provenance, key and policy operation with its happy and main error answers.
 */
import { MODEL_SIGNING_PREDICATE } from '../../src/services/provenance/model-signing';
import type { CallOptions } from './http';
import { newKey, signBytes } from './provenance';
import { publishOk, storedFile, uniqueName } from './registry';

type Hit = (key: string, path: string, options?: CallOptions) => Promise<Response>;

export async function provenanceScenario(hit: Hit) {
  const name = uniqueName('acme', 'oa-prov');
  const v1 = await publishOk(name, { kind: 'model', files: [await storedFile('w.bin')] });
  const A = `/v1/artifacts/${name}`;
  const V = `${A}/versions/1`;
  const VP = '/v1/artifacts/{ns}/{name}/versions/{sel}';

  await hit(`GET ${VP}/provenance`, `${V}/provenance`);
  await hit(`GET ${VP}/provenance`, `${A}/versions/9/provenance`);
  const S = `GET ${VP}/statement`;
  const statement = new Uint8Array(await (await hit(S, `${V}/statement?type=model-signing`)).arrayBuffer());
  await hit(S, `${V}/statement?type=slsa`);
  await hit(S, `${V}/statement?type=bogus`);

  const key = await newKey();
  const K = 'POST /v1/keys';
  await hit(K, '/v1/keys', {
    method: 'POST',
    json: { name: 'oa', publicKey: key.publicPem, namespaces: ['acme'] },
  });
  await hit(K, '/v1/keys', { method: 'POST', json: { name: 'oa', publicKey: key.publicPem } });
  await hit(K, '/v1/keys', { method: 'POST', json: { name: 'oa', publicKey: 'nope' } });
  await hit('GET /v1/keys', '/v1/keys');

  const P = `POST ${VP}/attestations`;
  const bundle = await signBytes(key, statement);
  const json = { 'Content-Type': 'application/json' };
  const created = await hit(P, `${V}/attestations`, {
    method: 'POST',
    body: JSON.stringify(bundle),
    headers: json,
  });
  const { digest } = (await created.json()) as { digest: string };
  await hit(P, `${V}/attestations`, { method: 'POST', body: JSON.stringify(bundle), headers: json });
  await hit(P, `${V}/attestations`, { method: 'POST', body: 'junk', headers: json });
  const stranger = await signBytes(await newKey(), statement);
  await hit(P, `${V}/attestations`, { method: 'POST', body: JSON.stringify(stranger), headers: json });
  await hit(P, `${V}/attestations`, {
    method: 'POST',
    body: JSON.stringify({ ...bundle, mediaType: 'application/json' }),
    headers: json,
  });
  await hit(`GET ${VP}/attestations`, `${V}/attestations`);
  await hit(`GET ${VP}/attestations/{digest}`, `${V}/attestations/${digest}`);
  await hit(`GET ${VP}/attestations/{digest}`, `${V}/attestations/sha256:${'0'.repeat(64)}`);

  const PP = 'PUT /v1/artifacts/{ns}/{name}/policy';
  const rules = { production: [{ predicateType: MODEL_SIGNING_PREDICATE, keys: [key.keyId] }] };
  await hit(PP, `${A}/policy`, {
    method: 'PUT',
    json: { tags: { staging: [{ predicateType: 'x', keys: ['f'.repeat(64)] }] } },
  });
  await hit(PP, `${A}/policy`, { method: 'PUT', json: { tags: rules } });
  await hit('GET /v1/artifacts/{ns}/{name}/policy', `${A}/policy`);
  const v2 = await publishOk(name, { kind: 'model', files: [await storedFile('w.bin')] });
  const T = 'PUT /v1/artifacts/{ns}/{name}/tags/{tag}';
  await hit(T, `${A}/tags/production`, { method: 'PUT', json: { digest: v2.digest } });
  await hit(T, `${A}/tags/production`, { method: 'PUT', json: { digest: v1.digest } });
  await hit('GET /v1/artifacts/{ns}/{name}/tags/{tag}/history', `${A}/tags/production/history`);
  await hit('GET /v1/artifacts/{ns}/{name}/tags/{tag}/explain', `${A}/tags/production/explain`);

  const D = 'DELETE /v1/keys/{keyId}';
  await hit(D, `/v1/keys/${key.keyId}`, { method: 'DELETE' });
  await hit(D, `/v1/keys/${'0'.repeat(64)}`, { method: 'DELETE' });
}
