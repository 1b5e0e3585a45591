/** `/ui`: every artifact the caller may see, searchable by name prefix, 50 a page. */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { pageQuerySchema } from '../validation';
import { Pager, Table, Time } from './components';
import { formatNumber } from './format';
import { page } from './layout';
import { parseWith } from './params';
import { listArtifactItems } from './queries';
import { artifactUrl, listUrl, versionUrl } from './urls';

const PAGE_SIZE = 50;

const listQuery = pageQuerySchema.pick({ cursor: true }).extend({
  prefix: z
    .string()
    .regex(/^[a-z0-9._/-]{0,129}$/, 'a prefix is the start of an ns/name (lowercase a-z, 0-9, . _ - /)')
    .optional(),
});

export async function artifactsPage(c: Context<AppEnv>) {
  const { prefix, cursor } = parseWith(listQuery, c.req.query(), 'query');
  const list = await listArtifactItems(c.var.deps, c.var.principal, {
    prefix,
    after: cursor,
    limit: PAGE_SIZE,
  });
  const protectedTags = c.var.deps.config.protectedTags;
  return page(
    c,
    prefix ? `Artifacts: ${prefix}` : 'Artifacts',
    <>
      <h1>Artifacts</h1>
      <form class="inline" method="get" action={listUrl()}>
        <label for="prefix">Name starts with</label>
        <input id="prefix" name="prefix" type="search" value={prefix ?? ''} placeholder="acme/" />
        <button type="submit">Search</button>
      </form>
      <Table
        head={['Name', 'Kind', 'Latest', 'Versions', 'Tags', 'Created']}
        numeric={['Latest', 'Versions']}
        empty={
          list.items.length === 0 && (prefix ? `No artifact starts with “${prefix}”.` : 'No artifacts yet.')
        }
      >
        {list.items.map((a) => (
          <tr>
            <td>
              <a href={artifactUrl(a.name)}>{a.name}</a>
            </td>
            <td>{a.kind}</td>
            <td class="num">
              {a.latestVersion === null ? (
                '—'
              ) : (
                <a href={versionUrl(a.name, a.latestVersion)}>v{a.latestVersion}</a>
              )}
            </td>
            <td class="num">{formatNumber(a.versionCount)}</td>
            <td>
              {a.tags.map((t) => (
                <a
                  class={protectedTags.includes(t.tag) ? 'chip protected' : 'chip'}
                  href={versionUrl(a.name, t.version)}
                >
                  {t.tag} → v{t.version}
                </a>
              ))}
            </td>
            <td>
              <Time iso={a.createdAt} />
            </td>
          </tr>
        ))}
      </Table>
      <Pager
        first={cursor ? listUrl({ prefix }) : undefined}
        next={list.nextCursor ? listUrl({ prefix, cursor: list.nextCursor }) : undefined}
      />
    </>,
  );
}
