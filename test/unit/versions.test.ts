import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { call, createToken, digestOf, errorCode, putBlob, randomBytes, testEnv } from '../helpers/http';
import { publish, publishOk, storedFile, uniqueName } from '../helpers/registry';

async function countRows(table: string, where = '1', ...binds: unknown[]) {
  const row = await testEnv.DB.prepare(`select count(*) as n from ${table} where ${where}`)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('POST /v1/artifacts/:ns/:name/versions', () => {
  it('publishes a version: 201 with number, digest and a manifest URL whose bytes hash to the digest', async () => {
    const name = uniqueName();
    const file = await storedFile('data/train.csv', 'a,b\n1,2\n');
    const res = await publish(name, { kind: 'dataset', files: [file] });
    expect(res.status).toBe(201);
    const body = await json<{ artifact: string; version: number; digest: string; manifestUrl: string }>(res);
    expect(body).toMatchObject({ artifact: name, version: 1 });
    expect(body.manifestUrl).toBe(`http://cairn.test/v1/manifests/${body.digest}`);

    const manifest = await call(`/v1/manifests/${body.digest}`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('content-type')).toBe('application/vnd.cairn.manifest.v1+json');
    expect(manifest.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(manifest.headers.get('etag')).toBe(`"${body.digest}"`);
    const bytes = new Uint8Array(await manifest.arrayBuffer());
    expect(await digestOf(bytes)).toBe(body.digest);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({
      schema: 'cairn.manifest/v1',
      artifact: name,
      kind: 'dataset',
      files: [file],
      inputs: [],
    });
  });

  it('the manifest is canonical: same content in any order → same digest; re-post → 200, no new number', async () => {
    const name = uniqueName();
    const a = await storedFile('b.txt');
    const b = await storedFile('a.txt');
    const first = await publishOk(name, { files: [a, b], params: { z: 1, a: { y: 2, x: 1 } } });
    const again = await publish(name, { params: { a: { x: 1, y: 2 }, z: 1 }, files: [b, a] });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(first);
    const text = await (await call(`/v1/manifests/${first.digest}`)).text();
    expect(text).toBe(
      `{"artifact":"${name}","files":[{"digest":"${b.digest}","path":"a.txt","size":${b.size}},{"digest":"${a.digest}","path":"b.txt","size":${a.size}}],"inputs":[],"kind":"other","params":{"a":{"x":1,"y":2},"z":1},"schema":"cairn.manifest/v1"}`,
    );
    expect(await countRows('versions', 'digest = ?', first.digest)).toBe(1);
  });

  it('numbers versions per artifact, 1, 2, 3…; metrics and labels are annotations, not content', async () => {
    const name = uniqueName();
    const f = await storedFile('m.pkl');
    const v1 = await publishOk(name, { files: [f], metrics: { auc: 0.8 } });
    const again = await publish(name, { files: [f], metrics: { auc: 0.9 }, labels: { team: 'x' } });
    expect(again.status).toBe(200);
    const v2 = await publishOk(name, { files: [f, await storedFile('n.pkl')] });
    const v3 = await publishOk(name, { files: [await storedFile('o.pkl')] });
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
  });

  it('missing blobs → 422 BLOB_UNKNOWN listing them; nothing is written', async () => {
    const name = uniqueName();
    const stored = await storedFile('ok.bin');
    const missing = await digestOf(randomBytes(16));
    const lockMissing = await digestOf(randomBytes(16));
    const res = await publish(name, {
      files: [stored, { path: 'gone.bin', digest: missing, size: 16 }],
      environment: { lockfiles: [{ path: 'requirements.txt', digest: lockMissing }] },
      tags: ['latest'],
    });
    expect(res.status).toBe(422);
    const body = await json<{ error: { code: string; details: { missing: string[] } } }>(res);
    expect(body.error.code).toBe('BLOB_UNKNOWN');
    expect(body.error.details.missing.sort()).toEqual([missing, lockMissing].sort());
    expect(await countRows('artifacts', 'name = ?', name)).toBe(0);
  });

  it('a size that disagrees with the stored blob → 422 SIZE_MISMATCH', async () => {
    const f = await storedFile('x.bin', randomBytes(10));
    const res = await publish(uniqueName(), { files: [{ ...f, size: 11 }] });
    expect(res.status).toBe(422);
    const body = await json<{ error: { code: string; details: unknown } }>(res);
    expect(body.error.code).toBe('SIZE_MISMATCH');
    expect(body.error.details).toEqual({ files: [{ path: 'x.bin', declared: 11, stored: 10 }] });
  });

  it('input refs resolve to digests at publish time; unknown refs → 422 REF_UNKNOWN', async () => {
    const data = uniqueName('acme', 'data');
    const d1 = await publishOk(data, {
      kind: 'dataset',
      files: [await storedFile('t.csv')],
      tags: ['latest'],
    });
    const model = uniqueName('acme', 'model');
    const m = await publishOk(model, {
      kind: 'model',
      files: [await storedFile('m.pkl')],
      inputs: [{ ref: `${data}:latest`, role: 'training' }],
    });
    const manifest = await json<{ inputs: unknown[] }>(await call(`/v1/manifests/${m.digest}`));
    expect(manifest.inputs).toEqual([{ role: 'training', ref: `${data}:latest`, digest: d1.digest }]);
    expect(await countRows('lineage_edges', 'ref = ?', `${data}:latest`)).toBe(1);

    for (const ref of [`${data}:nope`, `${data}@7`, `${data}@sha256:${'0'.repeat(64)}`, 'acme/none:latest']) {
      const res = await publish(model, { kind: 'model', files: [], inputs: [{ ref }] });
      expect(res.status, ref).toBe(422);
      const body = await json<{ error: { code: string; details: { refs: string[] } } }>(res);
      expect(body.error.code).toBe('REF_UNKNOWN');
      expect(body.error.details.refs).toEqual([ref]);
    }
  });

  it('refuses bad paths with 400 PATH_INVALID: traversal, absolute, empty segments, control characters, duplicates', async () => {
    const f = await storedFile('ok');
    const bad = [
      '../x',
      'a/../b',
      '/abs',
      'a//b',
      'a/',
      './a',
      'a\\b',
      'nul\u0000byte',
      'new\nline',
      'e\u0301',
      '',
    ];
    for (const path of bad) {
      const res = await publish(uniqueName(), { files: [{ ...f, path }] });
      expect(res.status, JSON.stringify(path)).toBe(400);
      expect(await errorCode(res), JSON.stringify(path)).toBe('PATH_INVALID');
    }
    const dup = await publish(uniqueName(), { files: [f, { ...f }] });
    expect(await errorCode(dup)).toBe('PATH_INVALID');
    const unicode = await publish(uniqueName(), { files: [{ ...f, path: 'données/é.csv' }] });
    expect(unicode.status).toBe(201);
  });

  it('refuses malformed bodies with the right code', async () => {
    const f = await storedFile('ok');
    const cases: [unknown, string][] = [
      [{}, 'BAD_REQUEST'],
      [{ files: 'x' }, 'BAD_REQUEST'],
      [{ files: [{ ...f, digest: 'sha256:xyz' }] }, 'DIGEST_INVALID'],
      [{ files: [{ ...f, size: -1 }] }, 'BAD_REQUEST'],
      [{ files: [f], kind: 'weights' }, 'BAD_REQUEST'],
      [{ files: [f], inputs: [{ ref: 'no-slash:latest' }] }, 'REF_INVALID'],
      [{ files: [f], inputs: [{ ref: 'acme/x' }] }, 'REF_INVALID'],
      [{ files: [f], inputs: [{ ref: 'acme/x@0' }] }, 'REF_INVALID'],
      [{ files: [f], tags: ['bad tag'] }, 'TAG_INVALID'],
      [{ files: [f], code: { commit: 'abc' } }, 'BAD_REQUEST'],
      [{ files: [f], code: { commit: 'a'.repeat(40), extra: 1 } }, 'BAD_REQUEST'],
      [{ files: [f], metrics: { auc: 'high' } }, 'BAD_REQUEST'],
    ];
    for (const [body, code] of cases) {
      const res = await publish(uniqueName(), body as Record<string, unknown>);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await errorCode(res), JSON.stringify(body)).toBe(code);
    }
    const badName = await call(`/v1/artifacts/Acme/x/versions`, { method: 'POST', json: { files: [] } });
    expect(await errorCode(badName)).toBe('NAME_INVALID');
  });

  it('publishes a 100,000-file dataset (the documented maximum) and serves any file of it', async () => {
    const blobs = await Promise.all(Array.from({ length: 50 }, (_, i) => storedFile(`b${i}`)));
    const files = Array.from({ length: 100_000 }, (_, i) => {
      const b = blobs[i % blobs.length]!;
      return {
        path: `shard-${String(i % 100).padStart(3, '0')}/row-${i}.parquet`,
        digest: b.digest,
        size: b.size,
      };
    });
    const name = uniqueName();
    const res = await publish(name, { kind: 'dataset', files });
    expect(res.status).toBe(201);
    const { digest } = (await res.json()) as { digest: string };
    expect(
      await countRows('version_files', 'version_id = (select id from versions where digest = ?)', digest),
    ).toBe(100_000);
    const file = await call(`/v1/artifacts/${name}/versions/1/files/shard-042/row-99942.parquet`);
    expect(file.status).toBe(200);
    expect(file.headers.get('etag')).toBe(`"${blobs[99_942 % 50]!.digest}"`);
    const tooMany = await publish(uniqueName(), { files: [...files, { ...files[0]!, path: 'one-more' }] });
    expect(tooMany.status).toBe(400);
  });

  it('an artifact keeps the kind of its first version (409 KIND_CONFLICT)', async () => {
    const name = uniqueName();
    await publishOk(name, { kind: 'dataset', files: [await storedFile('a')] });
    const res = await publish(name, { kind: 'model', files: [await storedFile('b')] });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('KIND_CONFLICT');
  });

  it('a failing batch leaves no version, file, edge, tag, event or metrics behind; a retry succeeds', async () => {
    const data = uniqueName('acme', 'data');
    const input = await publishOk(data, { kind: 'dataset', files: [await storedFile('t.csv')] });
    const name = uniqueName();
    const f = await storedFile('a');
    const { id, token } = await createToken(['write']);
    const actor = `t-write (${id})`;
    // A D1 whose batch carries one extra, failing statement: D1 must roll the whole batch back.
    const failingDb = new Proxy(testEnv.DB, {
      get(target, prop) {
        if (prop === 'batch') {
          return (statements: D1PreparedStatement[]) =>
            target.batch([...statements, target.prepare('INSERT INTO no_such_table VALUES (1)')]);
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const body = JSON.stringify({
      files: [f],
      inputs: [{ ref: `${data}@1`, role: 'training' }],
      tags: ['latest'],
      metrics: { a: 1 },
    });
    const init = () => ({
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body,
    });
    const res = await createApp().request(`/v1/artifacts/${name}/versions`, init(), {
      ...testEnv,
      DB: failingDb,
    });
    expect(res.status).toBe(500);
    expect(await countRows('artifacts', 'name = ?', name)).toBe(0);
    expect(await countRows('versions', 'created_by = ?', actor)).toBe(0);
    expect(await countRows('tag_events', 'by = ?', actor)).toBe(0);
    expect(await countRows('version_metrics', 'by = ?', actor)).toBe(0);
    expect(
      await countRows('lineage_edges', 'input_id = (select id from versions where digest = ?)', input.digest),
    ).toBe(0);

    const retry = await createApp().request(`/v1/artifacts/${name}/versions`, init(), testEnv);
    expect(retry.status).toBe(201);
    expect(await countRows('versions', 'created_by = ?', actor)).toBe(1);
    expect(await countRows('tag_events', 'by = ?', actor)).toBe(1);
    expect(
      await countRows('lineage_edges', 'input_id = (select id from versions where digest = ?)', input.digest),
    ).toBe(1);
  });

  it('needs write; a namespace-limited token cannot publish elsewhere', async () => {
    const f = await storedFile('a');
    expect((await publish(uniqueName(), { files: [f] }, '')).status).toBe(401);
    const { token: reader } = await createToken(['read']);
    expect((await publish(uniqueName(), { files: [f] }, reader)).status).toBe(403);
    const { token: acmeOnly } = await createToken(['write'], { namespaces: ['acme'] });
    // It may only reference bytes it uploaded itself or its namespace already uses (namespaces.test.ts).
    const bytes = randomBytes(64);
    const mine = { path: 'mine.bin', digest: (await putBlob(bytes, acmeOnly)).digest, size: bytes.length };
    expect((await publish(uniqueName('acme'), { files: [mine] }, acmeOnly)).status).toBe(201);
    const other = await publish(uniqueName('globex'), { files: [mine] }, acmeOnly);
    expect(other.status).toBe(403);
    expect(await errorCode(other)).toBe('DENIED');
  });
});

describe('Idempotency-Key on publish', () => {
  it('a retry with the same key replays the first response byte for byte', async () => {
    const name = uniqueName();
    const f = await storedFile('a');
    const headers = { 'Idempotency-Key': `key-${Math.random()}` };
    const first = await publish(name, { files: [f] }, undefined, headers);
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const retry = await publish(name, { files: [f] }, undefined, headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(firstBody);
  });

  it('the same key with a different request → 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const name = uniqueName();
    const headers = { 'Idempotency-Key': `key-${Math.random()}` };
    await publish(name, { files: [await storedFile('a')] }, undefined, headers);
    const res = await publish(name, { files: [await storedFile('b')] }, undefined, headers);
    expect(res.status).toBe(422);
    expect(await errorCode(res)).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('reading versions', () => {
  async function seed() {
    const name = uniqueName();
    const csv = await storedFile('data/train.csv', 'x,y\n1,2\n');
    const v1 = await publishOk(name, {
      kind: 'dataset',
      files: [csv],
      metrics: { rows: 1 },
      labels: { team: 'risk' },
      tags: ['latest'],
    });
    const v2 = await publishOk(name, {
      kind: 'dataset',
      files: [csv, await storedFile('data/extra.csv')],
      tags: ['latest'],
    });
    return { name, csv, v1, v2 };
  }

  it('one version by number, tag or digest, with manifest, tags, metrics and labels', async () => {
    const { name, v1, v2 } = await seed();
    for (const sel of ['1', v1.digest]) {
      const res = await call(`/v1/artifacts/${name}/versions/${sel}`);
      expect(res.status, sel).toBe(200);
      const body = await json(res);
      expect(body).toMatchObject({
        artifact: name,
        version: 1,
        digest: v1.digest,
        tags: [],
        metrics: { rows: 1 },
        labels: { team: 'risk' },
        createdBy: 'admin',
        fileCount: 1,
        manifest: { schema: 'cairn.manifest/v1', artifact: name },
      });
    }
    const latest = await json(await call(`/v1/artifacts/${name}/versions/latest`));
    expect(latest).toMatchObject({ version: 2, digest: v2.digest, tags: ['latest'] });
    expect(await errorCode(await call(`/v1/artifacts/${name}/versions/9`))).toBe('VERSION_UNKNOWN');
    expect(await errorCode(await call(`/v1/artifacts/${name}/versions/nope`))).toBe('TAG_UNKNOWN');
    expect(await errorCode(await call(`/v1/artifacts/${name}/versions/sha256:xx`))).toBe('DIGEST_INVALID');
    expect(await errorCode(await call(`/v1/artifacts/acme/none-such/versions/1`))).toBe('ARTIFACT_UNKNOWN');
  });

  it('versions list newest first with cursor pagination', async () => {
    const name = uniqueName();
    for (let i = 0; i < 5; i++) await publishOk(name, { files: [await storedFile(`f${i}`)] });
    const page1 = await json<{ items: { version: number }[]; nextCursor: string }>(
      await call(`/v1/artifacts/${name}/versions?limit=2`),
    );
    expect(page1.items.map((v) => v.version)).toEqual([5, 4]);
    const page2 = await json<{ items: { version: number }[]; nextCursor: string }>(
      await call(`/v1/artifacts/${name}/versions?limit=2&cursor=${page1.nextCursor}`),
    );
    expect(page2.items.map((v) => v.version)).toEqual([3, 2]);
    const page3 = await json<{ items: { version: number }[]; nextCursor: string | null }>(
      await call(`/v1/artifacts/${name}/versions?limit=2&cursor=${page2.nextCursor}`),
    );
    expect(page3.items.map((v) => v.version)).toEqual([1]);
    expect(page3.nextCursor).toBeNull();
  });

  it('a file by path streams its bytes, with Range; unknown paths → 404', async () => {
    const { name, csv } = await seed();
    const res = await call(`/v1/artifacts/${name}/versions/1/files/data/train.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${csv.digest}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('x,y\n1,2\n');
    const byTag = await call(`/v1/artifacts/${name}/versions/latest/files/data/train.csv`, {
      headers: { Range: 'bytes=0-2' },
    });
    expect(byTag.status).toBe(206);
    expect(byTag.headers.get('cache-control')).toBe('no-cache');
    expect(await byTag.text()).toBe('x,y');
    expect((await call(`/v1/artifacts/${name}/versions/1/files/data/extra.csv`)).status).toBe(404);
    // URL parsing already folds `..`: a traversal cannot leave the version's files.
    expect((await call(`/v1/artifacts/${name}/versions/1/files/data/%2e%2e/%2e%2e/x`)).status).toBe(404);
    expect(await errorCode(await call(`/v1/artifacts/${name}/versions/1/files/data/%00x`))).toBe(
      'PATH_INVALID',
    );
    expect(await errorCode(await call(`/v1/artifacts/${name}/versions/1/files/data/%E0%A4%A`))).toBe(
      'PATH_INVALID',
    );
  });

  it('metrics annotations append with history; the version shows the merge', async () => {
    const { name } = await seed();
    const res = await call(`/v1/artifacts/${name}/versions/1/metrics`, {
      method: 'POST',
      json: { metrics: { rows: 2, auc: 0.7 } },
    });
    expect(res.status).toBe(201);
    const detail = await json<{ metrics: unknown; metricsHistory: unknown[] }>(
      await call(`/v1/artifacts/${name}/versions/1`),
    );
    expect(detail.metrics).toEqual({ rows: 2, auc: 0.7 });
    expect(detail.metricsHistory).toHaveLength(2);
    const empty = await call(`/v1/artifacts/${name}/versions/1/metrics`, {
      method: 'POST',
      json: { metrics: {} },
    });
    expect(empty.status).toBe(400);
  });

  it('artifact detail and the artifacts list by prefix', async () => {
    const { name, v2 } = await seed();
    const detail = await json(await call(`/v1/artifacts/${name}`));
    expect(detail).toMatchObject({
      name,
      kind: 'dataset',
      tags: { latest: v2.digest },
      latestVersion: { version: 2, digest: v2.digest },
    });
    const list = await json<{ items: { name: string; latestVersion: number }[] }>(
      await call(`/v1/artifacts?prefix=${encodeURIComponent(name)}`),
    );
    expect(list.items).toEqual([expect.objectContaining({ name, kind: 'dataset', latestVersion: 2 })]);
    expect(await errorCode(await call('/v1/artifacts?prefix=UPPER'))).toBe('BAD_REQUEST');
  });
});

describe('GET /v1/resolve/:ref', () => {
  it('resolves tag, number and digest refs with the right caching', async () => {
    const name = uniqueName();
    const v1 = await publishOk(name, { files: [await storedFile('a')], tags: ['latest'] });
    const byTag = await call(`/v1/resolve/${name}:latest`);
    expect(byTag.status).toBe(200);
    expect(await byTag.json()).toEqual({
      ref: `${name}:latest`,
      artifact: name,
      version: 1,
      digest: v1.digest,
      manifestUrl: v1.manifestUrl,
    });
    expect(byTag.headers.get('cache-control')).toBe('no-cache');
    expect(byTag.headers.get('etag')).toBe(`"${v1.digest}"`);
    for (const ref of [`${name}@1`, `${name}@${v1.digest}`]) {
      const res = await call(`/v1/resolve/${ref}`);
      expect(res.status, ref).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
  });

  it('with the manifest media type in Accept → 302 to the manifest', async () => {
    const name = uniqueName();
    const v1 = await publishOk(name, { files: [await storedFile('a')], tags: ['latest'] });
    const res = await call(`/v1/resolve/${name}:latest`, {
      headers: { Accept: 'application/vnd.cairn.manifest.v1+json' },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(v1.manifestUrl);
  });

  it('unknown and malformed refs', async () => {
    const name = uniqueName();
    await publishOk(name, { files: [await storedFile('a')] });
    expect(await errorCode(await call(`/v1/resolve/${name}:latest`))).toBe('TAG_UNKNOWN');
    expect(await errorCode(await call(`/v1/resolve/${name}@2`))).toBe('VERSION_UNKNOWN');
    for (const bad of ['nope', `${name}`, `${name}@x`, 'A/b:c', `${name}:bad%20tag`]) {
      const res = await call(`/v1/resolve/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await errorCode(res)).toBe('REF_INVALID');
    }
  });

  it('a namespace-limited token cannot see other namespaces (same answer as a missing name)', async () => {
    const name = uniqueName('globex');
    await publishOk(name, { files: [await storedFile('a')], tags: ['latest'] });
    const { token } = await createToken(['read'], { namespaces: ['acme'] });
    expect(await errorCode(await call(`/v1/resolve/${name}:latest`, { token }))).toBe('TAG_UNKNOWN');
    expect(await errorCode(await call(`/v1/artifacts/${name}`, { token }))).toBe('ARTIFACT_UNKNOWN');
    const list = await json<{ items: { name: string }[] }>(
      await call('/v1/artifacts?prefix=globex/', { token }),
    );
    expect(list.items).toEqual([]);
  });
});

describe('request bodies', () => {
  it('a JSON body without Content-Type: application/json → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await call(`/v1/artifacts/${uniqueName()}/versions`, {
      method: 'POST',
      body: JSON.stringify({ files: [] }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(await errorCode(res)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('all-digit tags cannot be set: they would read as version numbers', async () => {
    const name = uniqueName();
    const res = await publish(name, { files: [await storedFile('a')], tags: ['2'] });
    expect(await errorCode(res)).toBe('TAG_INVALID');
    const v = await publishOk(name, { files: [await storedFile('a')] });
    const put = await call(`/v1/artifacts/${name}/tags/1`, { method: 'PUT', json: { digest: v.digest } });
    expect(await errorCode(put)).toBe('TAG_INVALID');
  });
});

describe('GET /v1/manifests/:digest from the Worker cache', () => {
  it('serves identical bytes on repeated reads, and still hides other namespaces from limited tokens', async () => {
    const name = uniqueName('globex');
    const v = await publishOk(name, { files: [await storedFile('a')] });
    const first = await call(`/v1/manifests/${v.digest}`);
    const bytes = await first.text();
    for (let i = 0; i < 3; i++) {
      const again = await call(`/v1/manifests/${v.digest}`);
      expect(again.status).toBe(200);
      expect(again.headers.get('x-cairn-namespace')).toBeNull();
      expect(again.headers.get('content-type')).toBe('application/vnd.cairn.manifest.v1+json');
      expect(again.headers.get('etag')).toBe(`"${v.digest}"`);
      expect(await again.text()).toBe(bytes);
    }
    const { token } = await createToken(['read'], { namespaces: ['acme'] });
    const hidden = await call(`/v1/manifests/${v.digest}`, { token });
    expect(hidden.status).toBe(404);
    expect(await errorCode(hidden)).toBe('VERSION_UNKNOWN');
    const { token: globex } = await createToken(['read'], { namespaces: ['globex'] });
    expect(await (await call(`/v1/manifests/${v.digest}`, { token: globex })).text()).toBe(bytes);
  });

  it('a blob that is not a manifest is not served as one', async () => {
    const f = await storedFile('plain.bin');
    expect(await errorCode(await call(`/v1/manifests/${f.digest}`))).toBe('VERSION_UNKNOWN');
  });
});
