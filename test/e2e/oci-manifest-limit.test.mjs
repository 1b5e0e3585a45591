/**
 * A manifest PUT above 4 MiB sent with chunked transfer encoding (no Content-Length, so nothing
 * can be refused from the headers) against the real `npm start` server: `413 SIZE_INVALID` in
 * the OCI error shape, and nothing stored (no tag, no manifest, no repository). Mirrors the
 * conformance suite's push checks for an oversized manifest (distribution-spec: registries
 * "SHOULD accept at least 4 MiB"; larger is 413).
 *
 * That the refusal comes WHILE the body streams (it is counted, never buffered whole) is proven
 * in workerd by test/unit/oci-manifests.test.ts with an endless body: through `wrangler dev`'s
 * local proxy an answer is not seen before the client ends its body (probed: the proxy stops
 * reading a few hundred KiB into an unfinished body and answers once it ends).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startServer } from './harness.mjs';

const MiB = 1024 * 1024;
let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

const basic = () => `Basic ${Buffer.from(`oci:${server.token}`).toString('base64')}`;

/** PUTs `size` bytes of JSON-ish filler in 64 KiB chunks, chunked (node sends no Content-Length). */
function putChunked(path, size) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), {
      method: 'PUT',
      headers: { Authorization: basic(), 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    req.on('response', (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    assert.equal(req.getHeader('content-length'), undefined);
    const piece = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    req.write('{"schemaVersion":2,"x":"');
    const pump = () => {
      while (sent < size) {
        sent += piece.length;
        if (!req.write(piece)) return req.once('drain', pump);
      }
      req.end('"}');
    };
    pump();
  });
}

test('a chunked manifest PUT above 4 MiB → 413 SIZE_INVALID; nothing stored', {
  timeout: 120_000,
}, async () => {
  const repo = `acme/chunked-${Date.now().toString(36)}`;
  const res = await putChunked(`/v2/${repo}/manifests/v1`, 6 * MiB);
  assert.equal(res.status, 413, res.body);
  assert.equal(JSON.parse(res.body).errors[0].code, 'SIZE_INVALID');
  const headers = { Authorization: basic() };
  assert.equal((await fetch(`${server.url}/v2/${repo}/manifests/v1`, { headers })).status, 404);
  const tags = await fetch(`${server.url}/v2/${repo}/tags/list`, { headers });
  assert.equal(tags.status, 404);
  assert.equal((await tags.json()).errors[0].code, 'NAME_UNKNOWN');
  const catalog = await (
    await fetch(`${server.url}/v2/_catalog?n=1000&last=acme/chunked-`, { headers })
  ).json();
  assert.ok(!catalog.repositories.includes(repo));
});
