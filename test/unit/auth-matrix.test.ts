/**
 * The auth matrix: every route (API, OCI, Git LFS, UI) × {anonymous, read, write, promote, admin, other-namespace,
 * expired} → the status it must answer. Rows run in order, each principal in turn, against one
 * seeded artifact in `acme`; the other-namespace token holds every scope but admin, for `globex`.
 * Statuses of writes that may already have happened are written '2xx'.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PACK_MEDIA_TYPE } from '../../src/contract/chunks';
import { chunkOf, packOf } from '../helpers/chunk-packs';
import { call, createToken, digestOf, randomBytes, testEnv } from '../helpers/http';
import { type Published, publishOk, storedFile, uniqueName } from '../helpers/registry';

const PRINCIPALS = ['anonymous', 'read', 'write', 'promote', 'admin', 'otherNs', 'expired'] as const;
type Who = (typeof PRINCIPALS)[number];
type Expect = number | '2xx';
type Row = [
  method: string,
  path: () => string,
  expected: Expect[],
  body?: () => unknown,
  headers?: Record<string, string>,
];

const tokens = {} as Record<Exclude<Who, 'expired'>, string | null>;
const expired: string[] = [];
let name = '';
let v1: Published;
let v2: Published;
let blob = '';
let fileBody: Uint8Array;
let fileDigest = '';
let packBody: Uint8Array;

beforeAll(async () => {
  tokens.anonymous = null;
  tokens.admin = 'test-admin-token';
  for (const scope of ['read', 'write', 'promote'] as const)
    tokens[scope] = (await createToken([scope])).token;
  tokens.otherNs = (await createToken(['read', 'write', 'promote'], { namespaces: ['globex'] })).token;
  // Each expired token fails once per row, and AUTH_FAILURE_LIMIT failures of one credential
  // turn its 401 into a 429: a few tokens, one per block of rows, keep every cell a plain 401.
  const expiresAt = new Date(Date.now() + 1200).toISOString();
  for (let i = 0; i < Math.ceil(ROWS.length / 15); i++)
    expired.push((await createToken(['admin'], { expiresAt })).token);

  name = uniqueName('acme', 'matrix');
  const f1 = await storedFile('data.csv');
  const f2 = await storedFile('data.csv');
  blob = f1.digest;
  v1 = await publishOk(name, { kind: 'dataset', files: [f1], tags: ['staging'] });
  v2 = await publishOk(name, { kind: 'dataset', files: [f2], tags: ['staging'] }); // staging moved twice: explain works
  fileBody = randomBytes(256);
  fileDigest = await digestOf(fileBody);
  packBody = packOf([await chunkOf(randomBytes(64))]);
  await new Promise((r) => setTimeout(r, 1300));
});

const json = { 'Content-Type': 'application/json' };
const lfs = { Accept: 'application/vnd.git-lfs+json', 'Content-Type': 'application/vnd.git-lfs+json' };
const NONE = `sha256:${'0'.repeat(64)}`;

//            anonymous read  write  promote admin  otherNs expired
const ROWS: Row[] = [
  ['GET', () => '/v1/health', [200, 200, 200, 200, 200, 200, 401]],
  ['GET', () => '/v1/openapi.json', [200, 200, 200, 200, 200, 200, 401]],
  ['HEAD', () => `/v1/blobs/${blob}`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/blobs/${blob}`, [401, 200, 200, 200, 200, 404, 401]],
  ['PUT', () => `/v1/blobs/${fileDigest}`, [401, 403, '2xx', 403, '2xx', '2xx', 401], () => fileBody],
  ['POST', () => '/v1/blobs/check', [401, 200, 200, 200, 200, 200, 401], () => ({ digests: [blob] })],
  ['POST', () => '/v1/uploads', [401, 403, 400, 403, 400, 400, 401], () => ({ digest: NONE, size: -1 })],
  ['GET', () => '/v1/uploads/upl_none', [401, 403, 404, 403, 404, 404, 401]],
  ['PUT', () => '/v1/uploads/upl_none/parts/1', [401, 403, 404, 403, 404, 404, 401], () => new Uint8Array(8)],
  ['POST', () => '/v1/uploads/upl_none/complete', [401, 403, 404, 403, 404, 404, 401]],
  ['DELETE', () => '/v1/uploads/upl_none', [401, 403, 404, 403, 404, 404, 401]],
  ['POST', () => '/v1/tokens', [401, 403, 403, 403, 201, 403, 401], () => ({ name: 'm', scopes: ['read'] })],
  ['GET', () => '/v1/tokens', [401, 403, 403, 403, 200, 403, 401]],
  ['DELETE', () => '/v1/tokens/tok_none', [401, 403, 403, 403, 404, 403, 401]],
  ['GET', () => `/v1/manifests/${v1.digest}`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => '/v1/artifacts', [401, 200, 200, 200, 200, 200, 401]],
  ['GET', () => `/v1/artifacts/${name}`, [401, 200, 200, 200, 200, 404, 401]],
  [
    'POST',
    () => `/v1/artifacts/${name}/versions`,
    [401, 403, '2xx', 403, '2xx', 403, 401],
    () => ({ kind: 'dataset', files: [{ path: 'data.csv', digest: blob, size: 64 }] }),
  ],
  ['GET', () => `/v1/artifacts/${name}/versions`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/artifacts/${name}/versions/1`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/artifacts/${name}/versions/1/files/data.csv`, [401, 200, 200, 200, 200, 404, 401]],
  [
    'POST',
    () => `/v1/artifacts/${name}/versions/1/metrics`,
    [401, 403, 201, 403, 201, 403, 401],
    () => ({ metrics: { auc: 0.9 } }),
  ],
  ['GET', () => `/v1/artifacts/${name}/tags`, [401, 200, 200, 200, 200, 404, 401]],
  [
    'PUT',
    () => `/v1/artifacts/${name}/tags/candidate`,
    [401, 403, 200, 200, 200, 403, 401], // promote may move any tag, write only unprotected ones
    () => ({ digest: v1.digest }),
  ],
  [
    'PUT',
    () => `/v1/artifacts/${name}/tags/production`,
    [401, 403, 403, 200, 200, 403, 401], // PROTECTED_TAGS = production
    () => ({ digest: v2.digest }),
  ],
  ['DELETE', () => `/v1/artifacts/${name}/tags/nope`, [401, 403, 404, 404, 404, 403, 401]],
  ['GET', () => `/v1/artifacts/${name}/tags/staging/history`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/artifacts/${name}/tags/staging/explain`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/resolve/${name}:staging`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/lineage/${name}@1`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/impact/${name}@1`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v1/diff?from=${name}@1&to=${name}@2`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => '/v1/audit', [401, 403, 403, 403, 200, 403, 401]],
  [
    'POST',
    () => '/v1/admin/gc',
    [401, 403, 403, 403, 200, 403, 401],
    () => ({ dryRun: true, orphanPages: 0 }),
  ],
  // Chunked uploads (write) and the storage report (admin).
  [
    'POST',
    () => '/v1/chunks/known',
    [401, 403, 200, 403, 200, 200, 401],
    () => ({ chunks: [blob.slice(7)] }),
  ],
  [
    'POST',
    () => '/v1/chunks/packs',
    [401, 403, '2xx', 403, '2xx', '2xx', 401],
    () => packBody,
    { 'Content-Type': PACK_MEDIA_TYPE },
  ],
  [
    'PUT',
    () => `/v1/blobs/${NONE}/recipe`,
    [401, 403, 422, 403, 422, 422, 401],
    () => ({ size: 1, chunks: [['0'.repeat(64), 1]] }),
  ],
  ['GET', () => '/v1/admin/storage', [401, 403, 403, 403, 200, 403, 401]],
  // OCI (/v2): the same scopes; other namespaces answer as unknown, pushes there are refused.
  ['GET', () => '/v2/', [401, 200, 200, 200, 200, 200, 401]],
  ['HEAD', () => `/v2/${name}/blobs/${blob}`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v2/${name}/manifests/staging`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v2/${name}/tags/list`, [401, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/v2/${name}/referrers/${NONE}`, [401, 200, 200, 200, 200, 404, 401]],
  ['POST', () => `/v2/${name}/blobs/uploads/`, [401, 403, 202, 403, 202, 403, 401]],
  [
    'PATCH',
    () => `/v2/${name}/blobs/uploads/oci_none`,
    [401, 403, 404, 403, 404, 403, 401],
    () => new Uint8Array(8),
  ],
  ['DELETE', () => `/v2/${name}/manifests/nope`, [401, 403, 404, 403, 404, 403, 401]],
  [
    'POST',
    () => `/lfs/${name}/objects/batch`,
    [401, 200, 200, 200, 200, 404, 401],
    () => ({ operation: 'download', objects: [{ oid: blob.slice(7), size: 64 }] }),
    lfs,
  ],
  [
    'POST',
    () => `/lfs/${name}/objects/batch`,
    [401, 403, 200, 403, 200, 404, 401],
    () => ({ operation: 'upload', objects: [{ oid: blob.slice(7), size: 64 }] }),
    lfs,
  ],
  ['GET', () => `/lfs/${name}/locks`, [401, 200, 200, 200, 200, 404, 401], undefined, lfs],
  ['POST', () => `/lfs/${name}/locks/verify`, [401, 403, 200, 403, 200, 404, 401], () => ({}), lfs],
  // Provenance: reads need read; attestations need write in the namespace; keys need admin to
  // change; a policy needs promote.
  ['GET', () => `/v1/artifacts/${name}/versions/1/provenance`, [401, 200, 200, 200, 200, 404, 401]],
  [
    'GET',
    () => `/v1/artifacts/${name}/versions/1/statement?type=model-signing`,
    [401, 200, 200, 200, 200, 404, 401],
  ],
  ['GET', () => `/v1/artifacts/${name}/versions/1/attestations`, [401, 200, 200, 200, 200, 404, 401]],
  [
    'POST',
    () => `/v1/artifacts/${name}/versions/1/attestations`,
    [401, 403, 400, 403, 400, 403, 401],
    () => ({}),
  ],
  ['GET', () => '/v1/keys', [401, 200, 200, 200, 200, 200, 401]],
  ['POST', () => '/v1/keys', [401, 403, 403, 403, 400, 403, 401], () => ({ name: 'k', publicKey: 'x' })],
  ['DELETE', () => `/v1/keys/${'0'.repeat(64)}`, [401, 403, 403, 403, 404, 403, 401]],
  ['GET', () => `/v1/artifacts/${name}/policy`, [401, 200, 200, 200, 200, 404, 401]],
  ['PUT', () => `/v1/artifacts/${name}/policy`, [401, 403, 403, 200, 200, 403, 401], () => ({ tags: {} })],
  ['GET', () => '/v1/openlineage/events', [401, 200, 200, 200, 200, 200, 401]],
  ['GET', () => '/v1/openlineage/deliveries', [401, 403, 403, 403, 200, 403, 401]],
  // The custom-facet schema is public, like any schema; a refused credential is still a 401.
  ['GET', () => '/v1/openlineage/facets.json', [200, 200, 200, 200, 200, 200, 401]],
  // The UI sends anonymous visitors to its login page; a refused credential is a 401 page.
  ['GET', () => `/ui/artifacts/${name}`, [302, 200, 200, 200, 200, 404, 401]],
  ['GET', () => `/ui/artifacts/${name}/versions/1`, [302, 200, 200, 200, 200, 404, 401]],
];

async function send([method, path, , body, headers]: Row, who: Who, row: number): Promise<number> {
  const payload = body?.();
  const isBytes = payload instanceof Uint8Array;
  const res = await call(path(), {
    method,
    token: who === 'expired' ? expired[Math.floor(row / 15)]! : tokens[who],
    headers: headers ?? (payload !== undefined && !isBytes ? json : {}),
    body: payload === undefined ? null : isBytes ? payload : JSON.stringify(payload),
  });
  await res.body?.cancel();
  return res.status;
}

describe('auth matrix', () => {
  it(`${ROWS.length} routes × ${PRINCIPALS.length} principals answer as specified`, async () => {
    const wrong: string[] = [];
    let cells = 0;
    for (const [r, row] of ROWS.entries()) {
      for (const [k, who] of PRINCIPALS.entries()) {
        const want = row[2][k]!;
        const got = await send(row, who, r);
        cells++;
        const ok = want === '2xx' ? got >= 200 && got < 300 : got === want;
        if (!ok) wrong.push(`${row[0]} ${row[1]()} as ${who}: got ${got}, want ${want}`);
      }
    }
    console.log(
      `auth matrix: ${cells} cells (${ROWS.length} routes × ${PRINCIPALS.length} principals), ${wrong.length} wrong`,
    );
    expect(wrong).toEqual([]);
    expect(testEnv.PUBLIC_READ).not.toBe('true');
    // Every route × 7 principals, one request after another: near the default 30 s on a loaded machine.
  }, 120_000);
});
