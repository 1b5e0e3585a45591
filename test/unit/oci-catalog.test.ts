/**
 * `GET /v2/_catalog` (Distribution Spec "Listing repositories"; the conformance suite's
 * content-discovery checks page the tags list the same way: `n`, `last`, a `Link` to the next
 * page). Cairn's rules: every artifact and every repository an OCI manifest was pushed to is
 * listed, and a namespace-limited token lists only its namespaces' repositories.
 */
import { describe, expect, it } from 'vitest';
import { createToken } from '../helpers/http';
import { imageManifest, oci, ociCode, putManifest } from '../helpers/oci';

/** Two fresh namespaces whose names sort together and after anything else the suite makes. */
function namespaces() {
  const stem = `zcat${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { stem, a: `${stem}a`, b: `${stem}b` };
}

async function catalog(query: string, token?: string) {
  const res = await oci(`/v2/_catalog${query}`, { token });
  expect(res.status).toBe(200);
  return { body: (await res.json()) as { repositories: string[] }, link: res.headers.get('Link') };
}

describe('GET /v2/_catalog', () => {
  it('lists versions pushed by tag and manifests pushed by digest, in order, paged by n/last with a Link', async () => {
    const { stem, a, b } = namespaces();
    const tagged = await imageManifest(`${a}/model`, [{ title: 'w.bin' }]);
    expect((await putManifest(`${a}/model`, 'v1', tagged.bytes)).status).toBe(201);
    const loose = await imageManifest(`${b}/loose`, [{ title: 'x.bin' }]);
    expect((await putManifest(`${b}/loose`, loose.digest, loose.bytes)).status).toBe(201);
    const again = await imageManifest(`${a}/data`, [{ title: 'd.bin' }]);
    expect((await putManifest(`${a}/data`, 'v1', again.bytes)).status).toBe(201);

    const all = await catalog(`?n=3&last=${stem}`);
    expect(all.body.repositories).toEqual([`${a}/data`, `${a}/model`, `${b}/loose`]);
    const first = await catalog(`?n=2&last=${stem}`);
    expect(first.body.repositories).toEqual([`${a}/data`, `${a}/model`]);
    expect(first.link).toBe(`</v2/_catalog?n=2&last=${encodeURIComponent(`${a}/model`)}>; rel="next"`);
    const next = await catalog(first.link!.slice(first.link!.indexOf('?'), first.link!.indexOf('>')));
    expect(next.body.repositories[0]).toBe(`${b}/loose`);
    expect((await catalog('?n=0')).body.repositories).toEqual([]);
    // Without n, no Link: the answer is the first 1,000 names.
    expect((await catalog('')).link).toBeNull();
  });

  it('a namespace-limited token lists only its namespaces; anonymous gets the challenge; bad n is refused', async () => {
    const { stem, a, b } = namespaces();
    for (const repo of [`${a}/one`, `${b}/two`]) {
      const m = await imageManifest(repo, [{ title: 'w.bin' }]);
      expect((await putManifest(repo, 'v1', m.bytes)).status).toBe(201);
    }
    const { token } = await createToken(['read'], { namespaces: [a] });
    const limited = await catalog(`?n=100&last=${stem}`, token);
    expect(limited.body.repositories).toEqual([`${a}/one`]);
    const { token: other } = await createToken(['read'], { namespaces: ['nobody-here'] });
    expect((await catalog(`?n=100&last=${stem}`, other)).body.repositories).toEqual([]);

    const anonymous = await oci('/v2/_catalog', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('WWW-Authenticate')).toBe('Basic realm="cairn"');
    for (const bad of ['?n=-1', '?n=x', '?n=10001']) {
      const res = await oci(`/v2/_catalog${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await ociCode(res)).toBe('UNSUPPORTED');
    }
  });
});
