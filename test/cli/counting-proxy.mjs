/**
 * A small HTTP proxy for the CLI tests, between the `cairn` command and the registry: it counts
 * every request (method, path, request-body bytes, status) so tests can assert how many check
 * round trips, uploads or parts a command made; it can tamper with response bodies to prove
 * that downloads are verified, and answer requests itself to stage what a test cannot provoke
 * (a 409 BLOB_BUSY from a garbage collection in progress).
 *
 *   const proxy = await startProxy(server.url);
 *   proxy.url; proxy.requests (array of {method, path, bytes, status, at (arrival, ms)}); proxy.reset();
 *   proxy.count('PUT', /^\/v1\/blobs\//); proxy.bytes('PUT', /^\/v1\/blobs\//)
 *   proxy.tamper = (req) => boolean   // flip the first byte of matching response bodies
 *   proxy.onResponse = (entry) => {}  // called when a response has been sent
 *   proxy.before = async (req) => {}  // awaited before a request is forwarded (to stage a race)
 *   proxy.uplink = bytesPerSecond     // null (default): as fast as the loopback. A number: request
 *                                     // bodies share one link of that rate (a slow uplink to a
 *                                     // remote registry; no added latency), for the benches
 *   proxy.respond = (req) => null | { status, headers, json }
 *                                     // answer a request here instead of forwarding it (its body is
 *                                     // read and counted first); recorded with `injected: true`
 *   await proxy.stop();
 */
import http from 'node:http';

export async function startProxy(target) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const proxy = {
    requests: [],
    tamper: null,
    onResponse: null,
    before: null,
    respond: null,
    uplink: null,
    reset() {
      proxy.requests = [];
    },
    matching(method, pathRe) {
      return proxy.requests.filter((r) => r.method === method && pathRe.test(r.path));
    },
    count(method, pathRe) {
      return proxy.matching(method, pathRe).length;
    },
    bytes(method, pathRe) {
      return proxy.matching(method, pathRe).reduce((n, r) => n + r.bytes, 0);
    },
  };
  const server = http.createServer(async (req, res) => {
    // The body stays paused (no listener yet) while `before` runs, so nothing is lost.
    await proxy.before?.(req);
    const entry = {
      method: req.method,
      path: req.url.split('?')[0],
      bytes: 0,
      status: 0,
      done: false,
      at: Date.now(),
    };
    proxy.requests.push(entry);
    const injected = proxy.respond?.(req) ?? null;
    if (injected) {
      for await (const chunk of req) entry.bytes += chunk.length;
      const body = JSON.stringify(injected.json ?? {});
      entry.status = injected.status;
      entry.injected = true;
      res.writeHead(injected.status, { 'content-type': 'application/json', ...injected.headers });
      res.end(body);
      entry.done = true;
      proxy.onResponse?.(entry);
      return;
    }
    const flip = proxy.tamper?.(req) ?? false;
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (upRes) => {
        entry.status = upRes.statusCode;
        res.writeHead(upRes.statusCode, upRes.headers);
        let first = true;
        upRes.on('data', (chunk) => {
          if (flip && first && chunk.length > 0) {
            chunk = Buffer.from(chunk);
            chunk[0] ^= 0xff;
          }
          first = false;
          res.write(chunk);
        });
        upRes.on('end', () => {
          res.end();
          entry.done = true;
          proxy.onResponse?.(entry);
        });
      },
    );
    out.on('error', () => res.destroy());
    req.on('aborted', () => out.destroy());
    res.on('close', () => {
      if (!entry.done) out.destroy();
    });
    if (proxy.uplink) {
      sendOverLink(req, out, entry);
    } else {
      req.on('data', (chunk) => {
        entry.bytes += chunk.length;
      });
      req.pipe(out);
    }
  });
  // One link for every request: a chunk leaves when the link has carried the chunks before it.
  let linkFreeAt = 0;
  async function sendOverLink(req, out, entry) {
    try {
      for await (const chunk of req) {
        entry.bytes += chunk.length;
        const now = performance.now();
        linkFreeAt = Math.max(now, linkFreeAt) + (chunk.length / proxy.uplink) * 1000;
        await new Promise((resolve) => setTimeout(resolve, linkFreeAt - now));
        if (!out.write(chunk)) {
          await new Promise((resolve) => {
            const done = () => {
              out.off('drain', done);
              out.off('close', done);
              resolve();
            };
            out.on('drain', done);
            out.on('close', done);
          });
        }
      }
      out.end();
    } catch {
      out.destroy();
    }
  }
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.stop = () =>
    new Promise((resolve) => {
      agent.destroy();
      server.closeAllConnections();
      server.close(resolve);
    });
  return proxy;
}
