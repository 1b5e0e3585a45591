/**
 * A plain-HTTP front for a local Cairn, for clients that try HTTPS first (containers/image:
 * skopeo, podman). Local `wrangler dev` neither speaks TLS nor closes a connection that opens
 * with a TLS ClientHello, so such a client waits 10 s for its handshake to time out on every
 * invocation before it falls back to HTTP. This front closes TLS attempts at once (the first
 * byte of a ClientHello is 0x16) and pipes everything else to the server untouched. A deployed
 * Cairn is HTTPS and needs nothing of the kind.
 *
 *   const front = await httpOnlyFront(server.url);   // { host: '127.0.0.1:<port>', close() }
 */
import { createConnection, createServer } from 'node:net';

const TLS_HANDSHAKE = 0x16;

export function httpOnlyFront(upstreamUrl) {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set();
  const front = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.once('data', (first) => {
      if (first[0] === TLS_HANDSHAKE) {
        client.destroy();
        return;
      }
      const server = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
      sockets.add(server);
      server.on('close', () => sockets.delete(server));
      server.write(first);
      client.pipe(server).pipe(client);
      const end = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', end);
      server.on('error', end);
    });
    client.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    front.on('error', reject);
    front.listen(0, '127.0.0.1', () => {
      resolve({
        host: `127.0.0.1:${front.address().port}`,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            front.close(() => done());
          }),
      });
    });
  });
}
