/**
 * /hf uploads and commits, failure paths first: a file never uploaded, a lying size, malformed
 * NDJSON, a stale parentCommit, a protected branch, and the signed transfer URLs (forged, bound to
 * one upload, expired, replayed after completion). Every refusal leaves no version behind.
 */
import { describe, expect, it } from 'vitest';
import { signGrant } from '../../src/services/hf/signed-urls';
import { batch, commit, createHfRepo, header, hf, hubUpload, lfsFile } from '../helpers/hf';
import { call, createToken, digestOf, randomBytes, testDeps } from '../helpers/http';
import { uniqueName } from '../helpers/registry';

async function newRepo() {
  const name = uniqueName('acme', 'hfu');
  expect((await createHfRepo(name)).status).toBe(200);
  return name;
}

async function versionCount(name: string) {
  const res = await call(`/v1/artifacts/${name}/versions`);
  return ((await res.json()) as { items: unknown[] }).items.length;
}

const hfError = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('POST /hf/api/models/{ns}/{name}/commit/{rev}', () => {
  it('adds, carries over and deletes: each commit is a version, main moves, unchanged files stay', async () => {
    const name = await newRepo();
    const a = await hubUpload(name, 'a1');
    const b = await hubUpload(name, 'b1');
    const first = await commit(name, [header(), lfsFile('a.txt', a), lfsFile('b.txt', b)]);
    expect(first.status).toBe(200);
    const { commitOid } = (await first.json()) as { commitOid: string };
    const a2 = await hubUpload(name, 'a2');
    const second = await commit(name, [header(commitOid), lfsFile('a.txt', a2)]);
    expect(second.status).toBe(200);
    const third = await commit(name, [header(), { key: 'deletedFile', value: { path: 'a.txt' } }]);
    expect(third.status).toBe(200);
    const info = (await (await hf(`/api/models/${name}`)).json()) as { siblings: { rfilename: string }[] };
    expect(info.siblings.map((s) => s.rfilename)).toEqual(['b.txt']);
    expect(await versionCount(name)).toBe(3);
    expect(await (await hf(`/${name}/resolve/2/a.txt`)).text()).toBe('a2');
  });

  it('a file never uploaded → 422 BLOB_UNKNOWN, nothing published', async () => {
    const name = await newRepo();
    const res = await commit(name, [header(), lfsFile('w.bin', { oid: 'e'.repeat(64), size: 3 })]);
    expect(res.status).toBe(422);
    expect(res.headers.get('X-Error-Code')).toBe('BLOB_UNKNOWN');
    expect(await versionCount(name)).toBe(0);
  });

  it('a lying size → 422 SIZE_MISMATCH, nothing published', async () => {
    const name = await newRepo();
    const f = await hubUpload(name, 'four');
    const res = await commit(name, [header(), lfsFile('w.bin', { oid: f.oid, size: 5 })]);
    expect(res.status).toBe(422);
    expect(res.headers.get('X-Error-Code')).toBe('SIZE_MISMATCH');
    expect(await versionCount(name)).toBe(0);
  });

  it('malformed NDJSON → 400 in the Hub shape, nothing published', async () => {
    const name = await newRepo();
    for (const body of [
      '',
      'not json',
      '{"key":"lfsFile","value":{}}',
      '{"key":"header","value":{}}\n{"key":"nope"}',
    ]) {
      const res = await hf(`/api/models/${name}/commit/main`, { method: 'POST', body });
      expect(res.status, body).toBe(400);
      expect(await hfError(res)).toMatch(/malformed commit/);
    }
    expect(await versionCount(name)).toBe(0);
  });

  it('a stale parentCommit → 409 TAG_CONFLICT; deleting a missing file → 404 EntryNotFound', async () => {
    const name = await newRepo();
    const f = await hubUpload(name, 'x');
    expect((await commit(name, [header(), lfsFile('x', f)])).status).toBe(200);
    const stale = await commit(name, [header('0'.repeat(40)), lfsFile('y', f)]);
    expect(stale.status).toBe(409);
    const gone = await commit(name, [header(), { key: 'deletedFile', value: { path: 'nope' } }]);
    expect(gone.headers.get('X-Error-Code')).toBe('EntryNotFound');
    expect(await versionCount(name)).toBe(1);
  });

  it('a commit to the protected branch "production" needs promote', async () => {
    const name = await newRepo();
    const f = await hubUpload(name, 'p');
    const writer = await createToken(['write']);
    const res = await commit(name, [header(), lfsFile('p', f)], {
      rev: 'production',
      token: `hf_${writer.token}`,
    });
    expect(res.status).toBe(403);
    const promoter = await createToken(['write', 'promote']);
    expect(
      (await commit(name, [header(), lfsFile('p', f)], { rev: 'production', token: `hf_${promoter.token}` }))
        .status,
    ).toBe(200);
  });
});

describe('LFS batch and signed transfers', () => {
  it('a stored object gets no upload action (never sent again)', async () => {
    const name = await newRepo();
    const f = await hubUpload(name, 'stored once');
    const res = await batch(name, [f]);
    const { objects } = (await res.json()) as { objects: { actions?: unknown }[] };
    expect(objects[0]!.actions).toBeUndefined();
  });

  it('PUT with a forged, other-kind or expired grant → 403; a lying Content-Length → 422', async () => {
    const name = await newRepo();
    const bytes = new TextEncoder().encode('payload');
    const oid = (await digestOf(bytes)).slice(7);
    const res = await batch(name, [{ oid, size: bytes.byteLength }]);
    const href = new URL(
      ((await res.json()) as { objects: { actions: { upload: { href: string } } }[] }).objects[0]!.actions
        .upload.href,
    );
    const t = href.searchParams.get('t')!;
    const put = (query: string, body: BodyInit = bytes) =>
      call(`/hf/_transfer/put?t=${query}`, { method: 'PUT', body, token: null });
    expect((await put(`${t.split('.')[0]}.AAAA`)).status).toBe(403);
    expect(
      (await call(`/hf/_transfer/part?t=${t}`, { method: 'PUT', body: bytes, token: null })).status,
    ).toBe(403);
    const principal = { id: 'admin', name: 'admin', scopes: ['admin'] as const, namespaces: null };
    const expired = await signGrant(
      testDeps({ now: () => Date.now() - 2 * 3600_000 }),
      { kind: 'put', digest: `sha256:${oid}`, size: 7 },
      { ...principal, scopes: ['admin'] },
    );
    const late = await put(expired);
    expect(late.status).toBe(403);
    expect(await hfError(late)).toMatch(/expired/);
    expect((await put(t, 'payloa')).status).toBe(422);
    expect((await put(t)).status).toBe(200);
  });

  it('multipart: part URLs are bound to their upload, and refused after completion', async () => {
    const name = await newRepo();
    const MiB = 1024 * 1024;
    const size = 100 * MiB;
    const bytes = randomBytes(size);
    const oid = (await digestOf(bytes)).slice(7);
    const res = await batch(name, [{ oid, size }]);
    const upload = (
      (await res.json()) as {
        objects: { actions: { upload: { href: string; header: Record<string, string> } } }[];
      }
    ).objects[0]!.actions.upload;
    const chunk = Number(upload.header.chunk_size);
    const partUrls = Object.keys(upload.header)
      .filter((k) => /^\d+$/.test(k))
      .map((k) => new URL(upload.header[k]!));
    expect(partUrls.length).toBe(Math.ceil(size / chunk));
    for (const [i, url] of partUrls.entries()) {
      const part = await call(url.pathname + url.search, {
        method: 'PUT',
        body: bytes.slice(i * chunk, (i + 1) * chunk),
        token: null,
      });
      expect(part.status).toBe(200);
      expect(part.headers.get('ETag')).toBeTruthy();
    }
    // The same signature over a payload naming another upload is refused: a grant is bound to its upload.
    const [payload, mac] = partUrls[0]!.searchParams.get('t')!.split('.');
    const granted = JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/')));
    granted.grant.uploadId = 'upl_someoneelse';
    const moved = btoa(JSON.stringify(granted)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const other = await call(`/hf/_transfer/part?t=${moved}.${mac}`, {
      method: 'PUT',
      body: bytes.slice(0, chunk),
      token: null,
    });
    expect(other.status).toBe(403);
    const done = new URL(upload.href);
    expect(
      (await call(done.pathname + done.search, { method: 'POST', json: { oid, parts: [] }, token: null }))
        .status,
    ).toBe(200);
    const replay = await call(partUrls[0]!.pathname + partUrls[0]!.search, {
      method: 'PUT',
      body: bytes.slice(0, chunk),
      token: null,
    });
    expect(replay.status).toBe(404);
    expect(replay.headers.get('X-Error-Code')).toBe('UPLOAD_UNKNOWN');
    expect((await commit(name, [header(), lfsFile('big.bin', { oid, size })])).status).toBe(200);
  });
});

describe('LFS batch download', () => {
  it('answers a download action the native blob route accepts (the hf_ prefix dropped)', async () => {
    const name = await newRepo();
    const f = await hubUpload(name, 'to fetch');
    const res = await hf(`/${name}.git/info/lfs/objects/batch`, {
      method: 'POST',
      json: { operation: 'download', objects: [f] },
    });
    expect(res.status).toBe(200);
    const [object] = (
      (await res.json()) as {
        objects: { actions: { download: { href: string; header: Record<string, string> } } }[];
      }
    ).objects;
    const { href, header: headers } = object!.actions.download;
    const got = await call(new URL(href).pathname, { headers, token: null });
    expect(await got.text()).toBe('to fetch');
  });

  it('a missing .git suffix or an unknown repo is 404 in the Hub shape', async () => {
    const name = await newRepo();
    const res = await hf(`/${name}/info/lfs/objects/batch`, {
      method: 'POST',
      json: { operation: 'upload', objects: [] },
    });
    expect(res.status).toBe(404);
    const unknown = await batch(`acme/nope-${Date.now()}`, []);
    expect(unknown.headers.get('X-Error-Code')).toBe('RepoNotFound');
  });
});

describe('namespace-limited tokens', () => {
  it('push and read their own namespace through /hf; other namespaces do not exist for them', async () => {
    const ns = `ns${Date.now().toString(36)}`;
    const token = `hf_${(await createToken(['write'], { namespaces: [ns] })).token}`;
    const name = uniqueName(ns, 'hfns');
    expect((await createHfRepo(name, 'model', token)).status).toBe(200);
    const bytes = new TextEncoder().encode(`only in ${ns}`);
    const f = { oid: (await digestOf(bytes)).slice(7), size: bytes.byteLength };
    const planned = await hf(`/${name}.git/info/lfs/objects/batch`, {
      method: 'POST',
      json: { operation: 'upload', objects: [f] },
      token,
    });
    const href = new URL(
      ((await planned.json()) as { objects: { actions: { upload: { href: string } } }[] }).objects[0]!.actions
        .upload.href,
    );
    expect(
      (await call(href.pathname + href.search, { method: 'PUT', body: bytes, token: null })).status,
    ).toBe(200);
    expect((await commit(name, [header(), lfsFile('f.txt', f)], { token })).status).toBe(200);
    expect(await (await hf(`/${name}/resolve/main/f.txt`, { token })).text()).toBe(`only in ${ns}`);
    const elsewhere = await hf(`/api/models/${await newRepo()}`, { token });
    expect(elsewhere.headers.get('X-Error-Code')).toBe('RepoNotFound');
  });
});
