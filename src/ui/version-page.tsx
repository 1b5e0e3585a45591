/**
 * `/ui/artifacts/{ns}/{name}/versions/{sel}` (sel = number, tag or digest): what the version is
 * made of (code, environment, params, inputs), its files with download links, its metrics, its
 * signatures (attestations-view.tsx), and its lineage drawn as a graph, upstream and downstream.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { manifestPath } from '../contract/urls';
import type { AppEnv } from '../env';
import { formatBytes } from '../lib/format';
import { flatten } from '../services/diff/values';
import { lineage } from '../services/lineage';
import { versionDetail } from '../services/versions';
import { Attestations, attestationsOf } from './attestations-view';
import { Digest, Facts, KeyValues, Note, Pager, Table, TagChips, Time } from './components';
import { formatNumber, formatValue } from './format';
import { page } from './layout';
import { LineageSvg } from './lineage-svg';
import { parseWith, versionFromPath } from './params';
import { artifactUrl, diffUrl, fileUrl, listUrl, versionUrl } from './urls';

/** Levels walked each way, and nodes drawn: a graph beyond ~100 boxes is no longer readable. */
const GRAPH_DEPTH = 6;
const GRAPH_MAX_NODES = 100;
const FILES_PER_PAGE = 200;

const versionQuery = z.object({
  files: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
});

export async function versionPage(c: Context<AppEnv>) {
  const { files: offset } = parseWith(versionQuery, c.req.query(), 'query');
  const { artifact, version } = await versionFromPath(c);
  const [detail, graph, signatures] = await Promise.all([
    versionDetail(c.var.deps, artifact, version),
    lineage(
      c.var.deps,
      version,
      { direction: 'both', depth: GRAPH_DEPTH, maxNodes: GRAPH_MAX_NODES },
      c.var.principal,
    ),
    attestationsOf(c.var.deps, artifact, version),
  ]);
  const { manifest } = detail;
  const name = artifact.name;
  const protectedTags = c.var.deps.config.protectedTags;
  const known = new Map(graph.nodes.map((n) => [n.digest, n]));
  const shownFiles = manifest.files.slice(offset, offset + FILES_PER_PAGE);
  const stored = new Map(detail.files.map((f) => [f.path, f]));
  const here = (files: number) =>
    `${versionUrl(name, version.number)}${files ? `?files=${files}` : ''}#files`;
  const code = manifest.code;
  const env = manifest.environment;
  return page(
    c,
    `${name} v${version.number}`,
    <>
      <p class="crumbs">
        <a href={listUrl()}>Artifacts</a> / <a href={artifactUrl(name)}>{name}</a>
      </p>
      <h1>
        {name} <span class="muted">v{version.number}</span>
      </h1>
      <Facts
        items={[
          ['digest', <Digest digest={version.digest} full />],
          ['kind', artifact.kind],
          [
            'tags',
            detail.tags.length ? (
              <TagChips artifact={name} tags={detail.tags} protectedTags={protectedTags} />
            ) : (
              '—'
            ),
          ],
          [
            'created',
            <>
              <Time iso={detail.createdAt} /> by {detail.createdBy}
            </>,
          ],
          [
            'size',
            `${formatBytes(detail.size)} in ${formatNumber(detail.fileCount)} ${detail.fileCount === 1 ? 'file' : 'files'}`,
          ],
          // Chunk-level dedup: what this version added to the store, against its logical size.
          ['stored', `${formatBytes(detail.storedSize)} new of ${formatBytes(detail.size)}`],
          [
            'compare',
            <>
              {version.number > 1 ? (
                <a href={diffUrl(`${name}@${version.number - 1}`, `${name}@${version.number}`)}>
                  with v{version.number - 1}
                </a>
              ) : null}
              <form class="inline" method="get" action="/ui/diff">
                <input type="hidden" name="to" value={`${name}@${version.number}`} />
                <label for="compare-from">compare with…</label>
                <input id="compare-from" name="from" type="text" placeholder={`${name}:production`} />
                <button type="submit">Diff</button>
              </form>
            </>,
          ],
        ]}
      />

      <h2>Lineage</h2>
      <p class="legend">
        Inputs above, what was built from them below. Thick blue: this version; red outline: a protected tag (
        {protectedTags.join(', ')}) points there. Click a box to open it.
      </p>
      <div class="graph">
        <LineageSvg graph={graph} current={version.digest} protectedTags={protectedTags} />
      </div>
      {graph.truncated ? <Note>Only the {GRAPH_MAX_NODES} closest versions are drawn.</Note> : null}
      {graph.hidden > 0 ? (
        <Note>{graph.hidden} versions in namespaces this token cannot see are left out.</Note>
      ) : null}

      <h2>Inputs</h2>
      <Table head={['Role', 'Version', 'As published']} empty={manifest.inputs.length === 0 && 'No inputs.'}>
        {manifest.inputs.map((input) => {
          const node = known.get(input.digest);
          return (
            <tr>
              <td>{input.role}</td>
              <td>
                {node ? (
                  <a href={versionUrl(node.artifact, node.version)}>
                    {node.artifact} v{node.version}
                  </a>
                ) : (
                  <Digest digest={input.digest} />
                )}
              </td>
              <td>
                <code>{input.ref}</code>
              </td>
            </tr>
          );
        })}
      </Table>

      <h2>Code</h2>
      {code ? (
        <Facts
          items={[
            ['repo', code.repo ? <code>{code.repo}</code> : '—'],
            ['commit', code.commit ? <code>{code.commit}</code> : '—'],
            ['path', code.path ? <code>{code.path}</code> : '—'],
            ['dirty', code.dirty === undefined ? '—' : String(code.dirty)],
          ]}
        />
      ) : (
        <p class="muted">No code recorded.</p>
      )}

      <h2>Environment</h2>
      {env ? (
        <>
          <Facts
            items={[
              ['image', env.image ? <code>{env.image}</code> : '—'],
              [
                'runtime',
                env.runtime
                  ? Object.entries(env.runtime).map(([k, v]) => <span class="chip">{`${k} ${v}`}</span>)
                  : '—',
              ],
            ]}
          />
          {env.lockfiles?.length ? (
            <ul class="plain">
              {env.lockfiles.map((l) => (
                <li>
                  <code>{l.path}</code> <Digest digest={l.digest} />
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : (
        <p class="muted">No environment recorded.</p>
      )}

      <h2>Params</h2>
      <KeyValues entries={[...flatten(manifest.params)]} empty="No params." />

      <h2>Metrics</h2>
      <KeyValues
        entries={Object.entries(detail.metrics).sort(([a], [b]) => (a < b ? -1 : 1))}
        empty="No metrics."
      />
      {detail.metricsHistory.length > 1 ? (
        <p class="muted">{detail.metricsHistory.length} annotations, merged (later ones win).</p>
      ) : null}

      <Attestations {...signatures} />

      <h2>Labels</h2>
      <KeyValues entries={Object.entries(detail.labels)} empty="No labels." />

      <h2 id="files">Files</h2>
      <Table
        head={['Path', 'Size', 'Stored', 'Digest']}
        numeric={['Size', 'Stored']}
        empty={manifest.files.length === 0 && 'No files.'}
      >
        {shownFiles.map((f) => (
          <tr>
            <td>
              <a href={fileUrl(name, version.number, f.path)} download>
                {f.path}
              </a>
            </td>
            <td class="num">{formatBytes(f.size)}</td>
            <td
              class="num"
              title={stored.get(f.path)?.chunked ? 'chunked: bytes of new chunks' : 'stored whole'}
            >
              {formatBytes(stored.get(f.path)?.storedSize ?? f.size)}
            </td>
            <td>
              <Digest digest={f.digest} />
            </td>
          </tr>
        ))}
      </Table>
      {manifest.files.length > FILES_PER_PAGE ? (
        <p class="muted">
          Files {formatNumber(offset + 1)}–{formatNumber(offset + shownFiles.length)} of{' '}
          {formatNumber(manifest.files.length)}.
        </p>
      ) : null}
      <Pager
        label="file pages"
        first={offset > 0 ? here(0) : undefined}
        next={offset + FILES_PER_PAGE < manifest.files.length ? here(offset + FILES_PER_PAGE) : undefined}
      />
      <p class="muted">
        Manifest: <code>{formatValue(manifestPath(version.digest))}</code>
      </p>
    </>,
  );
}
