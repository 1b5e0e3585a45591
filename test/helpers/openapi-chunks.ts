/** The chunked-upload part of test/unit/openapi-responses.test.ts: every answer of /v1/chunks/*. */
import { PACK_MEDIA_TYPE } from '../../src/contract/chunks';
import { cut, packOf, recipeOf } from './chunk-packs';
import { type CallOptions, createToken, digestOf, randomBytes } from './http';

type Hit = (key: string, path: string, options?: CallOptions) => Promise<Response>;

export async function chunksScenario(hit: Hit) {
  const bytes = randomBytes(96 * 1024);
  const digest = await digestOf(bytes);
  const chunks = await cut(bytes, [32 * 1024]);
  const K = 'POST /v1/chunks/known';
  await hit(K, '/v1/chunks/known', { method: 'POST', json: { chunks: chunks.map((c) => c.hex) } });
  await hit(K, '/v1/chunks/known', { method: 'POST', json: { chunks: [] } });
  const reader = await createToken(['read']);
  await hit(K, '/v1/chunks/known', {
    method: 'POST',
    json: { chunks: [chunks[0]!.hex] },
    token: reader.token,
  });

  const P = 'POST /v1/chunks/packs';
  const pack = (body: Uint8Array, type = PACK_MEDIA_TYPE) => ({
    method: 'POST',
    body,
    headers: { 'Content-Type': type },
  });
  const R = 'PUT /v1/blobs/{digest}/recipe';
  const recipe = recipeOf(chunks);
  await hit(R, `/v1/blobs/${digest}/recipe`, { method: 'PUT', json: recipe });
  await hit(P, '/v1/chunks/packs', pack(packOf(chunks.slice(0, 2))));
  const lying = packOf(chunks.slice(2));
  lying[lying.length - 1] = (lying.at(-1) as number) ^ 1;
  await hit(P, '/v1/chunks/packs', pack(lying));
  await hit(P, '/v1/chunks/packs', pack(new TextEncoder().encode('NOTAPACK0000')));
  await hit(P, '/v1/chunks/packs', pack(packOf(chunks.slice(2)), 'application/octet-stream'));
  await hit(P, '/v1/chunks/packs', pack(packOf(chunks.slice(2))));
  await hit(R, `/v1/blobs/${digest}/recipe`, { method: 'PUT', json: { ...recipe, size: recipe.size + 1 } });
  const swapped = { ...recipe, chunks: [recipe.chunks[1], recipe.chunks[0], recipe.chunks[2]] };
  await hit(R, `/v1/blobs/${digest}/recipe`, { method: 'PUT', json: swapped });
  await hit(R, `/v1/blobs/${digest}/recipe`, { method: 'PUT', json: recipe });
  await hit(R, `/v1/blobs/${digest}/recipe`, { method: 'PUT', json: recipe });
  await hit(R, '/v1/blobs/sha256:nope/recipe', { method: 'PUT', json: recipe });
  await hit('GET /v1/admin/storage', '/v1/admin/storage');
  await hit('GET /v1/admin/storage', '/v1/admin/storage', { token: reader.token });
}
