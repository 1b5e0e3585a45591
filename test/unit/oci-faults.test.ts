/**
 * Fault injection over an OCI push (test/helpers/faults.ts): every R2 and D1 call of "start a
 * session, PATCH the layer, PUT ?digest=, push the config monolithically, PUT the manifest by
 * tag" is made to fail in turn, on the real app over the real local bindings. After each: the
 * answer is the OCI error shape (a 500 with its request id, or a spec 4xx), no visible state
 * references missing or wrong bytes (test/helpers/invariants.ts), and the client's retry (the
 * whole push again, as skopeo would) succeeds and serves the exact manifest bytes.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { FaultInjector, faultyEnv, type Send, sendWith } from '../helpers/faults';
import { call, digestOf, randomBytes } from '../helpers/http';
import { checkInvariants } from '../helpers/invariants';
import { OCI_MANIFEST } from '../helpers/oci';
import { uniqueName } from '../helpers/registry';

const ok = (res: Response) => res.status >= 200 && res.status < 300;

async function instance() {
  const repo = uniqueName('acme', 'oci-fault');
  const layer = randomBytes(3000);
  const config = new TextEncoder().encode(JSON.stringify({ n: Math.random() }));
  const [layerDigest, configDigest] = [await digestOf(layer), await digestOf(config)];
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length },
      ],
    }),
  );
  const manifestDigest = await digestOf(manifest);
  async function push(send: Send): Promise<Response> {
    const started = await send(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    if (!ok(started)) return started;
    const location = started.headers.get('location')!;
    const patched = await send(location, { method: 'PATCH', body: layer });
    if (!ok(patched)) return patched;
    const done = await send(`${location}?digest=${layerDigest}`, { method: 'PUT' });
    if (!ok(done)) return done;
    const cfg = await send(`/v2/${repo}/blobs/uploads/?digest=${configDigest}`, {
      method: 'POST',
      body: config,
    });
    if (!ok(cfg)) return cfg;
    return send(`/v2/${repo}/manifests/v1`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': OCI_MANIFEST },
    });
  }
  return {
    scope: { digests: [layerDigest, configDigest, manifestDigest], artifacts: [repo] },
    push,
    async verify() {
      const got = await call(`/v2/${repo}/manifests/v1`);
      expect(got.status).toBe(200);
      expect(new Uint8Array(await got.arrayBuffer())).toEqual(manifest);
      expect((await call(`/v2/${repo}/blobs/${layerDigest}`)).status).toBe(200);
    },
  };
}

/** OCI 4xx answers a failed step may give instead of a 500: storage forgetting a session is "unknown". */
const ALLOWED_4XX = ['BLOB_UPLOAD_UNKNOWN'];

let errorLog: MockInstance<typeof console.error>;
beforeEach(() => {
  errorLog = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => errorLog.mockRestore());

describe('fault injection: each R2/D1 call of an OCI push fails in turn', () => {
  it('every failure answers in the OCI shape, leaves consistent state, and a retried push succeeds', async () => {
    const clean = new FaultInjector();
    const first = await instance();
    expect((await first.push(sendWith(faultyEnv(clean)))).status).toBe(201);
    const steps = clean.calls;
    expect(steps.length).toBeGreaterThan(10);
    const answers: string[] = [];
    for (let i = 0; i < steps.length; i++) {
      const label = `#${i} ${steps[i]}`;
      const run = await instance();
      const injector = new FaultInjector(i);
      const res = await run.push(sendWith(faultyEnv(injector)));
      expect(injector.injected?.kind, label).toBe(steps[i]);
      if (!ok(res)) {
        const body = (await res.json()) as { errors?: { code: string; detail?: { requestId?: string } }[] };
        const error = body.errors?.[0];
        expect(error?.code, `${label}: ${JSON.stringify(body)}`).toBeTypeOf('string');
        if (res.status >= 500) {
          expect(res.status, label).toBe(500);
          expect(error?.detail?.requestId, label).toBeTruthy();
          expect(JSON.stringify(body)).not.toContain('injected fault');
        } else {
          expect(ALLOWED_4XX, `${label}: ${res.status} ${error?.code}`).toContain(error?.code);
        }
        answers.push(`${label} → ${res.status} ${error?.code}`);
      } else answers.push(`${label} → ${res.status}`);
      expect(await checkInvariants(run.scope), `after failing ${label}`).toEqual([]);
      const retried = await run.push(call);
      expect(retried.status, `retry after ${label}: ${await retried.clone().text()}`).toBe(201);
      await run.verify();
      expect(await checkInvariants(run.scope), `after retrying ${label}`).toEqual([]);
    }
    console.log(`oci faults: ${steps.length} injection points, all consistent\n  ${answers.join('\n  ')}`);
  }, 300_000);
});
