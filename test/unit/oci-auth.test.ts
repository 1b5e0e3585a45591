/**
 * /v2 authentication and authorization. Mirrors the conformance suite's setup checks
 * (opencontainers/distribution-spec conformance/setup.go: `GET /v2/` answers 200 once
 * authenticated) and its auth behaviour, plus Cairn's scope rules on every OCI write.
 */
import { describe, expect, it } from 'vitest';
import { call, createToken, digestOf } from '../helpers/http';
import { imageManifest, oci, ociCode, pushBlob, putManifest } from '../helpers/oci';
import { uniqueName } from '../helpers/registry';

describe('GET /v2/', () => {
  it('answers 200 {} with a token as the HTTP Basic password (any user name)', async () => {
    const res = await oci('/v2/');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(res.headers.get('Docker-Distribution-API-Version')).toBe('registry/2.0');
  });

  it('answers 200 with a Bearer token', async () => {
    const { token } = await createToken(['read']);
    const res = await oci('/v2/', { token: null, headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  it('anonymous → 401 UNAUTHORIZED with a Basic challenge that clients answer', async () => {
    const res = await oci('/v2/', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="cairn"');
    expect(await ociCode(res)).toBe('UNAUTHORIZED');
  });

  it('a wrong token → 401 in the OCI error shape', async () => {
    const res = await oci('/v2/', { token: 'cairn_not-a-token' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('UNAUTHORIZED');
    expect(body.errors[0]?.message).toMatch(/not valid/);
  });
});

describe('scopes over OCI', () => {
  it('a read-only token cannot push a blob → 403 DENIED', async () => {
    const { token } = await createToken(['read']);
    const res = await oci(`/v2/${uniqueName()}/blobs/uploads/`, { method: 'POST', token });
    expect(res.status).toBe(403);
    expect(await ociCode(res)).toBe('DENIED');
  });

  it('anonymous cannot push → 401 with the challenge', async () => {
    const res = await oci(`/v2/${uniqueName()}/blobs/uploads/`, { method: 'POST', token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="cairn"');
  });

  it('a write token may push a tag, but not the protected "production" (needs promote), and nothing moves', async () => {
    const name = uniqueName();
    const { token } = await createToken(['read', 'write']);
    const m = await imageManifest(name, [{ title: 'weights.bin' }]);
    expect((await putManifest(name, 'staging', m.bytes, token)).status).toBe(201);
    const refused = await putManifest(name, 'production', m.bytes, token);
    expect(refused.status).toBe(403);
    expect(await ociCode(refused)).toBe('DENIED');
    expect((await oci(`/v2/${name}/manifests/production`)).status).toBe(404);
    const { token: promoter } = await createToken(['read', 'write', 'promote']);
    expect((await putManifest(name, 'production', m.bytes, promoter)).status).toBe(201);
    // …and a write token cannot delete it either.
    const del = await oci(`/v2/${name}/manifests/production`, { method: 'DELETE', token });
    expect(del.status).toBe(403);
    // Every attempt is in the audit log under the artifact, the refusals with their reason.
    const audit = await call(`/v1/audit?artifact=${name}`);
    const items = (
      (await audit.json()) as { items: { method: string; status: number; outcome: string; action: string }[] }
    ).items;
    expect(
      items.filter((i) => i.action === 'PUT /v2/:ns/:name/manifests/:reference').map((i) => i.status),
    ).toEqual([201, 403, 201]); // newest first: promote's push, the refusal, the staging push
    expect(items.find((i) => i.method === 'DELETE')).toMatchObject({ status: 403, outcome: 'denied' });
  });

  it('a namespace-limited token pushes in its namespace only, and sees other namespaces as unknown', async () => {
    const mine = uniqueName('team-a');
    const theirs = uniqueName('team-b');
    const m = await imageManifest(theirs, [{ title: 'x.bin' }]);
    expect((await putManifest(theirs, 'v1', m.bytes)).status).toBe(201);
    const { token } = await createToken(['read', 'write'], { namespaces: ['team-a'] });
    const push = await oci(`/v2/${theirs}/blobs/uploads/`, { method: 'POST', token });
    expect(push.status).toBe(403);
    const read = await oci(`/v2/${theirs}/manifests/v1`, { token });
    expect(read.status).toBe(404);
    expect(await ociCode(read)).toBe('NAME_UNKNOWN');
    // A blob of another namespace is not readable by digest either, nor mountable into mine.
    const layer = m.layers[0]!.digest;
    expect((await oci(`/v2/${mine}/blobs/${layer}`, { token })).status).toBe(404);
    const mount = await oci(`/v2/${mine}/blobs/uploads/?mount=${layer}&from=${theirs}`, {
      method: 'POST',
      token,
    });
    expect(mount.status).toBe(202); // falls back to a session, as the spec says
    // What it uploads itself it may read.
    const own = await pushBlob(mine, 'my bytes', token);
    expect((await oci(`/v2/${mine}/blobs/${own.digest}`, { token })).status).toBe(200);
    expect(own.digest).toBe(await digestOf('my bytes'));
  });
});
