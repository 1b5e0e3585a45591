/**
 * `GET /v2/_catalog` (Distribution Spec "Listing repositories", an optional endpoint that
 * clients such as `skopeo`'s and `oras repo ls` use): the repositories the token may read, in
 * order, `n`/`last` paginated with a `Link` header like the tags list. A namespace-limited
 * token lists only its namespaces' repositories.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { NO_CACHE } from '../../http/caching';
import { requireScope } from '../../middleware/auth';
import { listRepositories } from '../../services/oci/reads';
import { validate } from '../../validation';
import { pageQuery, paging } from './common';

export const ociCatalogRoutes = new Hono<AppEnv>().get(
  '/_catalog',
  requireScope('read'),
  validate('query', pageQuery),
  async (c) => {
    const { n, last } = c.req.valid('query');
    const page = paging('/v2/_catalog', n);
    const namespaces = c.var.principal?.namespaces ?? null;
    const repositories =
      page.limit === 0 ? [] : await listRepositories(c.var.deps, namespaces, page.limit, last);
    return c.json({ repositories }, 200, { 'Cache-Control': NO_CACHE, ...page.link(repositories) });
  },
);
