/**
 * Lineage from a KitOps ModelKit pushed over OCI (services/oci/lineage.ts): a code layer whose
 * bytes are a file of a Cairn version becomes an input (role `code`), the manifest's
 * `org.opencontainers.image.source`/`.revision` annotations its code; what no version holds, and
 * a revision that is not a full commit id, are not turned into lineage.
 */
import { describe, expect, it } from 'vitest';
import { call, randomBytes } from '../helpers/http';
import { imageManifest, putManifest } from '../helpers/oci';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';

const KITOPS = 'application/vnd.kitops.modelkit.manifest.v1+json';
const CODE = 'application/vnd.kitops.modelkit.code.v1.tar';
const COMMIT = 'a'.repeat(40);

type CairnManifest = {
  inputs: { role: string; ref: string; digest: string }[];
  code?: { repo?: string; commit?: string };
  files: { path: string }[];
};

async function versionManifest(repo: string, tag: string): Promise<CairnManifest> {
  const version = (await (await call(`/v1/artifacts/${repo}/versions/${tag}`)).json()) as { digest: string };
  return (await (await call(`/v1/manifests/${version.digest}`)).json()) as CairnManifest;
}

describe('KitOps ModelKit lineage over OCI', () => {
  it("a code layer that is a Cairn version's file → input (role code); source/revision annotations → code", async () => {
    const tarball = randomBytes(2048);
    const codeRepo = uniqueName('acme', 'code');
    const published = await publishOk(codeRepo, {
      kind: 'other',
      files: [await storedFile('src.tar', tarball)],
    });
    const repo = uniqueName();
    const m = await imageManifest(
      repo,
      [
        { title: 'model.safetensors' },
        { title: 'src.tar', bytes: tarball, mediaType: CODE },
        { title: 'notebooks.tar', mediaType: CODE },
      ],
      {
        artifactType: KITOPS,
        annotations: {
          'org.opencontainers.image.source': 'https://git.example/acme/train',
          'org.opencontainers.image.revision': COMMIT,
        },
      },
    );
    expect((await putManifest(repo, 'v1', m.bytes)).status).toBe(201);
    const manifest = await versionManifest(repo, 'v1');
    expect(manifest.inputs).toEqual([{ role: 'code', ref: `${codeRepo}@1`, digest: published.digest }]);
    expect(manifest.code).toMatchObject({ repo: 'https://git.example/acme/train', commit: COMMIT });
    expect(manifest.files.map((f) => f.path).sort()).toEqual([
      'model.safetensors',
      'notebooks.tar',
      'src.tar',
    ]);
  });

  it('nothing is guessed: unknown code bytes stay files, a short revision is no commit', async () => {
    const repo = uniqueName();
    const m = await imageManifest(repo, [{ title: 'src.tar', mediaType: CODE }], {
      artifactType: KITOPS,
      annotations: { 'org.opencontainers.image.revision': 'main' },
    });
    expect((await putManifest(repo, 'v1', m.bytes)).status).toBe(201);
    const manifest = await versionManifest(repo, 'v1');
    expect(manifest.inputs).toEqual([]);
    expect(manifest.code).toBeUndefined();
  });
});
