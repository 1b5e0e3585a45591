import { describe, expect, it } from 'vitest';
import { lfsAccess } from '../../src/services/lfs/access';
import { ADMIN, BASE, createToken, digestOf, putBlob, randomBytes, testEnv } from '../helpers/http';
import { basic, batch, batchObjects, followAction, hexOf, LFS_TYPE, lfsCall } from '../helpers/lfs';
import { publishOk, uniqueName } from '../helpers/registry';

async function newObject(n = 256) {
  const bytes = randomBytes(n);
  const digest = await digestOf(bytes);
  return { bytes, digest, oid: hexOf(digest), size: n };
}

async function held(repo: string, digest: string): Promise<boolean> {
  const row = await testEnv.DB.prepare('select 1 from lfs_objects where repo = ? and digest = ?')
    .bind(repo, digest)
    .first();
  return row !== null;
}

async function storedRow(digest: string) {
  return testEnv.DB.prepare('select digest, size from blobs where digest = ?').bind(digest).first();
}

describe('POST /lfs/{ns}/{name}/objects/batch: transfers', () => {
  it('upload → actions on the native blob route with the caller credential; PUT, verify, then download', async () => {
    const repo = uniqueName();
    const obj = await newObject();
    const res = await batch(repo, 'upload', [{ oid: obj.oid, size: obj.size }]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(LFS_TYPE);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { transfer: string; hash_algo: string; objects: unknown[] };
    expect(body).toMatchObject({ transfer: 'basic', hash_algo: 'sha256' });
    const [planned] = body.objects as {
      actions: Record<string, { href: string; header: Record<string, string> }>;
    }[];
    const { upload, verify } = planned!.actions;
    expect(upload).toEqual({
      href: `${BASE}/v1/blobs/${obj.digest}`,
      header: { Authorization: basic(ADMIN) },
      expires_in: 3600,
    });
    expect(verify!.href).toBe(`${BASE}/lfs/${repo}/objects/verify`);

    expect(await storedRow(obj.digest)).toBeNull();
    expect((await followAction(upload!, 'PUT', obj.bytes)).status).toBe(201);
    expect(await held(repo, obj.digest)).toBe(false);
    const verified = await followAction(verify!, 'POST', JSON.stringify({ oid: obj.oid, size: obj.size }));
    expect(verified.status).toBe(200);
    expect(await storedRow(obj.digest)).toMatchObject({ size: obj.size });
    // Held by the repository from now on: garbage collection keeps it.
    expect(await held(repo, obj.digest)).toBe(true);

    const [again] = await batchObjects(repo, 'upload', [{ oid: obj.oid, size: obj.size }]);
    expect(again).toEqual({ oid: obj.oid, size: obj.size });

    const [down] = await batchObjects(repo, 'download', [{ oid: obj.oid, size: obj.size }]);
    expect(down!.authenticated).toBe(true);
    const got = await followAction(down!.actions!.download!, 'GET');
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(obj.bytes);
  });

  it('dedup both ways: a natively stored blob gets no upload action; an LFS blob is publishable as is', async () => {
    const native = await newObject();
    expect((await putBlob(native.bytes)).res.status).toBe(201);
    const repo = uniqueName();
    const [planned] = await batchObjects(repo, 'upload', [{ oid: native.oid, size: native.size }]);
    expect(planned).toEqual({ oid: native.oid, size: native.size });
    expect(await held(repo, native.digest)).toBe(true);

    const viaLfs = await newObject(1000);
    const [up] = await batchObjects(repo, 'upload', [{ oid: viaLfs.oid, size: viaLfs.size }]);
    expect((await followAction(up!.actions!.upload!, 'PUT', viaLfs.bytes)).status).toBe(201);
    const published = await publishOk(uniqueName(), {
      files: [{ path: 'model.pkl', digest: viaLfs.digest, size: viaLfs.size }],
    });
    expect(published.version).toBe(1);
  });

  it('per-object answers in request order: 404 missing, 422 invalid oid or size, 413 above the single-request limit', async () => {
    const repo = uniqueName();
    const stored = await newObject();
    await putBlob(stored.bytes);
    const missing = await newObject();
    const huge = Number(testEnv.MAX_SINGLE_UPLOAD_BYTES) + 1;
    const down = await batchObjects(repo, 'download', [
      { oid: missing.oid, size: missing.size },
      { oid: stored.oid, size: stored.size },
      { oid: stored.oid.toUpperCase(), size: stored.size },
      { oid: 'abc', size: 1 },
      { oid: stored.oid, size: -1 },
      { oid: stored.oid, size: 1.5 },
      { oid: stored.oid, size: stored.size + 1 },
    ]);
    expect(down.map((o) => o.error?.code ?? 'ok')).toEqual([404, 'ok', 422, 422, 422, 422, 422]);
    expect(down[4]!.error!.message).toMatch(/non-negative integer/);
    expect(down[6]!.error!.message).toMatch(/stored with/);

    const up = await batchObjects(repo, 'upload', [
      { oid: missing.oid, size: huge },
      { oid: missing.oid, size: missing.size },
    ]);
    expect(up[0]!.error).toMatchObject({
      code: 413,
      message: expect.stringMatching(/at most \d+.*multipart/),
    });
    expect(up[1]!.actions?.upload).toBeDefined();
  });

  it('the empty object is an ordinary object (size 0)', async () => {
    const repo = uniqueName();
    const empty = await newObject(0);
    const [up] = await batchObjects(repo, 'upload', [{ oid: empty.oid, size: 0 }]);
    if (up!.actions)
      expect((await followAction(up!.actions.upload!, 'PUT', empty.bytes)).status).toBeLessThan(300);
    const [down] = await batchObjects(repo, 'download', [{ oid: empty.oid, size: 0 }]);
    const got = await followAction(down!.actions!.download!, 'GET');
    expect(got.status).toBe(200);
    expect((await got.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('POST /lfs/{ns}/{name}/objects/batch: request errors in the LFS shape', () => {
  const oid = 'a'.repeat(64);

  async function expectLfsError(res: Response, status: number, message: RegExp) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe(LFS_TYPE);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.message).toMatch(message);
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    expect(body.documentation_url).toMatch(/^https:\/\//);
    expect(body).not.toHaveProperty('error');
    expect(body).not.toHaveProperty('objects');
  }

  it('validation matrix', async () => {
    const repo = uniqueName();
    const cases: [unknown, number, RegExp][] = [
      [{ operation: 'delete', objects: [] }, 422, /operation/],
      [{ operation: 'upload' }, 422, /objects/],
      [{ operation: 'upload', objects: [{ oid, size: '1' }] }, 422, /objects\.0\.size/],
      [{ operation: 'upload', objects: 'x' }, 422, /objects/],
      [{ operation: 'download', transfers: ['tus'], objects: [] }, 422, /basic/],
      [{ operation: 'download', hash_algo: 'sha512', objects: [] }, 409, /sha256/],
      [
        { operation: 'download', objects: Array.from({ length: 1001 }, () => ({ oid, size: 1 })) },
        413,
        /at most 1000 objects/,
      ],
    ];
    for (const [json, status, message] of cases) {
      await expectLfsError(await lfsCall(`${repo}/objects/batch`, { json }), status, message);
    }
    const wrongType = await lfsCall(`${repo}/objects/batch`, {
      json: { operation: 'download', objects: [] },
      headers: { 'Content-Type': 'text/plain' },
    });
    await expectLfsError(wrongType, 415, /Content-Type/);
    // No body at all: the fields are missing.
    await expectLfsError(await lfsCall(`${repo}/objects/batch`), 422, /operation/);
    const badAccept = await lfsCall(`${repo}/objects/batch`, {
      json: { operation: 'download', objects: [] },
      headers: { Accept: 'text/html' },
    });
    await expectLfsError(badAccept, 406, /Accept/);
  });

  it('malformed JSON → 400', async () => {
    const broken = await lfsCall(`${uniqueName()}/objects/batch`, {
      body: '{"operation":',
      headers: { 'Content-Type': LFS_TYPE },
    });
    await expectLfsError(broken, 400, /not valid JSON/);
  });

  it('no credentials → 401 with LFS-Authenticate; a wrong password → 401, nothing planned', async () => {
    const repo = uniqueName();
    const anon = await batch(repo, 'download', [{ oid, size: 1 }], null);
    expect(anon.headers.get('lfs-authenticate')).toBe('Basic realm="cairn"');
    await expectLfsError(anon, 401, /credentials/);
    const wrong = await batch(repo, 'upload', [{ oid, size: 1 }], basic('not-a-token'));
    expect(wrong.headers.get('lfs-authenticate')).toBe('Basic realm="cairn"');
    await expectLfsError(wrong, 401, /not valid/);
    const anonGarbage = await lfsCall(`${repo}/objects/batch`, {
      json: { operation: 'x' },
      authorization: null,
    });
    await expectLfsError(anonGarbage, 401, /credentials/);
    const noPassword = await batch(repo, 'upload', [{ oid, size: 1 }], `Basic ${btoa('git:')}`);
    expect(noPassword.status).toBe(401);
    expect(noPassword.headers.get('lfs-authenticate')).toBe('Basic realm="cairn"');
  });

  it('wrong passwords count toward the failed-auth limit: then 429 with Retry-After, in the LFS shape', async () => {
    const repo = uniqueName();
    const guess = basic(`cairn_guess_${crypto.randomUUID()}`);
    const limit = Number(testEnv.AUTH_FAILURE_LIMIT ?? 20);
    for (let i = 0; i < limit; i++) expect((await batch(repo, 'download', [], guess)).status).toBe(401);
    const throttled = await batch(repo, 'download', [], guess);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectLfsError(throttled, 429, /too many failed/);
  });

  it('Bearer works too; a read token downloads but gets 403 for upload', async () => {
    const repo = uniqueName();
    const { token } = await createToken(['read']);
    expect((await batch(repo, 'download', [{ oid, size: 1 }], `Bearer ${token}`)).status).toBe(200);
    await expectLfsError(await batch(repo, 'upload', [{ oid, size: 1 }], basic(token)), 403, /"write" scope/);
  });

  it('a token limited to namespaces: its namespace works; elsewhere the repository does not exist for it', async () => {
    const { token } = await createToken(['write'], { namespaces: ['team-a'] });
    const obj = await newObject();
    const inside = await batchObjects(uniqueName('team-a'), 'upload', [obj], basic(token));
    expect(inside[0]!.actions?.upload).toBeDefined();
    for (const op of ['upload', 'download']) {
      await expectLfsError(
        await batch(uniqueName('team-b'), op, [obj], basic(token)),
        404,
        /no LFS repository/,
      );
    }
    const locks = await lfsCall(`${uniqueName('team-b')}/locks`, {
      method: 'GET',
      authorization: basic(token),
    });
    await expectLfsError(locks, 404, /no LFS repository/);
  });

  it('who may do what: anonymous reads only with PUBLIC_READ; namespaces before scopes', () => {
    const token = (scopes: ('read' | 'write' | 'admin')[], namespaces: string[] | null = null) => ({
      id: 'tok_x',
      name: 'x',
      scopes,
      namespaces,
    });
    const table: [Parameters<typeof lfsAccess>, string][] = [
      [[null, 'acme', 'read', false], 'credentials-needed'],
      [[null, 'acme', 'read', true], 'ok'],
      [[null, 'acme', 'write', true], 'credentials-needed'],
      [[token(['read']), 'acme', 'write', false], 'denied'],
      [[token(['write']), 'acme', 'write', false], 'ok'],
      [[token(['read'], ['other']), 'acme', 'write', false], 'no-repository'],
      [[token(['admin'], ['acme']), 'acme', 'write', false], 'ok'],
    ];
    for (const [args, expected] of table) expect(lfsAccess(...args), JSON.stringify(args)).toBe(expected);
  });

  it('a limited token sees only what its namespaces use: it proves it has other bytes by uploading them', async () => {
    const { token } = await createToken(['write'], { namespaces: ['team-a'] });
    const repo = uniqueName('team-a');
    const elsewhere = await newObject();
    expect((await putBlob(elsewhere.bytes)).res.status).toBe(201);
    const want = [{ oid: elsewhere.oid, size: elsewhere.size }];

    const [hidden] = await batchObjects(repo, 'download', want, basic(token));
    expect(hidden!.error?.code).toBe(404);
    const [up] = await batchObjects(repo, 'upload', want, basic(token));
    expect(await held(repo, elsewhere.digest)).toBe(false);
    const { upload, verify } = up!.actions as Record<
      string,
      { href: string; header: Record<string, string> }
    >;
    const proof = JSON.stringify(want[0]);
    expect((await followAction(upload!, 'PUT', randomBytes(elsewhere.size))).status).toBe(400);
    expect((await followAction(verify!, 'POST', proof)).status).toBe(404);
    expect((await followAction(upload!, 'PUT', elsewhere.bytes)).status).toBe(200);
    expect((await followAction(verify!, 'POST', proof)).status).toBe(200);
    expect(await held(repo, elsewhere.digest)).toBe(true);
    const [visible] = await batchObjects(repo, 'download', want, basic(token));
    expect(visible!.actions?.download).toBeDefined();
  });

  it('unknown LFS endpoints and invalid repository names → 404 in the LFS shape', async () => {
    await expectLfsError(await lfsCall(`${uniqueName()}/objects/nope`, { json: {} }), 404, /no LFS endpoint/);
    await expectLfsError(
      await lfsCall('Acme/Models/objects/batch', { json: { operation: 'download', objects: [] } }),
      404,
      /lowercase/,
    );
  });
});

describe('POST /lfs/{ns}/{name}/objects/verify', () => {
  it('200 when stored with that size; 404 missing; 422 wrong size or invalid oid', async () => {
    const repo = uniqueName();
    const obj = await newObject();
    const verify = (json: unknown) => lfsCall(`${repo}/objects/verify`, { json });
    expect((await verify({ oid: obj.oid, size: obj.size })).status).toBe(404);
    await putBlob(obj.bytes);
    expect((await verify({ oid: obj.oid, size: obj.size })).status).toBe(200);
    expect((await verify({ oid: obj.oid, size: obj.size + 1 })).status).toBe(422);
    expect((await verify({ oid: 'xyz', size: 1 })).status).toBe(422);
    const { token } = await createToken(['read']);
    const readOnly = await lfsCall(`${repo}/objects/verify`, {
      json: { oid: obj.oid, size: obj.size },
      authorization: basic(token),
    });
    expect(readOnly.status).toBe(403);
  });
});
