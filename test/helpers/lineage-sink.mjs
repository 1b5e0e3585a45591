/**
 * A local OpenLineage HTTP sink for the e2e test and the bench: records every POSTed event and
 * answers per namespace of the event's artifact, as told: `ok` (201), `fail` (500) or `hang`
 * (never answers; `close()` drops those connections).
 *
 *   const sink = await startSink(port);   sink.set('ns', 'fail'); sink.eventsOf('ns'); sink.attempts
 */
import { createServer } from 'node:http';

/** The local lineage service: records every POST; answers per namespace (`ok`, `fail`, `hang`). */
export function startSink(port) {
  const received = [];
  const attempts = new Map();
  const behaviour = new Map();
  const hung = new Set();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const event = JSON.parse(body);
      const ns = namespaceOf(event);
      attempts.set(ns, (attempts.get(ns) ?? 0) + 1);
      const mode = behaviour.get(ns) ?? 'ok';
      if (mode === 'hang') {
        hung.add(res);
        return;
      }
      if (mode === 'fail') {
        res.writeHead(500).end('sink down');
        return;
      }
      received.push({ event, authorization: req.headers.authorization, path: req.url });
      res.writeHead(201, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        received,
        attempts,
        set: (ns, mode) => behaviour.set(ns, mode),
        eventsOf: (ns) => received.filter((r) => namespaceOf(r.event) === ns).map((r) => r.event),
        close: () => {
          for (const res of hung) res.destroy();
          server.closeAllConnections?.();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

/** The namespace of an event's output (publish) or tagged artifact (tag move). */
export function namespaceOf(event) {
  const name = event.outputs?.[0]?.name ?? event.run?.facets?.cairn_tagMove?.artifact ?? '';
  return name.split('/')[0];
}
