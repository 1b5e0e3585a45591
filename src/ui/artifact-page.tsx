/**
 * `/ui/artifacts/{ns}/{name}`: the versions (newest first, 50 a page: number, digest, created,
 * size, files, tags, key metrics), the tags and their history (who moved what, from → to, why).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { formatBytes } from '../lib/format';
import { Digest, Facts, Pager, Table, TagChips, Time } from './components';
import { formatNumber } from './format';
import { page } from './layout';
import { artifactFromPath, parseWith } from './params';
import { artifactOverview, type TagEventItem } from './queries';
import { artifactUrl, diffUrl, explainUrl, listUrl, versionUrl } from './urls';

const VERSIONS_PER_PAGE = 50;
const EVENTS_PER_PAGE = 20;
/** Metrics shown per row; the version page has them all. */
const KEY_METRICS = 3;

const position = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional();
const overviewQuery = z.object({ cursor: position, events: position });

function VersionSide({ artifact, side }: { artifact: string; side: TagEventItem['from'] }) {
  if (!side) return <span class="muted">none</span>;
  return side.version === null ? (
    <Digest digest={side.digest} />
  ) : (
    <a href={versionUrl(artifact, side.version)}>v{side.version}</a>
  );
}

export async function artifactPage(c: Context<AppEnv>) {
  const { cursor, events } = parseWith(overviewQuery, c.req.query(), 'query');
  const artifact = await artifactFromPath(c);
  const name = artifact.name;
  const view = await artifactOverview(c.var.deps, artifact.id, {
    before: cursor,
    limit: VERSIONS_PER_PAGE,
    eventsBefore: events,
    eventLimit: EVENTS_PER_PAGE,
  });
  const protectedTags = c.var.deps.config.protectedTags;
  // Two lists page independently: each pager moves its own cursor and keeps the other's.
  const position = { cursor: cursor?.toString(), events: events?.toString() };
  const pager = (key: keyof typeof position, next: string | null, anchor: string) => ({
    first: position[key] ? `${artifactUrl(name, { ...position, [key]: undefined })}#${anchor}` : undefined,
    next: next ? `${artifactUrl(name, { ...position, [key]: next })}#${anchor}` : undefined,
  });
  return page(
    c,
    name,
    <>
      <p class="crumbs">
        <a href={listUrl()}>Artifacts</a> /{' '}
        <a href={listUrl({ prefix: `${artifact.namespace}/` })}>{artifact.namespace}</a>
      </p>
      <h1>{name}</h1>
      <Facts
        items={[
          ['kind', artifact.kind],
          ['versions', formatNumber(view.versionCount)],
          [
            'created',
            <>
              <Time iso={new Date(artifact.createdAt).toISOString()} /> by {artifact.createdBy}
            </>,
          ],
        ]}
      />

      <h2>Tags</h2>
      <Table head={['Tag', 'Version', 'Moved', 'By', '']} empty={view.tags.length === 0 && 'No tags.'}>
        {view.tags.map((t) => (
          <tr>
            <td>
              <TagChips artifact={name} tags={[t.tag]} protectedTags={protectedTags} />
            </td>
            <td>
              <a href={versionUrl(name, t.version)}>v{t.version}</a> <Digest digest={t.digest} />
            </td>
            <td>
              <Time iso={t.updatedAt} />
            </td>
            <td>{t.updatedBy}</td>
            <td>
              <a href={explainUrl(name, t.tag)}>what changed?</a>
            </td>
          </tr>
        ))}
      </Table>

      <h2 id="versions">Versions</h2>
      <Table
        head={['#', 'Digest', 'Created', 'Size', 'Files', 'Tags', 'Metrics', '']}
        numeric={['#', 'Size', 'Files']}
        empty={view.versions.items.length === 0 && `No versions${cursor ? ' on this page' : ''}.`}
      >
        {view.versions.items.map((v) => (
          <tr>
            <td class="num">
              <a href={versionUrl(name, v.version)}>v{v.version}</a>
            </td>
            <td>
              <Digest digest={v.digest} />
            </td>
            <td>
              <Time iso={v.createdAt} />
              <br />
              <span class="muted">{v.createdBy}</span>
            </td>
            <td class="num">{formatBytes(v.size)}</td>
            <td class="num">{formatNumber(v.fileCount)}</td>
            <td>
              <TagChips artifact={name} tags={v.tags} protectedTags={protectedTags} />
            </td>
            <td>
              {Object.keys(v.metrics)
                .sort()
                .slice(0, KEY_METRICS)
                .map((k) => (
                  <div>
                    <code>{k}</code> {formatNumber(v.metrics[k]!)}
                  </div>
                ))}
            </td>
            <td>
              {v.version > 1 ? (
                <a href={diffUrl(`${name}@${v.version - 1}`, `${name}@${v.version}`)}>diff</a>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      <Pager label="version pages" {...pager('cursor', view.versions.nextCursor, 'versions')} />

      <h2 id="history">Tag history</h2>
      <Table
        head={['When', 'Tag', 'From → to', 'By', 'Reason']}
        empty={view.events.items.length === 0 && 'No tag moves.'}
      >
        {view.events.items.map((e) => (
          <tr>
            <td>
              <Time iso={e.at} />
            </td>
            <td>
              <span class={protectedTags.includes(e.tag) ? 'chip protected' : 'chip'}>{e.tag}</span>
            </td>
            <td>
              <VersionSide artifact={name} side={e.from} /> → <VersionSide artifact={name} side={e.to} />
            </td>
            <td>{e.by}</td>
            <td>{e.reason ?? ''}</td>
          </tr>
        ))}
      </Table>
      <Pager label="tag history pages" {...pager('events', view.events.nextCursor, 'history')} />
    </>,
  );
}
