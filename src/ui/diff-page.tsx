/** `/ui/diff?from={ref}&to={ref}`: two versions compared pillar by pillar; a form to pick them. */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { requireResolved } from '../http/refs';
import { diffVersions } from '../services/diff';
import { refSchema } from '../validation';
import { DiffView } from './diff-view';
import { page } from './layout';
import { parseWith } from './params';

const diffQuery = z.object({
  from: z.string().max(400).optional(),
  to: z.string().max(400).optional(),
});

function RefForm({ from, to }: { from?: string | undefined; to?: string | undefined }) {
  return (
    <form class="inline" method="get" action="/ui/diff">
      <label for="from">from</label>
      <input id="from" name="from" type="text" value={from ?? ''} placeholder="acme/model@1" required />
      <label for="to">to</label>
      <input id="to" name="to" type="text" value={to ?? ''} placeholder="acme/model:production" required />
      <button type="submit">Compare</button>
    </form>
  );
}

export async function diffPage(c: Context<AppEnv>) {
  const query = parseWith(diffQuery, c.req.query(), 'query');
  if (!query.from || !query.to) {
    return page(
      c,
      'Compare versions',
      <>
        <h1>Compare two versions</h1>
        <p class="muted">Refs: ns/name:tag, ns/name@number or ns/name@sha256:…</p>
        <RefForm from={query.from} to={query.to} />
      </>,
    );
  }
  const from = parseWith(refSchema, query.from, 'query field "from"');
  const to = parseWith(refSchema, query.to, 'query field "to"');
  const [a, b] = await Promise.all([requireResolved(c, from), requireResolved(c, to)]);
  const diff = await diffVersions(c.var.deps, a, b);
  return page(
    c,
    `Diff ${from.raw} → ${to.raw}`,
    <>
      <h1>What changed</h1>
      <RefForm from={query.from} to={query.to} />
      <DiffView diff={diff} />
    </>,
  );
}
