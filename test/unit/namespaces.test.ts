/**
 * Tokens limited to namespaces (issue 8): outside them everything answers as if it did not exist,
 * blobs included. A blob is visible to such a token only when a version in its namespaces uses
 * it or the token proved it holds the bytes by uploading them.
 */
import { describe, expect, it } from 'vitest';
import { call, createToken, errorCode, putBlob, randomBytes } from '../helpers/http';
import { publish, publishOk, storedFile, uniqueName } from '../helpers/registry';
import { complete, MiB, PART, putPart, start } from '../helpers/uploads';

const head = (digest: string, token: string) => call(`/v1/blobs/${digest}`, { method: 'HEAD', token });
const check = async (digest: string, token: string) => {
  const res = await call('/v1/blobs/check', { method: 'POST', json: { digests: [digest] }, token });
  return ((await res.json()) as { missing: string[] }).missing;
};

describe('blobs seen through a namespace-limited token', () => {
  it('a blob no version of its namespaces uses answers 404 and "missing", like one never stored', async () => {
    const { token } = await createToken(['read'], { namespaces: ['acme'] });
    const f = await storedFile('x.bin');
    const absent = (await putBlob(randomBytes(8), null)).digest; // refused: never stored
    for (const digest of [f.digest, absent]) {
      const res = await head(digest, token);
      expect(res.status).toBe(404);
      expect(await check(digest, token)).toEqual([digest]);
    }
    const got = await call(`/v1/blobs/${f.digest}`, { token });
    expect(got.status).toBe(404);
    expect(await errorCode(got)).toBe('BLOB_UNKNOWN');
  });

  it('becomes visible once a version in its namespace references it, and only there', async () => {
    const { token: acme } = await createToken(['read'], { namespaces: ['acme'] });
    const { token: globex } = await createToken(['read'], { namespaces: ['globex'] });
    const f = await storedFile('data.csv');
    await publishOk(uniqueName('acme'), { files: [f] });
    expect((await head(f.digest, acme)).status).toBe(200);
    expect(await check(f.digest, acme)).toEqual([]);
    expect((await head(f.digest, globex)).status).toBe(404);
    expect(await check(f.digest, globex)).toEqual([f.digest]);
  });

  it('an upload of a stored blob it cannot see is hashed in full: wrong bytes refused, right bytes grant it', async () => {
    const { token } = await createToken(['write'], { namespaces: ['acme'] });
    const bytes = randomBytes(4096);
    const { digest } = await putBlob(bytes); // stored by an unlimited token
    const forged = new Uint8Array(bytes.length); // right length, wrong bytes: dedup must not shortcut
    const refused = await call(`/v1/blobs/${digest}`, { method: 'PUT', body: forged, token });
    expect(refused.status).toBe(400);
    expect(await errorCode(refused)).toBe('DIGEST_MISMATCH');
    expect((await head(digest, token)).status).toBe(404);
    const name = uniqueName('acme');
    const early = await publish(name, { files: [{ path: 'a', digest, size: bytes.length }] }, token);
    expect(early.status).toBe(422);
    expect(await errorCode(early)).toBe('BLOB_UNKNOWN');

    const proved = await call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes, token });
    expect(proved.status).toBe(200);
    expect((await head(digest, token)).status).toBe(200);
    expect((await publish(name, { files: [{ path: 'a', digest, size: bytes.length }] }, token)).status).toBe(
      201,
    );
  });

  it('a new blob it uploads is visible to its namespace at once (single and multipart)', async () => {
    const { token } = await createToken(['write'], { namespaces: ['acme'] });
    const { token: sameNs } = await createToken(['read'], { namespaces: ['acme'] });
    const { token: otherNs } = await createToken(['read'], { namespaces: ['globex'] });
    const { digest } = await putBlob(randomBytes(100), token);
    expect((await head(digest, sameNs)).status).toBe(200);
    expect((await head(digest, otherNs)).status).toBe(404);
  });

  it('multipart of a stored blob it cannot see: parts in order prove possession, parts out of order cannot', async () => {
    const { token } = await createToken(['write'], { namespaces: ['acme'] });
    const bytes = randomBytes(PART + MiB);
    const { digest } = await putBlob(bytes);

    const outOfOrder = await start(digest, bytes.length, PART, token);
    expect((await putPart(outOfOrder.uploadId, 2, bytes.subarray(PART), token)).status).toBe(200);
    expect((await putPart(outOfOrder.uploadId, 1, bytes.subarray(0, PART), token)).status).toBe(200);
    const unproven = await complete(outOfOrder.uploadId, token);
    expect(unproven.status).toBe(400);
    expect(((await unproven.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe(
      'possession-unproven',
    );
    expect((await head(digest, token)).status).toBe(404);

    const inOrder = await start(digest, bytes.length, PART, token);
    expect((await putPart(inOrder.uploadId, 1, bytes.subarray(0, PART), token)).status).toBe(200);
    expect((await putPart(inOrder.uploadId, 2, bytes.subarray(PART), token)).status).toBe(200);
    expect((await complete(inOrder.uploadId, token)).status).toBe(200);
    expect((await head(digest, token)).status).toBe(200);
  });
});

describe('artifacts outside its namespaces', () => {
  it('read as not found (the same answer as a name that does not exist); writes are refused alike', async () => {
    const { token } = await createToken(['write'], { namespaces: ['acme'] });
    const f = await storedFile('m.bin');
    const existing = uniqueName('globex');
    await publishOk(existing, { files: [f], tags: ['staging'] });
    const missing = uniqueName('globex');
    for (const path of ['', '/versions', '/versions/1', '/tags', '/tags/staging/history']) {
      const a = await call(`/v1/artifacts/${existing}${path}`, { token });
      const b = await call(`/v1/artifacts/${missing}${path}`, { token });
      expect([a.status, await errorCode(a)], path).toEqual([b.status, await errorCode(b)]);
      expect(a.status, path).toBe(404);
    }
    const resolveA = await call(`/v1/resolve/${existing}:staging`, { token });
    const resolveB = await call(`/v1/resolve/${missing}:staging`, { token });
    expect(resolveA.status).toBe(resolveB.status);
    const moveA = await call(`/v1/artifacts/${existing}/tags/x`, {
      method: 'PUT',
      json: { version: 1 },
      token,
    });
    const moveB = await call(`/v1/artifacts/${missing}/tags/x`, {
      method: 'PUT',
      json: { version: 1 },
      token,
    });
    expect([moveA.status, await errorCode(moveA)]).toEqual([moveB.status, await errorCode(moveB)]);
  });

  it('expired and revoked tokens are refused at once', async () => {
    const expired = await createToken(['read'], { expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await call('/v1/health', { token: expired.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const res = await call('/v1/health', { token: expired.token });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/expired/);

    const revoked = await createToken(['read']);
    expect((await call('/v1/health', { token: revoked.token })).status).toBe(200);
    expect((await call(`/v1/tokens/${revoked.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/v1/health', { token: revoked.token })).status).toBe(401);
  });
});

describe('blobs a Git LFS repository holds', () => {
  it('are visible to tokens of that repository namespace only', async () => {
    const { token: acme } = await createToken(['read'], { namespaces: ['acme'] });
    const { token: globex } = await createToken(['read'], { namespaces: ['globex'] });
    const bytes = randomBytes(128);
    const { digest } = await putBlob(bytes); // pushed by an unlimited token, as git lfs does
    const repo = uniqueName('acme', 'lfs');
    const verify = await call(`/lfs/${repo}/objects/verify`, {
      method: 'POST',
      headers: { Accept: 'application/vnd.git-lfs+json', 'Content-Type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ oid: digest.slice(7), size: bytes.length }),
    });
    expect(verify.status).toBe(200);
    expect((await head(digest, acme)).status).toBe(200);
    expect((await head(digest, globex)).status).toBe(404);
  });
});
