import { describe, expect, it } from 'vitest';
import { diffParams, flatten } from '../../src/services/diff/values';
import { call, errorCode } from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';

const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);

interface DiffBody {
  changed: string[];
  code: { changed: boolean; fields: string[] };
  data: {
    changed: boolean;
    inputs: {
      role: string;
      status: string;
      artifact: string | null;
      files?: { counts: Record<string, number>; modified: { path: string }[] };
      upstream?: { inputs: { status: string; files?: { counts: Record<string, number> } }[] };
    }[];
  };
  environment: {
    changed: boolean;
    lockfiles: { path: string; status: string; format: string | null; packages?: unknown[] }[];
    image: { changed: boolean };
  };
  params: { changed: boolean; modified: unknown[]; added: unknown[]; removed: unknown[] };
  files: { changed: boolean; counts: Record<string, number> };
  metrics: { key: string; from: number | null; to: number | null; delta: number | null }[];
}

async function diff(from: string, to: string): Promise<DiffBody> {
  const res = await call(`/v1/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  if (res.status !== 200) throw new Error(`diff ${res.status}: ${await res.text()}`);
  return (await res.json()) as DiffBody;
}

/** A dataset and a model trained on it, both at version 1, plus a helper to publish model versions. */
async function scenario() {
  const data = uniqueName('acme', 'data');
  const csv = await storedFile('train.csv', 'a,b\n1,2\n');
  await publishOk(data, { kind: 'dataset', files: [csv] });
  const reqA = await storedFile('requirements.txt', 'pandas==2.1.0\nscikit-learn==1.3.0\n');
  const model = uniqueName('acme', 'model');
  const base = {
    kind: 'model',
    inputs: [{ ref: `${data}@1`, role: 'training' }],
    code: { repo: 'https://git.example/acme/churn', commit: COMMIT_A, path: 'train.py' },
    environment: { lockfiles: [{ path: 'requirements.txt', digest: reqA.digest }], image: 'img@sha256:1' },
    params: { model: { max_depth: 6, lr: 0.1 } },
  };
  const pkl = await storedFile('model.pkl');
  await publishOk(model, { ...base, files: [pkl], metrics: { auc: 0.9 } });
  return { data, csv, model, base, pkl };
}

describe('GET /v1/diff: each pillar alone is reported alone', () => {
  it('code only: a new commit', async () => {
    const s = await scenario();
    await publishOk(s.model, { ...s.base, files: [s.pkl], code: { ...s.base.code, commit: COMMIT_B } });
    const d = await diff(`${s.model}@1`, `${s.model}@2`);
    expect(d.changed).toEqual(['code']);
    expect(d.code.fields).toEqual(['commit']);
    expect(d.files.changed).toBe(false);
  });

  it('data only: the input dataset changed; its changed file is named', async () => {
    const s = await scenario();
    await publishOk(s.data, { kind: 'dataset', files: [await storedFile('train.csv', 'a,b\n1,2\n3,4\n')] });
    await publishOk(s.model, {
      ...s.base,
      files: [s.pkl],
      inputs: [{ ref: `${s.data}@2`, role: 'training' }],
    });
    const d = await diff(`${s.model}@1`, `${s.model}@2`);
    expect(d.changed).toEqual(['data']);
    const input = d.data.inputs[0]!;
    expect(input).toMatchObject({ role: 'training', status: 'changed', artifact: s.data });
    expect(input.files!.counts).toEqual({ added: 0, removed: 0, modified: 1, unchanged: 0 });
    expect(input.files!.modified[0]!.path).toBe('train.csv');
  });

  it('environment only: scikit-learn 1.3.0 → 1.4.0 package by package', async () => {
    const s = await scenario();
    const reqB = await storedFile('requirements.txt', 'pandas==2.1.0\nscikit-learn==1.4.0\n');
    await publishOk(s.model, {
      ...s.base,
      files: [s.pkl],
      environment: { ...s.base.environment, lockfiles: [{ path: 'requirements.txt', digest: reqB.digest }] },
    });
    const d = await diff(`${s.model}@1`, `${s.model}@2`);
    expect(d.changed).toEqual(['environment']);
    expect(d.environment.lockfiles).toEqual([
      expect.objectContaining({
        path: 'requirements.txt',
        status: 'modified',
        format: 'requirements',
        packages: [{ name: 'scikit-learn', change: 'changed', from: '1.3.0', to: '1.4.0' }],
      }),
    ]);
  });

  it('environment only: a new image', async () => {
    const s = await scenario();
    await publishOk(s.model, {
      ...s.base,
      files: [s.pkl],
      environment: { ...s.base.environment, image: 'img@sha256:2' },
    });
    const d = await diff(`${s.model}@1`, `${s.model}@2`);
    expect(d.changed).toEqual(['environment']);
    expect(d.environment.image).toEqual({ changed: true, from: 'img@sha256:1', to: 'img@sha256:2' });
  });

  it('params only: nested keys by dotted path; metrics as deltas', async () => {
    const s = await scenario();
    await publishOk(s.model, {
      ...s.base,
      files: [s.pkl],
      params: { model: { max_depth: 8, lr: 0.1 }, seed: 1 },
      metrics: { auc: 0.85 },
    });
    const d = await diff(`${s.model}@1`, `${s.model}@2`);
    expect(d.changed).toEqual(['params']);
    expect(d.params.modified).toEqual([{ key: 'model.max_depth', from: 6, to: 8 }]);
    expect(d.params.added).toEqual([{ key: 'seed', from: null, to: 1 }]);
    expect(d.metrics).toEqual([{ key: 'auc', from: 0.9, to: 0.85, delta: expect.closeTo(-0.05, 10) }]);
  });

  it('nothing changed but the output file: no pillar, files report it', async () => {
    const s = await scenario();
    await publishOk(s.model, { ...s.base, files: [await storedFile('model.pkl')] });
    const d = await diff(`${s.model}@1`, `${s.model}@2`);
    expect(d.changed).toEqual([]);
    expect(d.files.counts).toEqual({ added: 0, removed: 0, modified: 1, unchanged: 0 });
  });

  it('all of them, in the contract order', async () => {
    const s = await scenario();
    await publishOk(s.data, { kind: 'dataset', files: [await storedFile('train.csv', 'x')] });
    await publishOk(s.model, {
      ...s.base,
      files: [s.pkl],
      inputs: [{ ref: `${s.data}@2`, role: 'training' }],
      code: { ...s.base.code, dirty: true },
      environment: { ...s.base.environment, image: 'other' },
      params: {},
    });
    const d = await diff(`${s.model}@1`, `${s.model}@2`);
    expect(d.changed).toEqual(['code', 'data', 'environment', 'params']);
  });
});

describe('GET /v1/diff: data lineage one level up', () => {
  it('a model whose features changed because the raw data changed shows both levels', async () => {
    const raw = uniqueName('acme', 'raw');
    await publishOk(raw, { kind: 'dataset', files: [await storedFile('raw.csv', '1')] });
    await publishOk(raw, { kind: 'dataset', files: [await storedFile('raw.csv', '2')] });
    const features = uniqueName('acme', 'features');
    const feat = (n: number, content: string) =>
      storedFile('features.parquet', content).then((f) =>
        publishOk(features, {
          kind: 'dataset',
          files: [f],
          inputs: [{ ref: `${raw}@${n}`, role: 'source' }],
        }),
      );
    await feat(1, 'f1');
    await feat(2, 'f2');
    const model = uniqueName('acme', 'model');
    const pkl = await storedFile('m.pkl');
    await publishOk(model, {
      kind: 'model',
      files: [pkl],
      inputs: [{ ref: `${features}@1`, role: 'training' }],
    });
    await publishOk(model, {
      kind: 'model',
      files: [pkl],
      inputs: [{ ref: `${features}@2`, role: 'training' }],
    });
    const d = await diff(`${model}@1`, `${model}@2`);
    const input = d.data.inputs[0]!;
    expect(input.status).toBe('changed');
    expect(input.upstream!.inputs[0]).toMatchObject({ status: 'changed' });
    expect(input.upstream!.inputs[0]!.files!.counts.modified).toBe(1);
  });

  it('inputs are matched by role, then by artifact; unmatched ones are added or removed', async () => {
    const a = uniqueName('acme', 'a');
    const b = uniqueName('acme', 'b');
    await publishOk(a, { kind: 'dataset', files: [await storedFile('x')] });
    await publishOk(b, { kind: 'dataset', files: [await storedFile('y')] });
    const model = uniqueName('acme', 'model');
    const pkl = await storedFile('m.pkl');
    await publishOk(model, {
      files: [pkl],
      inputs: [
        { ref: `${a}@1`, role: 'training' },
        { ref: `${b}@1`, role: 'eval' },
      ],
    });
    await publishOk(model, { files: [pkl], inputs: [{ ref: `${a}@1`, role: 'training' }] });
    const d = await diff(`${model}@1`, `${model}@2`);
    const byRole = Object.fromEntries(d.data.inputs.map((i) => [i.role, i.status]));
    expect(byRole).toEqual({ training: 'unchanged', eval: 'removed' });
    expect(d.changed).toEqual(['data']);
  });
});

describe('GET /v1/diff errors', () => {
  it('unknown and malformed refs', async () => {
    const s = await scenario();
    expect(await errorCode(await call(`/v1/diff?from=${s.model}@1&to=${s.model}@9`))).toBe('VERSION_UNKNOWN');
    expect(await errorCode(await call(`/v1/diff?from=${s.model}@1&to=nope`))).toBe('REF_INVALID');
    expect(await errorCode(await call(`/v1/diff?from=${s.model}@1`))).toBe('BAD_REQUEST');
    expect((await call(`/v1/diff?from=${s.model}@1&to=${s.model}@1`, { token: null })).status).toBe(401);
  });
});

describe('GET …/tags/:tag/explain', () => {
  it('explains the last promotion: the diff between the previous and current target, with who, when and why', async () => {
    const s = await scenario();
    const reqB = await storedFile('requirements.txt', 'pandas==2.1.0\nscikit-learn==1.4.0\n');
    await publishOk(s.data, { kind: 'dataset', files: [await storedFile('train.csv', 'a,b\n9,9\n')] });
    const v1 = await call(`/v1/resolve/${s.model}@1`).then((r) => r.json() as Promise<{ digest: string }>);
    const v2 = await publishOk(s.model, {
      ...s.base,
      files: [s.pkl],
      inputs: [{ ref: `${s.data}@2`, role: 'training' }],
      environment: { ...s.base.environment, lockfiles: [{ path: 'requirements.txt', digest: reqB.digest }] },
    });
    const move = (digest: string, reason: string) =>
      call(`/v1/artifacts/${s.model}/tags/production`, { method: 'PUT', json: { digest, reason } });
    await move(v1.digest, 'first');
    await move(v2.digest, 'new data and sklearn');
    const res = await call(`/v1/artifacts/${s.model}/tags/production/explain`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as DiffBody & { move: Record<string, unknown> };
    expect(body.changed).toEqual(['data', 'environment']);
    expect(body.move).toMatchObject({
      from: v1.digest,
      to: v2.digest,
      by: 'admin',
      reason: 'new data and sklearn',
    });
    expect(JSON.stringify(body.environment)).toContain('"from":"1.3.0","to":"1.4.0"');
    expect(body.data.inputs[0]!.files!.modified[0]!.path).toBe('train.csv');
  });

  it('a first move compares against nothing; an unknown tag → 404', async () => {
    const s = await scenario();
    const v1 = await call(`/v1/resolve/${s.model}@1`).then((r) => r.json() as Promise<{ digest: string }>);
    await call(`/v1/artifacts/${s.model}/tags/staging`, { method: 'PUT', json: { digest: v1.digest } });
    const body = (await (await call(`/v1/artifacts/${s.model}/tags/staging/explain`)).json()) as DiffBody & {
      from: unknown;
      move: { from: unknown };
    };
    expect(body.from).toBeNull();
    expect(body.move.from).toBeNull();
    expect(body.changed).toEqual(['code', 'data', 'environment', 'params']);
    expect(await errorCode(await call(`/v1/artifacts/${s.model}/tags/nope/explain`))).toBe('TAG_UNKNOWN');
  });
});

describe('params flattening', () => {
  it('flattens nested objects to dotted keys and treats arrays and empty objects as leaves', () => {
    expect([...flatten({ a: { b: { c: 1 } }, d: [1, { e: 2 }], f: {} })]).toEqual([
      ['a.b.c', 1],
      ['d', [1, { e: 2 }]],
      ['f', {}],
    ]);
    expect(diffParams({ a: 1 }, { a: 1 }).changed).toBe(false);
  });
});

describe('environment lockfiles without a parser', () => {
  it('fall back to a line diff', async () => {
    const s = await scenario();
    const a = await storedFile('Gemfile.lock', 'rails (7.0.0)\nrack (2.2.0)\n');
    const b = await storedFile('Gemfile.lock', 'rails (7.1.0)\nrack (2.2.0)\n');
    const env = (digest: string) => ({
      ...s.base.environment,
      lockfiles: [{ path: 'Gemfile.lock', digest }],
    });
    await publishOk(s.model, { ...s.base, files: [s.pkl], environment: env(a.digest) });
    await publishOk(s.model, { ...s.base, files: [s.pkl], environment: env(b.digest) });
    const d = await diff(`${s.model}@2`, `${s.model}@3`);
    expect(d.changed).toEqual(['environment']);
    expect(d.environment.lockfiles[0]).toMatchObject({
      path: 'Gemfile.lock',
      status: 'modified',
      format: null,
      lines: { added: ['rails (7.1.0)'], removed: ['rails (7.0.0)'], truncated: false },
    });
  });
});
