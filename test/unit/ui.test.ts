/**
 * The web UI's pages, rendered by the real app over real D1 and R2: the artifact list (search,
 * pages), an artifact (versions, tags, tag history), a version (manifest, files, metrics, the
 * lineage graph as SVG), a diff and a tag's explain page, errors as pages, the stylesheet, file
 * downloads, and paging through a 1,000-version artifact.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/contract/grammar';
import { buildManifest, encodeManifest } from '../../src/services/manifest';
import { blobKey } from '../../src/storage/r2-blob-store';
import { CSS_URL } from '../../src/ui/styles';
import { call, testEnv } from '../helpers/http';
import { type Published, publishOk, storedFile, uniqueName } from '../helpers/registry';

const html = async (path: string, status = 200) => {
  const res = await call(path);
  const body = await res.text();
  expect(res.status, `${path}: ${body.slice(0, 400)}`).toBe(status);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  return body;
};

const unescapeHref = (href: string) => href.replace(/&amp;/g, '&');
const nextLink = (body: string, label = 'version pages') => {
  const nav = new RegExp(`<nav class="pager" aria-label="${label}">(.*?)</nav>`).exec(body)?.[1] ?? '';
  const href = /<a href="([^"]+)" rel="next">/.exec(nav)?.[1];
  return href ? unescapeHref(href) : undefined;
};
const versionNumbersIn = (body: string) =>
  [...body.matchAll(/<td class="num"><a href="[^"]*\/versions\/(\d+)">v\d+<\/a><\/td>/g)].map((m) =>
    Number(m[1]),
  );

async function moveTag(name: string, tag: string, digest: string, reason: string) {
  const res = await call(`/v1/artifacts/${name}/tags/${tag}`, { method: 'PUT', json: { digest, reason } });
  expect(res.status).toBe(200);
}

describe('UI pages over a dataset and the model trained on it', () => {
  const data = uniqueName('uidemo', 'data');
  const model = uniqueName('uidemo', 'model');
  const versions: Published[] = [];
  let csv2 = '';

  beforeAll(async () => {
    const csv1 = await storedFile('train.csv', 'a,b\n1,2\n');
    const csv2File = await storedFile('train.csv', 'a,b\n1,2\n3,4\n');
    csv2 = csv2File.digest;
    await publishOk(data, { kind: 'dataset', files: [csv1] });
    await publishOk(data, { kind: 'dataset', files: [csv2File] });
    const code = { repo: 'https://git.example/acme/m', commit: '3f2a9c41d5e8b7a6c0f1e2d3b4a5968778695a4b' };
    for (const [n, sklearn, auc] of [
      [1, '1.3.0', 0.91],
      [2, '1.4.0', 0.93],
    ] as const) {
      const lock = await storedFile('requirements.txt', `numpy==1.26.4\nscikit-learn==${sklearn}\n`);
      const weights = await storedFile('model.pkl');
      const v = await publishOk(model, {
        kind: 'model',
        files: [weights],
        inputs: [{ ref: `${data}@${n}`, role: 'training' }],
        code,
        environment: { lockfiles: [{ path: lock.path, digest: lock.digest }] },
        params: { max_depth: 6 },
        metrics: { auc },
        tags: ['latest'],
      });
      versions.push(v);
      await moveTag(model, 'production', v.digest, n === 1 ? 'first release' : 'weekly retrain');
    }
  });

  it('/ui lists artifacts by prefix with kind, latest version and tags (protected ones marked)', async () => {
    const body = await html('/ui?prefix=uidemo/');
    expect(body).toContain(`<a href="/ui/artifacts/${data}">${data}</a>`);
    expect(body).toContain(`<a href="/ui/artifacts/${model}/versions/2">v2</a>`);
    expect(body).toContain(
      `<a class="chip protected" href="/ui/artifacts/${model}/versions/2">production → v2</a>`,
    );
    expect(body).toContain('<td>dataset</td>');
    expect(await html('/ui?prefix=uidemo/nothing-here')).toContain('No artifact starts with');
  });

  it('the artifact page lists versions, tags and the tag history (who, from → to, why)', async () => {
    const body = await html(`/ui/artifacts/${model}`);
    expect(versionNumbersIn(body)).toEqual([2, 1]);
    expect(body).toContain('<code>auc</code> 0.93');
    expect(body).toContain('weekly retrain');
    expect(body).toContain('first release');
    expect(body).toContain(`href="/ui/artifacts/${model}/tags/production/explain"`);
    expect(body).toContain(
      `href="/ui/diff?from=${encodeURIComponent(`${model}@1`)}&amp;to=${encodeURIComponent(`${model}@2`)}"`,
    );
    // from → to of the last move: v1 → v2.
    expect(body).toMatch(
      new RegExp(
        `<a href="/ui/artifacts/${model}/versions/1">v1</a> → <a href="/ui/artifacts/${model}/versions/2">v2</a>`,
      ),
    );
  });

  it('a version row shows its metrics annotations merged, the later one winning', async () => {
    for (const rows of [1, 2, 3]) {
      const res = await call(`/v1/artifacts/${data}/versions/1/metrics`, {
        method: 'POST',
        json: { metrics: { rows } },
      });
      expect(res.status).toBe(201);
    }
    const body = await html(`/ui/artifacts/${data}`);
    expect(body).toContain('<code>rows</code> 3');
    expect(body).not.toContain('<code>rows</code> 2');
  });

  it('the version page draws the lineage: this model emphasised and protected, its dataset linked, the edge labelled', async () => {
    const body = await html(`/ui/artifacts/${model}/versions/production`);
    const svg = /<svg class="lineage".*?<\/svg>/s.exec(body)?.[0] ?? '';
    expect(svg).toContain(`<a href="/ui/artifacts/${data}/versions/2"`);
    expect(svg).toMatch(/<g class="node model current protected">/);
    expect(svg).toMatch(/<g class="node dataset">/);
    expect(svg).toContain('>training</text>');
    expect(svg).toContain('v2 model · latest, production');
    expect(svg).not.toContain(`/ui/artifacts/${data}/versions/1"`);
    // The manifest summary, files and metrics.
    expect(body).toContain('3f2a9c41d5e8b7a6c0f1e2d3b4a5968778695a4b');
    expect(body).toContain('<code>requirements.txt</code>');
    expect(body).toContain('<code>max_depth</code>');
    expect(body).toContain(`href="/ui/artifacts/${model}/versions/2/files/model.pkl"`);
    expect(body).toContain(
      `href="/ui/diff?from=${encodeURIComponent(`${model}@1`)}&amp;to=${encodeURIComponent(`${model}@2`)}"`,
    );
  });

  it('the dataset version page shows what was built from it (downstream)', async () => {
    const body = await html(`/ui/artifacts/${data}/versions/2`);
    expect(body).toMatch(/<g class="node dataset current">/);
    expect(body).toContain(`<a href="/ui/artifacts/${model}/versions/2"`);
  });

  it('the diff page puts changed pillars first and lists the package and file changes', async () => {
    const body = await html(`/ui/diff?from=${model}@1&to=${model}:production`);
    const order = [...body.matchAll(/<section class="[^"]*" id="pillar-(\w+)">/g)].map((m) => m[1]);
    expect(order).toEqual(['data', 'environment', 'code', 'params']);
    expect(body).toMatch(/<section class="pillar changed" id="pillar-environment">/);
    expect(body).toMatch(
      /<code>scikit-learn<\/code><\/td><td><span class="chip changed">changed<\/span><\/td><td><code>1.3.0<\/code><\/td><td><code>1.4.0<\/code>/,
    );
    expect(body).toContain('<code>train.csv</code>');
    expect(body).toContain(csv2.slice(0, 19));
    expect(body).toContain('+0.02');
  });

  it('the explain page shows the last move of a tag and what changed', async () => {
    const body = await html(`/ui/artifacts/${model}/tags/production/explain`);
    expect(body).toContain('weekly retrain');
    expect(body).toContain('scikit-learn');
    expect(body).toContain(`<a href="/ui/artifacts/${model}/versions/1">${model} v1</a>`);
  });

  it('a file downloads as an attachment through the session', async () => {
    const res = await call(`/ui/artifacts/${data}/versions/2/files/train.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''train.csv");
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    expect(await res.text()).toBe('a,b\n1,2\n3,4\n');
    expect((await call(`/ui/artifacts/${data}/versions/2/files/nope.csv`)).status).toBe(404);
  });

  it('errors are pages with the API status: unknown artifact, version, tag or ref; bad selector or ref', async () => {
    expect(await html('/ui/artifacts/uidemo/missing', 404)).toContain('ARTIFACT_UNKNOWN');
    expect(await html(`/ui/artifacts/${model}/versions/99`, 404)).toContain('VERSION_UNKNOWN');
    expect(await html(`/ui/artifacts/${model}/tags/staging/explain`, 404)).toContain('TAG_UNKNOWN');
    expect(await html(`/ui/artifacts/${model}/versions/0`, 400)).toContain('BAD_REQUEST');
    expect(await html('/ui/diff?from=nope&to=x', 400)).toContain('REF_INVALID');
    expect(await html(`/ui/diff?from=${model}@7&to=${model}@1`, 404)).toContain('VERSION_UNKNOWN');
    expect(await html('/ui/no/such/page', 404)).toContain('NOT_FOUND');
    const slash = await call(`/ui/artifacts/${model}/?cursor=1`);
    expect(slash.status).toBe(301);
    expect(slash.headers.get('location')).toBe(`/ui/artifacts/${model}?cursor=1`);
    expect(await html('/ui/diff')).toContain('Compare two versions');
  });
});

describe('UI assets', () => {
  it('the stylesheet is served under its hash, cached for a year; other names are 404', async () => {
    const res = await call(CSS_URL, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toContain('svg.lineage');
    expect((await call('/ui/assets/app-00000000.css', { token: null })).status).toBe(404);
  });
});

/**
 * 1,000 real versions, fast: version 1 goes through the API (it creates the artifact); the rest
 * are written the way publish writes them (manifest bytes to R2, checked by R2's SHA-256, then
 * the blob, version and file rows in D1 batches). Publishing them one by one through the API
 * takes ~40 s on this machine; this takes a few seconds and leaves the same rows and objects.
 */
async function seedVersions(name: string, count: number) {
  const file = await storedFile('weights.bin');
  await publishOk(name, { kind: 'model', files: [file], params: { i: 1 } });
  const artifact = await testEnv.DB.prepare('SELECT id FROM artifacts WHERE name = ?')
    .bind(name)
    .first<{ id: number }>();
  const encoded = await Promise.all(
    Array.from({ length: count - 1 }, (_, k) =>
      encodeManifest(
        buildManifest({ artifact: name, kind: 'model', files: [file], inputs: [], params: { i: k + 2 } }),
      ),
    ),
  );
  for (let i = 0; i < encoded.length; i += 100) {
    await Promise.all(
      encoded
        .slice(i, i + 100)
        .map((m) => testEnv.BLOBS.put(blobKey(m.digest as Digest), m.bytes, { sha256: m.digest.slice(7) })),
    );
  }
  const now = Date.now();
  const statements = encoded.flatMap((m, k) => [
    testEnv.DB.prepare('INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?)').bind(
      m.digest,
      m.bytes.byteLength,
      now,
    ),
    testEnv.DB.prepare(
      'INSERT INTO versions (artifact_id, number, digest, file_count, total_size, created_at, created_by) VALUES (?, ?, ?, 1, ?, ?, ?)',
    ).bind(artifact!.id, k + 2, m.digest, file.size, now + k, 'seed'),
    testEnv.DB.prepare(
      "INSERT INTO version_files (version_id, role, path, digest, size) SELECT id, 'file', ?, ?, ? FROM versions WHERE digest = ?",
    ).bind(file.path, file.digest, file.size, m.digest),
  ]);
  for (let i = 0; i < statements.length; i += 300) await testEnv.DB.batch(statements.slice(i, i + 300));
  return encoded.map((m) => m.digest);
}

describe('UI on a 1,000-version artifact', () => {
  it('pages through all 1,000 versions, 50 a page, newest first, tags and metrics on their rows', async () => {
    const name = uniqueName('uibig', 'model');
    const digests = await seedVersions(name, 1000);
    await moveTag(name, 'production', digests[498]!, 'v500 is the one'); // version 500
    const metrics = await call(`/v1/artifacts/${name}/versions/1000/metrics`, {
      method: 'POST',
      json: { metrics: { auc: 0.5 } },
    });
    expect(metrics.status).toBe(201);

    const seen: number[] = [];
    let path: string | undefined = `/ui/artifacts/${name}`;
    let pages = 0;
    while (path) {
      const body = await html(path);
      const numbers = versionNumbersIn(body);
      expect(numbers.length).toBeLessThanOrEqual(50);
      if (pages === 0) {
        expect(body).toContain('<dt>versions</dt><dd>1,000</dd>');
        expect(body).toContain('<code>auc</code> 0.5');
      }
      if (numbers.includes(500))
        expect(body).toContain(`<a class="chip protected" href="/ui/artifacts/${name}/versions/production"`);
      seen.push(...numbers);
      pages++;
      path = nextLink(body);
    }
    expect(pages).toBe(20);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => 1000 - i));
    // The tag history pages on its own, keeping the versions' page: 1 + 24 moves, 20 a page.
    for (let i = 0; i < 24; i++) await moveTag(name, 'staging', digests[i]!, `move ${i + 1}`);
    const atPage2 = await html(`/ui/artifacts/${name}?cursor=951`);
    const older = nextLink(atPage2, 'tag history pages');
    expect(older).toMatch(new RegExp(`^/ui/artifacts/${name}\\?cursor=951&events=\\d+#history$`));
    const history = await html(older!);
    expect(versionNumbersIn(history)[0]).toBe(950);
    expect(history).toContain('move 4<');
    expect(history).toContain('v500 is the one');
    expect(history).not.toContain('move 5<');
    expect(nextLink(history, 'tag history pages')).toBeUndefined();
    // A seeded version is a real one: its page reads its manifest from R2.
    expect(await html(`/ui/artifacts/${name}/versions/777`)).toContain(
      '<code>i</code></th><td><code>777</code>',
    );
  });

  it('pages through artifacts 50 at a time by name', async () => {
    const ns = uniqueName('uilist', 'x').replace('/', '-').slice(0, 40);
    const file = await storedFile('f.bin');
    const names = Array.from({ length: 55 }, (_, i) => `${ns}/a${String(i).padStart(2, '0')}`);
    for (const name of names) await publishOk(name, { files: [file] });
    const first = await html(`/ui?prefix=${ns}/`);
    const next = nextLink(first, 'pages');
    expect(next).toBe(`/ui?prefix=${encodeURIComponent(`${ns}/`)}&cursor=${encodeURIComponent(names[49]!)}`);
    const second = await html(next!);
    expect(second).toContain(`>${names[54]}</a>`);
    expect(second).not.toContain(`>${names[49]}</a>`);
    expect(nextLink(second, 'pages')).toBeUndefined();
  });
});
