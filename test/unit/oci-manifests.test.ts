/**
 * /v2 manifests, tags and referrers. Each test names the OCI conformance check it mirrors
 * (opencontainers/distribution-spec conformance/: 01_pull_test.go, 02_push_test.go "Manifest
 * Upload", 03_discovery_test.go, 04_management_test.go), then what Cairn adds: a manifest pushed
 * by tag is a Cairn version with the same tag history, and garbage collection keeps what OCI
 * manifests reference.
 */
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/services/gc';
import { call, digestOf, randomBytes, testDeps, testEnv } from '../helpers/http';
import { imageManifest, OCI_INDEX, OCI_MANIFEST, oci, ociCode, pushBlob, putManifest } from '../helpers/oci';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';
import { complete, PART, putPart, start } from '../helpers/uploads';

const DAY = 86_400_000;
const MODELPACK = 'application/vnd.cncf.model.manifest.v1+json';

describe('pushing and pulling manifests', () => {
  it('02_push "Manifest Upload": GET of a nonexistent manifest → 404; PUT by four tags → 201 with Location; GET by digest → the exact bytes', async () => {
    const repo = uniqueName();
    const m = await imageManifest(repo, [{ title: 'weights.safetensors' }]);
    const missing = await oci(`/v2/${repo}/manifests/nope`);
    expect(missing.status).toBe(404);
    for (let i = 0; i < 4; i++) {
      const res = await putManifest(repo, `test${i}`, m.bytes);
      expect(res.status).toBe(201);
      expect(res.headers.get('Location')).toBe(`/v2/${repo}/manifests/${m.digest}`);
      expect(res.headers.get('Docker-Content-Digest')).toBe(m.digest);
    }
    const got = await oci(`/v2/${repo}/manifests/${m.digest}`, { headers: { Accept: OCI_MANIFEST } });
    expect(got.status).toBe(200);
    expect(got.headers.get('Content-Type')).toBe(OCI_MANIFEST);
    expect(got.headers.get('Docker-Content-Digest')).toBe(m.digest);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(m.bytes);
    const byTag = await oci(`/v2/${repo}/manifests/test2`);
    expect(await digestOf(new Uint8Array(await byTag.arrayBuffer()))).toBe(m.digest);
  });

  it('01_pull "HEAD request to manifest": 200 with Content-Length and Docker-Content-Digest, no body; unknown → 404 MANIFEST_UNKNOWN', async () => {
    const repo = uniqueName();
    const m = await imageManifest(repo, [{}]);
    await putManifest(repo, 'latest', m.bytes);
    const head = await oci(`/v2/${repo}/manifests/latest`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('Content-Length')).toBe(String(m.bytes.length));
    expect(head.headers.get('Docker-Content-Digest')).toBe(m.digest);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const unknown = await oci(`/v2/${repo}/manifests/${await digestOf('nothing')}`);
    expect(unknown.status).toBe(404);
    expect(await ociCode(unknown)).toBe('MANIFEST_UNKNOWN');
  });

  it('a manifest pushed by tag becomes a Cairn version: layers are files by title (untitled: sha256-<hex>), kind from the artifact type, the tag with its history', async () => {
    const repo = uniqueName();
    const m = await imageManifest(
      repo,
      [{ title: 'model/weights.bin' }, { title: 'data/train.parquet' }, {}],
      {
        artifactType: MODELPACK,
      },
    );
    expect((await putManifest(repo, 'v1', m.bytes)).status).toBe(201);
    const res = await call(`/v1/artifacts/${repo}/versions/v1`);
    expect(res.status).toBe(200);
    const version = (await res.json()) as { digest: string; tags: string[] };
    const manifest = (await (await call(`/v1/manifests/${version.digest}`)).json()) as {
      kind: string;
      files: { path: string; digest: string; size: number }[];
    };
    expect(manifest.kind).toBe('model');
    const untitled = m.layers[2]!;
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      ['data/train.parquet', 'model/weights.bin', `sha256-${untitled.digest.slice(7)}`].sort(),
    );
    expect(version.tags).toContain('v1');
    const history = (await (await call(`/v1/artifacts/${repo}/tags/v1/history`)).json()) as {
      items: { from: string | null; to: string }[];
    };
    expect(history.items).toMatchObject([{ from: null, to: version.digest }]);
  });

  it("a dataset layer that is a Cairn dataset version's file becomes lineage (an input, role dataset); other bytes stay files", async () => {
    const dataset = uniqueName('acme', 'ds');
    const rows = new TextEncoder().encode(`a,b\n${Math.random()}\n`);
    const file = await storedFile('train.csv', rows);
    const ds = await publishOk(dataset, { kind: 'dataset', files: [file] });
    const repo = uniqueName();
    const m = await imageManifest(
      repo,
      [
        { title: 'model.bin' },
        { title: 'data/train.csv', bytes: rows, mediaType: 'application/vnd.kitops.modelkit.dataset.v1.tar' },
        { title: 'data/other.csv', mediaType: 'application/vnd.kitops.modelkit.dataset.v1.tar' },
      ],
      { artifactType: 'application/vnd.kitops.modelkit.manifest.v1+json' },
    );
    expect((await putManifest(repo, 'v1', m.bytes)).status).toBe(201);
    const version = (await (await call(`/v1/artifacts/${repo}/versions/v1`)).json()) as { digest: string };
    const manifest = (await (await call(`/v1/manifests/${version.digest}`)).json()) as {
      kind: string;
      inputs: { role: string; ref: string; digest: string }[];
      files: { path: string }[];
    };
    expect(manifest.kind).toBe('model');
    expect(manifest.inputs).toEqual([{ role: 'dataset', ref: `${dataset}@1`, digest: ds.digest }]);
    expect(manifest.files.map((f) => f.path).sort()).toEqual([
      'data/other.csv',
      'data/train.csv',
      'model.bin',
    ]);
  });

  it('a digest reference the bytes do not hash to → 400 DIGEST_INVALID, nothing recorded', async () => {
    const repo = uniqueName();
    const m = await imageManifest(repo, [{}]);
    const wrong = await digestOf('other');
    const res = await putManifest(repo, wrong, m.bytes);
    expect(res.status).toBe(400);
    expect(await ociCode(res)).toBe('DIGEST_INVALID');
    expect((await oci(`/v2/${repo}/manifests/${m.digest}`)).status).toBe(404);
  });

  it('bad manifests get the spec codes and leave nothing: bad JSON, wrong media type, a missing layer, a size lie, over 4 MiB', async () => {
    const repo = uniqueName();
    const good = await imageManifest(repo, [{}]);
    const absent = { mediaType: 'application/octet-stream', digest: await digestOf(randomBytes(9)), size: 9 };
    const cases: [string, Uint8Array, string, number, string][] = [
      ['bad JSON', new TextEncoder().encode('{"schemaVersion":2,'), OCI_MANIFEST, 400, 'MANIFEST_INVALID'],
      ['wrong media type', good.bytes, 'application/json', 400, 'MANIFEST_INVALID'],
      ['index bytes as a manifest', good.bytes, OCI_INDEX, 400, 'MANIFEST_INVALID'],
      [
        'a layer that does not exist',
        new TextEncoder().encode(JSON.stringify({ ...good.manifest, layers: [absent] })),
        OCI_MANIFEST,
        400,
        'MANIFEST_BLOB_UNKNOWN',
      ],
      [
        'a size lie',
        new TextEncoder().encode(
          JSON.stringify({
            ...good.manifest,
            layers: [{ ...good.layers[0]!, size: good.layers[0]!.size + 1 }],
          }),
        ),
        OCI_MANIFEST,
        400,
        'SIZE_INVALID',
      ],
      ['over 4 MiB', new Uint8Array(4 * 1024 * 1024 + 1).fill(32), OCI_MANIFEST, 413, 'SIZE_INVALID'],
    ];
    for (const [label, bytes, type, status, code] of cases) {
      const res = await putManifest(repo, 'latest', bytes, undefined, type);
      expect(res.status, label).toBe(status);
      expect(await ociCode(res), label).toBe(code);
      expect((await oci(`/v2/${repo}/manifests/${await digestOf(bytes)}`)).status, label).toBe(404);
    }
    expect((await oci(`/v2/${repo}/manifests/latest`)).status).toBe(404);
    expect((await call(`/v1/artifacts/${repo}`)).status).toBe(404);
  });

  it('an image index (and a Docker v2 schema 2 manifest) are stored and served as sent; an index of unknown manifests → MANIFEST_BLOB_UNKNOWN', async () => {
    const repo = uniqueName();
    const a = await imageManifest(repo, [{}]);
    const docker = await imageManifest(repo, [{}]);
    const dockerBytes = new TextEncoder().encode(
      JSON.stringify({
        ...docker.manifest,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { ...docker.manifest.config, mediaType: 'application/vnd.docker.container.image.v1+json' },
      }),
    );
    expect((await putManifest(repo, a.digest, a.bytes)).status).toBe(201);
    const dockerPut = await putManifest(
      repo,
      await digestOf(dockerBytes),
      dockerBytes,
      undefined,
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(dockerPut.status).toBe(201);
    const index = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: a.digest, size: a.bytes.length }],
      }),
    );
    expect((await putManifest(repo, 'multi', index, undefined, OCI_INDEX)).status).toBe(201);
    const got = await oci(`/v2/${repo}/manifests/multi`);
    expect(got.headers.get('Content-Type')).toBe(OCI_INDEX);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(index);
    const orphanIndex = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: await digestOf('none'), size: 4 }],
      }),
    );
    const refused = await putManifest(repo, 'broken', orphanIndex, undefined, OCI_INDEX);
    expect(await ociCode(refused)).toBe('MANIFEST_BLOB_UNKNOWN');
  });
});

describe('one store under every protocol', () => {
  it('a layer uploaded natively in parts (the way `cairn push` moves blobs above one request) is referenced by an OCI manifest and pulled over OCI', async () => {
    const repo = uniqueName();
    const big = randomBytes(PART + 12_345);
    const digest = await digestOf(big);
    const session = await start(digest, big.length);
    expect((await putPart(session.uploadId, 1, big.subarray(0, PART))).status).toBe(200);
    expect((await putPart(session.uploadId, 2, big.subarray(PART))).status).toBe(200);
    expect((await complete(session.uploadId)).status).toBe(201);
    const config = await pushBlob(repo, '{}');
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', ...config },
        layers: [
          {
            mediaType: 'application/vnd.cncf.model.weight.v1.raw',
            digest,
            size: big.length,
            annotations: { 'org.opencontainers.image.title': 'weights.bin' },
          },
        ],
      }),
    );
    expect((await putManifest(repo, 'v1', manifest)).status).toBe(201);
    const pulled = await oci(`/v2/${repo}/blobs/${digest}`);
    expect(new Uint8Array(await pulled.arrayBuffer())).toEqual(big);
    const file = await call(`/v1/artifacts/${repo}/versions/v1/files/weights.bin`);
    expect(file.status).toBe(200);
    expect((await file.arrayBuffer()).byteLength).toBe(big.length);
  });
});

describe('versions published without OCI', () => {
  it('are pulled by tag through a deterministic generated manifest (config: the Cairn manifest; layers: the files, titled), then also by its digest', async () => {
    const repo = uniqueName();
    const weights = await storedFile('model/weights.bin');
    const readme = await storedFile('README.md', 'hello');
    const published = await publishOk(repo, { kind: 'model', files: [weights, readme], tags: ['latest'] });
    const first = await oci(`/v2/${repo}/manifests/latest`);
    expect(first.status).toBe(200);
    const bytes = new Uint8Array(await first.arrayBuffer());
    const digest = first.headers.get('Docker-Content-Digest')!;
    expect(await digestOf(bytes)).toBe(digest);
    const m = JSON.parse(new TextDecoder().decode(bytes)) as {
      config: { mediaType: string; digest: string };
      layers: { digest: string; annotations: Record<string, string> }[];
    };
    expect(m.config).toMatchObject({
      mediaType: 'application/vnd.cairn.manifest.v1+json',
      digest: published.digest,
    });
    expect(m.layers.map((l) => [l.annotations['org.opencontainers.image.title'], l.digest])).toEqual([
      ['README.md', readme.digest],
      ['model/weights.bin', weights.digest],
    ]);
    const again = await oci(`/v2/${repo}/manifests/latest`);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(bytes);
    // /v1 tells where OCI clients pull it; an untagged version too, by its number (pull only).
    const detail = (await (await call(`/v1/artifacts/${repo}/versions/${published.version}`)).json()) as {
      ociReference: string;
    };
    expect(detail.ociReference).toBe(`cairn.test/${repo}:${published.version}`);
    const byNumber = await oci(`/v2/${repo}/manifests/${published.version}`);
    expect(new Uint8Array(await byNumber.arrayBuffer())).toEqual(bytes);
    expect((await oci(`/v2/${repo}/manifests/99`)).status).toBe(404);
    expect(await ociCode(await oci(`/v2/${repo}/manifests/007`))).toBe('MANIFEST_INVALID');
    const push = await putManifest(repo, '2', bytes);
    expect(push.status).toBe(400);
    expect(await ociCode(push)).toBe('MANIFEST_INVALID');
    expect((await oci(`/v2/${repo}/manifests/${digest}`)).status).toBe(200);
    const config = await oci(`/v2/${repo}/blobs/${published.digest}`);
    expect(config.status).toBe(200);
    expect(((await config.json()) as { artifact: string }).artifact).toBe(repo);
  });
});

describe('content discovery', () => {
  it('03_discovery "tags list": sorted, with n and last pagination and a Link to the next page; an unknown repository → 404 NAME_UNKNOWN', async () => {
    const repo = uniqueName();
    const m = await imageManifest(repo, [{}]);
    for (const tag of ['c', 'a', 'd', 'b']) expect((await putManifest(repo, tag, m.bytes)).status).toBe(201);
    const all = await oci(`/v2/${repo}/tags/list`);
    expect(await all.json()).toEqual({ name: repo, tags: ['a', 'b', 'c', 'd'] });
    const first = await oci(`/v2/${repo}/tags/list?n=2`);
    expect(((await first.json()) as { tags: string[] }).tags).toEqual(['a', 'b']);
    expect(first.headers.get('Link')).toBe(`</v2/${repo}/tags/list?n=2&last=b>; rel="next"`);
    const next = await oci(`/v2/${repo}/tags/list?n=2&last=b`);
    expect(((await next.json()) as { tags: string[] }).tags).toEqual(['c', 'd']);
    // A tag deleted over /v1 is gone over OCI too.
    expect((await call(`/v1/artifacts/${repo}/tags/d`, { method: 'DELETE' })).status).toBe(204);
    expect(((await (await oci(`/v2/${repo}/tags/list`)).json()) as { tags: string[] }).tags).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect((await oci(`/v2/${repo}/manifests/d`)).status).toBe(404);
    const unknown = await oci(`/v2/${uniqueName()}/tags/list`);
    expect(unknown.status).toBe(404);
    expect(await ociCode(unknown)).toBe('NAME_UNKNOWN');
  });

  it('03_discovery "referrers": a manifest with a subject answers OCI-Subject; the referrers index lists it, filtered by artifactType', async () => {
    const repo = uniqueName();
    const subject = await imageManifest(repo, [{}]);
    await putManifest(repo, 'model', subject.bytes);
    const descriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.bytes.length };
    const sbom = await imageManifest(repo, [{}], {
      artifactType: 'application/spdx+json',
      subject: descriptor,
      annotations: { 'org.example': 'sbom' },
    });
    const sig = await imageManifest(repo, [{}], {
      artifactType: 'application/vnd.dev.sigstore',
      subject: descriptor,
    });
    const put = await putManifest(repo, sbom.digest, sbom.bytes);
    expect(put.status).toBe(201);
    expect(put.headers.get('OCI-Subject')).toBe(subject.digest);
    expect((await putManifest(repo, sig.digest, sig.bytes)).status).toBe(201);
    const all = await oci(`/v2/${repo}/referrers/${subject.digest}`);
    expect(all.headers.get('Content-Type')).toBe(OCI_INDEX);
    const index = (await all.json()) as {
      manifests: { digest: string; artifactType: string; annotations?: object }[];
    };
    expect(index.manifests.map((d) => d.digest).sort()).toEqual([sbom.digest, sig.digest].sort());
    expect(index.manifests.find((d) => d.digest === sbom.digest)?.annotations).toEqual({
      'org.example': 'sbom',
    });
    const filtered = await oci(
      `/v2/${repo}/referrers/${subject.digest}?artifactType=application/spdx%2Bjson`,
    );
    expect(filtered.headers.get('OCI-Filters-Applied')).toBe('artifactType');
    expect(
      ((await filtered.json()) as { manifests: { digest: string }[] }).manifests.map((d) => d.digest),
    ).toEqual([sbom.digest]);
    const none = await oci(`/v2/${repo}/referrers/${await digestOf('no subject')}`);
    expect(none.status).toBe(200);
    expect(((await none.json()) as { manifests: unknown[] }).manifests).toEqual([]);
  });
});

describe('content management', () => {
  it('04_management "DELETE tag" → 202, the tag is gone (a history event); "DELETE manifest by digest" → 202 then 404, the Cairn version stays', async () => {
    const repo = uniqueName();
    const m = await imageManifest(repo, [{ title: 'w.bin' }]);
    await putManifest(repo, 'keep', m.bytes);
    await putManifest(repo, 'drop', m.bytes);
    expect((await oci(`/v2/${repo}/manifests/drop`, { method: 'DELETE' })).status).toBe(202);
    expect((await oci(`/v2/${repo}/manifests/drop`)).status).toBe(404);
    expect((await oci(`/v2/${repo}/manifests/drop`, { method: 'DELETE' })).status).toBe(404);
    const history = (await (await call(`/v1/artifacts/${repo}/tags/drop/history`)).json()) as {
      items: { to: string | null }[];
    };
    expect(history.items[0]?.to).toBeNull();

    expect((await oci(`/v2/${repo}/manifests/${m.digest}`, { method: 'DELETE' })).status).toBe(202);
    expect((await oci(`/v2/${repo}/manifests/${m.digest}`)).status).toBe(404);
    expect((await oci(`/v2/${repo}/manifests/keep`)).status).toBe(404);
    expect(((await (await oci(`/v2/${repo}/tags/list`)).json()) as { tags: string[] }).tags).toEqual([]);
    // The version is immutable: still there over /v1, and a re-push restores the OCI view.
    expect((await call(`/v1/artifacts/${repo}/versions/1`)).status).toBe(200);
    expect((await putManifest(repo, 'keep', m.bytes)).status).toBe(201);
    expect((await oci(`/v2/${repo}/manifests/${m.digest}`)).status).toBe(200);
  });

  it('garbage collection keeps what an OCI manifest references (config, untitled layers, the manifest itself), even past the grace period', async () => {
    const repo = uniqueName();
    const m = await imageManifest(repo, [{}]);
    await putManifest(repo, m.digest, m.bytes); // by digest: no version, only the OCI record keeps them
    const loose = await pushBlob(repo, randomBytes(33));
    const kept = [m.manifest.config.digest, m.layers[0]!.digest, m.digest];
    await testEnv.DB.prepare(
      'UPDATE blobs SET created_at = ?1 WHERE digest IN (SELECT value FROM json_each(?2))',
    )
      .bind(Date.now() - 60 * DAY, JSON.stringify([...kept, loose.digest]))
      .run();
    const report = await collectGarbage(testDeps(), { dryRun: true, graceMs: 30 * DAY, orphanPages: 0 });
    expect(report.blobs.sample).toContain(loose.digest);
    for (const digest of kept) expect(report.blobs.sample).not.toContain(digest);
  });
});

describe('the OCI empty blob', () => {
  it('is served by its digest unstored, so a manifest may reference it without uploading it (as clients do after a HEAD)', async () => {
    const repo = uniqueName();
    const empty = await digestOf('{}');
    expect((await oci(`/v2/${repo}/blobs/${empty}`, { method: 'HEAD' })).status).toBe(200);
    const layer = await pushBlob(repo, randomBytes(100));
    const bytes = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [{ mediaType: 'application/octet-stream', ...layer }],
      }),
    );
    const put = await putManifest(repo, await digestOf(bytes), bytes);
    expect(put.status).toBe(201);
    expect(await (await oci(`/v1/blobs/${empty}`)).text()).toBe('{}');
    // A size lie about it is still a lie.
    const lie = new TextEncoder().encode(new TextDecoder().decode(bytes).replace('"size":2', '"size":3'));
    expect(await ociCode(await putManifest(repo, await digestOf(lie), lie))).toBe('SIZE_INVALID');
  });
});

describe('a manifest body without Content-Length', () => {
  it('an ENDLESS chunked manifest body → 413 SIZE_INVALID: counted while it streams, never buffered whole; nothing stored', async () => {
    const repo = uniqueName();
    let pulled = 0;
    const piece = new Uint8Array(64 * 1024).fill(32);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += piece.byteLength;
        controller.enqueue(piece.slice());
      },
    });
    const res = await oci(`/v2/${repo}/manifests/v1`, {
      method: 'PUT',
      body: endless,
      headers: { 'Content-Type': OCI_MANIFEST },
    });
    expect(res.status).toBe(413);
    expect(await ociCode(res)).toBe('SIZE_INVALID');
    // Refused just past the limit (a few pieces of read-ahead), not after some larger buffer.
    expect(pulled).toBeLessThan(4 * 1024 * 1024 + 1024 * 1024);
    expect((await oci(`/v2/${repo}/manifests/v1`)).status).toBe(404);
    expect((await oci(`/v2/${repo}/tags/list`)).status).toBe(404);
  });
});
