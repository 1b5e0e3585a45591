/**
 * /v2 blobs and uploads. Each test names the check of the OCI conformance suite it mirrors
 * (opencontainers/distribution-spec conformance/: 01_pull_test.go, 02_push_test.go,
 * 04_management_test.go), then Cairn's own rules: every completion verified against the digest,
 * nothing half-written on a failure, chunks of any size reassembled byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { digestOf, randomBytes, testEnv } from '../helpers/http';
import { oci, ociCode, pushBlob } from '../helpers/oci';
import { uniqueName } from '../helpers/registry';

async function startSession(repo: string): Promise<string> {
  const res = await oci(`/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'Content-Length': '0' } });
  expect(res.status).toBe(202);
  expect(res.headers.get('Range')).toBe('0-0');
  expect(res.headers.get('Docker-Upload-UUID')).toMatch(/^oci_/);
  return res.headers.get('Location')!;
}

const octets = { 'Content-Type': 'application/octet-stream' };

async function fetchBytes(path: string): Promise<Uint8Array> {
  const res = await oci(path);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('pushing blobs', () => {
  it('02_push "Blob Upload Streamed": POST, PATCH with the blob, PUT ?digest= → 202, 202, 201; the bytes are served', async () => {
    const repo = uniqueName();
    const bytes = randomBytes(70_000);
    const digest = await digestOf(bytes);
    const location = await startSession(repo);
    const patched = await oci(location, { method: 'PATCH', body: bytes, headers: octets });
    expect(patched.status).toBe(202);
    expect(patched.headers.get('Range')).toBe(`0-${bytes.length - 1}`);
    const put = await oci(`${patched.headers.get('Location')}?digest=${digest}`, {
      method: 'PUT',
      headers: { ...octets, 'Content-Length': '0' },
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('Location')).toBe(`/v2/${repo}/blobs/${digest}`);
    expect(put.headers.get('Docker-Content-Digest')).toBe(digest);
    expect(await fetchBytes(`/v2/${repo}/blobs/${digest}`)).toEqual(bytes);
  });

  it('02_push "Blob Upload Monolithic": POST ?digest= with the body → 201, then GET → 200; a nonexistent blob → 404 BLOB_UNKNOWN', async () => {
    const repo = uniqueName();
    const missing = await oci(`/v2/${repo}/blobs/${await digestOf(randomBytes(8))}`);
    expect(missing.status).toBe(404);
    expect(await ociCode(missing)).toBe('BLOB_UNKNOWN');
    const { digest } = await pushBlob(repo, 'config bytes');
    expect(new TextDecoder().decode(await fetchBytes(`/v2/${repo}/blobs/${digest}`))).toBe('config bytes');
  });

  it('02_push "PUT upload of a blob": POST a session, then PUT the whole blob with ?digest= → 201', async () => {
    const repo = uniqueName();
    const bytes = randomBytes(5000);
    const digest = await digestOf(bytes);
    const location = await startSession(repo);
    const put = await oci(`${location}?digest=${digest}`, { method: 'PUT', body: bytes, headers: octets });
    expect(put.status).toBe(201);
    expect(await fetchBytes(`/v2/${repo}/blobs/${digest}`)).toEqual(bytes);
    // The same with a wrong digest: refused, nothing stored, the session gone.
    const other = await startSession(repo);
    const wrong = await digestOf(randomBytes(5000));
    const refused = await oci(`${other}?digest=${wrong}`, {
      method: 'PUT',
      body: randomBytes(5000),
      headers: octets,
    });
    expect(refused.status).toBe(400);
    expect(await ociCode(refused)).toBe('DIGEST_INVALID');
    expect((await oci(`/v2/${repo}/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404);
    expect((await oci(other)).status).toBe(404);
  });

  it('02_push "Blob Upload Chunked": an out-of-order chunk → 416; in order, chunks of any size reassemble byte for byte', async () => {
    const repo = uniqueName();
    const bytes = randomBytes(300_007);
    const digest = await digestOf(bytes);
    const cuts = [0, 1000, 1007, 250_000, bytes.length];
    const outOfOrder = await startSession(repo);
    const refused = await oci(outOfOrder, {
      method: 'PATCH',
      body: bytes.slice(1000, 1007),
      headers: { ...octets, 'Content-Range': '1000-1006', 'Content-Length': '7' },
    });
    expect(refused.status).toBe(416);
    expect(await ociCode(refused)).toBe('BLOB_UPLOAD_INVALID');

    let location = await startSession(repo);
    for (let k = 0; k < cuts.length - 2; k++) {
      const [from, to] = [cuts[k]!, cuts[k + 1]!];
      const res = await oci(location, {
        method: 'PATCH',
        body: bytes.slice(from, to),
        headers: { ...octets, 'Content-Range': `${from}-${to - 1}`, 'Content-Length': String(to - from) },
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('Range')).toBe(`0-${to - 1}`);
      location = res.headers.get('Location')!;
    }
    // A re-sent chunk (the offset already passed) is refused and changes nothing.
    const resent = await oci(location, {
      method: 'PATCH',
      body: bytes.slice(0, 1000),
      headers: { ...octets, 'Content-Range': '0-999', 'Content-Length': '1000' },
    });
    expect(resent.status).toBe(416);
    const last = cuts.at(-2)!;
    const put = await oci(`${location}?digest=${digest}`, {
      method: 'PUT',
      body: bytes.slice(last),
      headers: { ...octets, 'Content-Range': `${last}-${bytes.length - 1}` },
    });
    expect(put.status).toBe(201);
    expect(await fetchBytes(`/v2/${repo}/blobs/${digest}`)).toEqual(bytes);
    // The staged chunks became the blob where they lie (no second write): the blob's key holds an
    // empty pointer to them, and a range across chunks reads through it.
    const id = location.split('/').at(-1);
    expect((await testEnv.BLOBS.list({ prefix: `staging/${id}/` })).objects).toHaveLength(cuts.length - 1);
    expect((await testEnv.BLOBS.head(`blobs/sha256/${digest.slice(7)}`))?.size).toBe(0);
    const ranged = await oci(`/v2/${repo}/blobs/${digest}`, { headers: { Range: 'bytes=900-250099' } });
    expect(ranged.status).toBe(206);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(bytes.slice(900, 250_100));
    expect((await oci(`/v1/blobs/${digest}`, { method: 'HEAD' })).headers.get('Content-Length')).toBe(
      String(bytes.length),
    );
  });

  it('an upload of more chunks than the store points at (33) is copied into one verified put, and its chunks dropped', async () => {
    const repo = uniqueName();
    const bytes = randomBytes(33 * 100);
    const digest = await digestOf(bytes);
    let location = await startSession(repo);
    for (let k = 0; k < 33; k++) {
      const res = await oci(location, {
        method: 'PATCH',
        body: bytes.slice(k * 100, (k + 1) * 100),
        headers: { ...octets, 'Content-Range': `${k * 100}-${k * 100 + 99}`, 'Content-Length': '100' },
      });
      expect(res.status).toBe(202);
      location = res.headers.get('Location')!;
    }
    const put = await oci(`${location}?digest=${digest}`, {
      method: 'PUT',
      headers: { 'Content-Length': '0' },
    });
    expect(put.status).toBe(201);
    expect(await fetchBytes(`/v2/${repo}/blobs/${digest}`)).toEqual(bytes);
    expect((await testEnv.BLOBS.head(`blobs/sha256/${digest.slice(7)}`))?.size).toBe(bytes.length);
    const id = location.split('/').at(-1);
    expect((await testEnv.BLOBS.list({ prefix: `staging/${id}/` })).objects).toEqual([]);
  });

  it('a chunked PATCH (no Content-Length: podman and docker compress as they send) is staged in 16 MiB pieces as it streams', async () => {
    const repo = uniqueName();
    const bytes = randomBytes(16 * 1024 * 1024 + 70_001);
    const digest = await digestOf(bytes);
    const location = await startSession(repo);
    // A stream of unknown length (a Blob's stream would carry its size): sent chunked.
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + 1_000_000));
        at += 1_000_000;
      },
    });
    const patched = await oci(location, { method: 'PATCH', body, headers: octets });
    expect(patched.status).toBe(202);
    expect(patched.headers.get('Range')).toBe(`0-${bytes.length - 1}`);
    const id = location.split('/').at(-1);
    expect((await testEnv.BLOBS.list({ prefix: `staging/${id}/` })).objects.map((o) => o.size)).toEqual([
      16 * 1024 * 1024,
      70_001,
    ]);
    const put = await oci(`${patched.headers.get('Location')}?digest=${digest}`, {
      method: 'PUT',
      headers: { 'Content-Length': '0' },
    });
    expect(put.status).toBe(201);
    // Compared by digest: a deep equality of 16 MiB arrays exhausts the test isolate's heap.
    expect(await digestOf(await fetchBytes(`/v2/${repo}/blobs/${digest}`))).toBe(digest);
  });

  it('a completion with the wrong digest → 400 DIGEST_INVALID: the session and its chunks are gone, no blob', async () => {
    const repo = uniqueName();
    const bytes = randomBytes(4096);
    const wrong = await digestOf(randomBytes(4096));
    const location = await startSession(repo);
    expect((await oci(location, { method: 'PATCH', body: bytes, headers: octets })).status).toBe(202);
    const put = await oci(`${location}?digest=${wrong}`, {
      method: 'PUT',
      headers: { 'Content-Length': '0' },
    });
    expect(put.status).toBe(400);
    expect(await ociCode(put)).toBe('DIGEST_INVALID');
    expect((await oci(`/v2/${repo}/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404);
    expect((await oci(`/v2/${repo}/blobs/${await digestOf(bytes)}`, { method: 'HEAD' })).status).toBe(404);
    const status = await oci(location);
    expect(status.status).toBe(404);
    expect(await ociCode(status)).toBe('BLOB_UPLOAD_UNKNOWN');
    const id = location.split('/').at(-1);
    expect((await testEnv.BLOBS.list({ prefix: `staging/${id}` })).objects).toEqual([]);
  });

  it('a monolithic push with the wrong digest → 400 DIGEST_INVALID, nothing stored', async () => {
    const repo = uniqueName();
    const wrong = await digestOf('something else');
    const res = await oci(`/v2/${repo}/blobs/uploads/?digest=${wrong}`, {
      method: 'POST',
      body: 'these bytes',
    });
    expect(res.status).toBe(400);
    expect(await ociCode(res)).toBe('DIGEST_INVALID');
    expect((await oci(`/v2/${repo}/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('upload status (GET) → 204 with Range; DELETE cancels it → 204, then 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const repo = uniqueName();
    const location = await startSession(repo);
    await oci(location, { method: 'PATCH', body: randomBytes(10), headers: octets });
    const status = await oci(location);
    expect(status.status).toBe(204);
    expect(status.headers.get('Range')).toBe('0-9');
    expect((await oci(location, { method: 'DELETE' })).status).toBe(204);
    const gone = await oci(location);
    expect(gone.status).toBe(404);
    expect(await ociCode(gone)).toBe('BLOB_UPLOAD_UNKNOWN');
    // A session of one repository is unknown in another.
    const other = await startSession(repo);
    const elsewhere = other.replace(repo, uniqueName());
    expect((await oci(elsewhere)).status).toBe(404);
  });

  it("a chunked PATCH past one request's limit (an endless body) → 413 SIZE_INVALID, its staged pieces deleted, the session unchanged", async () => {
    const repo = uniqueName();
    const location = await startSession(repo);
    const piece = randomBytes(1024 * 1024);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(piece.slice());
      },
    });
    const res = await oci(location, { method: 'PATCH', body: endless, headers: octets });
    expect(res.status).toBe(413);
    const error = ((await res.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
    expect(error.code).toBe('SIZE_INVALID');
    // It names the per-request limit and the way round it, not a (wrong) limit on the blob.
    expect(error.message).toMatch(/chunk sent without Content-Length is at most \d+ bytes.*Content-Length/);
    expect((await oci(location)).headers.get('Range')).toBe('0-0');
    const id = location.split('/').at(-1);
    expect((await testEnv.BLOBS.list({ prefix: `staging/${id}/` })).objects).toEqual([]);
  });

  it('two chunks sent at once for the same offset: one is taken (202), the other refused (409 or 416), and the upload holds exactly one', async () => {
    const repo = uniqueName();
    const location = await startSession(repo);
    const [a, b] = [randomBytes(200_000), randomBytes(200_000)];
    const answers = await Promise.all(
      [a, b].map((bytes) =>
        oci(location, { method: 'PATCH', body: bytes, headers: { ...octets, 'Content-Range': '0-199999' } }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses[0]).toBe(202);
    expect([409, 416]).toContain(statuses[1]);
    expect(await ociCode(answers.find((r) => r.status !== 202)!)).toBe('BLOB_UPLOAD_INVALID');
    expect((await oci(location)).headers.get('Range')).toBe('0-199999');
    const winner = answers[0]!.status === 202 ? a : b;
    const digest = await digestOf(winner);
    const put = await oci(`${location}?digest=${digest}`, {
      method: 'PUT',
      headers: { 'Content-Length': '0' },
    });
    expect(put.status).toBe(201);
    expect(await fetchBytes(`/v2/${repo}/blobs/${digest}`)).toEqual(winner);
  });

  it('Content-Range nonsense → 416 BLOB_UPLOAD_INVALID', async () => {
    const repo = uniqueName();
    const location = await startSession(repo);
    for (const range of ['9-3', 'bytes=0-9', 'abc']) {
      const res = await oci(location, {
        method: 'PATCH',
        body: randomBytes(10),
        headers: { 'Content-Range': range },
      });
      expect(res.status, range).toBe(416);
    }
  });
});

describe('mounting and reading blobs', () => {
  it('02_push / 04_management "cross-repository mount": a readable blob mounts at once → 201; an unknown one starts a session → 202', async () => {
    const from = uniqueName();
    const to = uniqueName();
    const { digest } = await pushBlob(from, randomBytes(100));
    const mounted = await oci(`/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' });
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get('Location')).toBe(`/v2/${to}/blobs/${digest}`);
    expect(mounted.headers.get('Docker-Content-Digest')).toBe(digest);
    const unknown = await digestOf(randomBytes(100));
    const fallback = await oci(`/v2/${to}/blobs/uploads/?mount=${unknown}&from=${from}`, { method: 'POST' });
    expect(fallback.status).toBe(202);
  });

  it('01_pull "HEAD request to blob" → 200 with Content-Length and Docker-Content-Digest, no body; Range → 206; a range past the end → 416', async () => {
    const repo = uniqueName();
    const bytes = randomBytes(1000);
    const { digest } = await pushBlob(repo, bytes);
    const head = await oci(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('Content-Length')).toBe('1000');
    expect(head.headers.get('Docker-Content-Digest')).toBe(digest);
    const part = await oci(`/v2/${repo}/blobs/${digest}`, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(10, 20));
    const past = await oci(`/v2/${repo}/blobs/${digest}`, { headers: { Range: 'bytes=5000-6000' } });
    expect(past.status).toBe(416);
    expect(await ociCode(past)).toBe('SIZE_INVALID');
  });

  it('a malformed digest → 400 DIGEST_INVALID; a name outside ns/name → 400 NAME_INVALID', async () => {
    expect(await ociCode(await oci(`/v2/${uniqueName()}/blobs/sha256:abc`))).toBe('DIGEST_INVALID');
    expect(await ociCode(await oci(`/v2/${uniqueName()}/blobs/md5:${'0'.repeat(32)}`))).toBe(
      'DIGEST_INVALID',
    );
    const digest = await digestOf('x');
    for (const name of ['a/b/c', 'Acme/model', 'solo', '-bad/name']) {
      const res = await oci(`/v2/${name}/blobs/${digest}`);
      expect(res.status, name).toBe(400);
      expect(await ociCode(res), name).toBe('NAME_INVALID');
    }
  });

  it('04_management "DELETE blob": blobs are shared, so 405 UNSUPPORTED (garbage collection removes them)', async () => {
    const repo = uniqueName();
    const { digest } = await pushBlob(repo, randomBytes(10));
    const res = await oci(`/v2/${repo}/blobs/${digest}`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(await ociCode(res)).toBe('UNSUPPORTED');
    expect((await oci(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200);
  });
});
