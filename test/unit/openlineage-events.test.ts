/**
 * OpenLineage events: what each publish and tag move emits, checked against the vendored official
 * schema (test/fixtures/openlineage) and the facet schemas, read back through the pull feed.
 */
import { describe, expect, it } from 'vitest';
import { call, createToken, errorCode } from '../helpers/http';
import { artifactOf, eventProblems, type OLEvent, readFeed } from '../helpers/openlineage';
import { publish, publishOk, storedFile } from '../helpers/registry';

/** A fresh namespace and a read token limited to it: its feed holds only this test's events. */
async function isolated() {
  const ns = `ol-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const { token } = await createToken(['read'], { namespaces: [ns] });
  return { ns, token, feed: async () => (await readFeed({ token })).events };
}

async function expectValid(events: OLEvent[]) {
  for (const event of events) expect(await eventProblems(event), JSON.stringify(event)).toEqual([]);
}

const COMMIT = 'a'.repeat(40);

describe('OpenLineage events of a publish', () => {
  it('a publish emits one COMPLETE RunEvent: job = the code, inputs pinned by digest, output = the new version', async () => {
    const { ns, feed } = await isolated();
    const data = await publishOk(`${ns}/data`, { kind: 'dataset', files: [await storedFile('d.csv')] });
    const lock = await storedFile('requirements.txt', 'torch==2.3.0\n');
    const model = await publishOk(`${ns}/model`, {
      kind: 'model',
      files: [await storedFile('model.bin')],
      inputs: [{ ref: `${ns}/data@1`, role: 'training' }],
      code: { repo: 'git@github.com:acme/churn.git', commit: COMMIT, path: 'train/train.py', dirty: false },
      environment: { lockfiles: [{ path: lock.path, digest: lock.digest }], image: 'python:3.12' },
      params: { lr: 0.001, epochs: 3, optimizer: 'adam' },
    });

    const events = await feed();
    await expectValid(events);
    expect(events.map(artifactOf)).toEqual([`${ns}/data`, `${ns}/model`]);
    const event = events[1];
    expect(event.eventType).toBe('COMPLETE');
    expect(event.job).toMatchObject({ namespace: 'git@github.com:acme/churn.git', name: 'train/train.py' });
    expect(event.job.facets.sourceCodeLocation).toMatchObject({
      type: 'git',
      url: `https://github.com/acme/churn/blob/${COMMIT}/train/train.py`,
      version: COMMIT,
    });
    expect(event.job.facets.jobType).toMatchObject({ integration: 'CAIRN', jobType: 'PUBLISH' });
    expect(event.run.facets.cairn_code).toMatchObject({ commit: COMMIT, dirty: false });
    expect(event.run.facets.cairn_environment.lockfiles).toEqual([{ path: lock.path, digest: lock.digest }]);
    expect(event.run.facets.cairn_params.params).toEqual({ lr: 0.001, epochs: 3, optimizer: 'adam' });
    expect(event.run.facets.executionParameters.parameters).toContainEqual({ key: 'lr', value: '0.001' });
    expect(event.inputs).toHaveLength(1);
    expect(event.inputs[0]).toMatchObject({ namespace: 'cairn://cairn.test', name: `${ns}/data` });
    expect(event.inputs[0].facets.version.datasetVersion).toBe(data.digest);
    expect(event.inputs[0].inputFacets.cairn_input).toMatchObject({ role: 'training', ref: `${ns}/data@1` });
    expect(event.outputs[0].facets.version.datasetVersion).toBe(model.digest);
    expect(event.outputs[0].facets.cairn_version).toMatchObject({ number: 1, kind: 'model' });
    expect(event.eventTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('without code the job is the output artifact in the registry namespace', async () => {
    const { ns, feed } = await isolated();
    await publishOk(`${ns}/plain`, { files: [await storedFile('x')] });
    const [event] = await feed();
    await expectValid([event]);
    expect(event.job).toMatchObject({ namespace: 'cairn://cairn.test', name: `${ns}/plain` });
    expect(event.job.facets.sourceCodeLocation).toBeUndefined();
  });

  it('a repo that is no URL keeps the job namespace but has no sourceCodeLocation facet', async () => {
    const { ns, feed } = await isolated();
    await publishOk(`${ns}/local`, {
      files: [await storedFile('x')],
      code: { repo: 'local checkout', commit: COMMIT },
    });
    const [event] = await feed();
    await expectValid([event]);
    expect(event.job.namespace).toBe('local checkout');
    expect(event.job.facets.sourceCodeLocation).toBeUndefined();
    expect(event.run.facets.cairn_code.commit).toBe(COMMIT);
  });

  it('an idempotent re-publish emits no second publish event; a refused publish emits nothing', async () => {
    const { ns, feed } = await isolated();
    const body = { files: [await storedFile('x')] };
    await publishOk(`${ns}/same`, body);
    const again = await publish(`${ns}/same`, body);
    expect(again.status).toBe(200);
    const refused = await publish(`${ns}/same`, { files: [], inputs: [{ ref: `${ns}/missing:latest` }] });
    expect(refused.status).toBe(422);
    expect((await feed()).map((e: OLEvent) => e.job.facets.jobType.jobType)).toEqual(['PUBLISH']);
  });

  it('params too large for one event (> 1 MB) still publish; the event says they were left out', async () => {
    const { ns, feed } = await isolated();
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, 'x'.repeat(9000)]));
    await publishOk(`${ns}/big`, { files: [await storedFile('x')], params });
    const [event] = await feed();
    await expectValid([event]);
    expect(event.run.facets.cairn_params).toMatchObject({ params: null, truncated: true });
    expect(event.run.facets.executionParameters).toBeUndefined();
  });

  it('a publish with tags emits the version first, then one tag-move event per tag', async () => {
    const { ns, feed } = await isolated();
    const v = await publishOk(`${ns}/m`, { files: [await storedFile('x')], tags: ['latest', 'candidate'] });
    const events = await feed();
    await expectValid(events);
    expect(events.map((e: OLEvent) => e.job.name)).toEqual([
      `${ns}/m`,
      `${ns}/m:latest`,
      `${ns}/m:candidate`,
    ]);
    expect(events[1].run.facets.cairn_tagMove).toMatchObject({ from: null, to: v.digest, reason: 'publish' });
  });
});

describe('OpenLineage events of tag moves', () => {
  it('a move, a no-op move, a lost compare-and-swap and a delete emit exactly the changes', async () => {
    const { ns, feed } = await isolated();
    const name = `${ns}/t`;
    const v1 = await publishOk(name, { files: [await storedFile('a')] });
    const v2 = await publishOk(name, { files: [await storedFile('b')] });
    const put = (body: unknown) => call(`/v1/artifacts/${name}/tags/prod`, { method: 'PUT', json: body });
    expect((await put({ digest: v1.digest, reason: 'first' })).status).toBe(200);
    expect((await put({ digest: v1.digest })).status).toBe(200); // already there: no event
    expect((await put({ digest: v2.digest, expect: v2.digest })).status).toBe(409); // lost: no event
    expect((await put({ digest: v2.digest, expect: v1.digest, reason: 'promote' })).status).toBe(200);
    const del = await call(`/v1/artifacts/${name}/tags/prod?reason=retire`, { method: 'DELETE' });
    expect(del.status).toBe(204);

    const moves = (await feed()).filter((e: OLEvent) => e.run.facets.cairn_tagMove);
    await expectValid(moves);
    expect(moves.map((e: OLEvent) => e.run.facets.cairn_tagMove)).toEqual([
      expect.objectContaining({ tag: 'prod', from: null, to: v1.digest, reason: 'first' }),
      expect.objectContaining({ tag: 'prod', from: v1.digest, to: v2.digest, reason: 'promote' }),
      expect.objectContaining({ tag: 'prod', from: v2.digest, to: null, reason: 'retire' }),
    ]);
    // A move reads the version it points to; it produces no data, so it has no output.
    expect(moves[1].inputs.map((i: OLEvent) => i.facets.version.datasetVersion)).toEqual([v2.digest]);
    expect(moves.every((e: OLEvent) => e.outputs.length === 0)).toBe(true);
    expect(moves[2].inputs).toEqual([]);
    expect(moves[0].job.facets.jobType.jobType).toBe('TAG_MOVE');
  });

  it('every event has its own run id', async () => {
    const { ns, feed } = await isolated();
    await publishOk(`${ns}/r`, { files: [await storedFile('x')], tags: ['a', 'b'] });
    const ids = (await feed()).map((e: OLEvent) => e.run.runId);
    expect(new Set(ids).size).toBe(3);
  });
});

describe('the custom facet schema', () => {
  it('GET /v1/openlineage/facets.json is public JSON Schema naming every cairn_ facet', async () => {
    const res = await call('/v1/openlineage/facets.json', { token: null });
    expect(res.status).toBe(200);
    const schema = (await res.json()) as { $id: string; $defs: Record<string, unknown> };
    expect(schema.$id).toBe('http://cairn.test/v1/openlineage/facets.json');
    expect(Object.keys(schema.$defs)).toContain('CairnTagMoveRunFacet');
  });

  it('the validator itself refuses a broken event (the schema check can fail)', async () => {
    const { ns, feed } = await isolated();
    await publishOk(`${ns}/broken`, { files: [await storedFile('x')] });
    const [event] = await feed();
    expect(await eventProblems({ ...event, run: { ...event.run, runId: 'not-a-uuid' } })).not.toEqual([]);
    const facets = {
      ...event.outputs[0].facets,
      version: { ...event.outputs[0].facets.version, datasetVersion: 1 },
    };
    const badOutput = { ...event, outputs: [{ ...event.outputs[0], facets }] };
    expect(await eventProblems(badOutput)).not.toEqual([]);
  });
});

describe('bad input', () => {
  it('an anonymous feed read is refused', async () => {
    const res = await call('/v1/openlineage/events', { token: null });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('UNAUTHORIZED');
  });
});
