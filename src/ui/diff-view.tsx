/**
 * A diff, drawn: the summary (which pillars changed), then the pillars — changed ones first —
 * each with its "from" and "to" side by side, then the output files and metric deltas. Shared
 * by the diff page and a tag's explain page.
 */
import { formatBytes } from '../lib/format';
import { PILLARS, type Pillar, type VersionDiff } from '../services/diff';
import type { DataDiff, InputSide } from '../services/diff/data';
import type { EnvironmentDiff } from '../services/diff/environment';
import type { FilesDiff } from '../services/diff/files';
import type { ParamsDiff } from '../services/diff/values';
import { Digest, Table } from './components';
import { formatDelta, formatNumber, formatValue } from './format';
import { TableChanges } from './table-diff-view';
import { versionUrl } from './urls';

type Side = { artifact: string; version: number; digest: string } | null;

export function VersionLink({ side }: { side: Side | InputSide }) {
  if (!side) return <span class="muted">nothing</span>;
  if (side.artifact === null || side.version === null) return <Digest digest={side.digest} />;
  return (
    <a href={versionUrl(side.artifact, side.version)}>
      {side.artifact} v{side.version}
    </a>
  );
}

function StatusChip({ status }: { status: string }) {
  const cls =
    status === 'added' ? 'added' : status === 'removed' ? 'removed' : status === 'unchanged' ? '' : 'changed';
  return <span class={`chip ${cls}`}>{status}</span>;
}

type FileRow = {
  change: 'added' | 'removed' | 'modified';
  path: string;
  from?: { size: number; digest: string };
  to?: { size: number; digest: string };
};

/** One row shape for the three lists: modified first (the usual question), then added, removed. */
function fileRows(files: FilesDiff): FileRow[] {
  return [
    ...files.modified.map((f): FileRow => ({ change: 'modified', path: f.path, from: f.from, to: f.to })),
    ...files.added.map((f): FileRow => ({ change: 'added', path: f.path, to: f })),
    ...files.removed.map((f): FileRow => ({ change: 'removed', path: f.path, from: f })),
  ];
}

function FileSide({ size, digest }: { size: number; digest: string }) {
  return (
    <>
      {formatBytes(size)} <Digest digest={digest} />
    </>
  );
}

export function FileChanges({ files }: { files: FilesDiff }) {
  const { counts } = files;
  return (
    <>
      <p>
        {formatNumber(counts.added)} added, {formatNumber(counts.removed)} removed,{' '}
        {formatNumber(counts.modified)} modified, {formatNumber(counts.unchanged)} unchanged
        {files.truncated ? ' (lists cut at 1,000 entries each)' : ''}
      </p>
      {files.changed ? (
        <Table head={['Change', 'Path', 'From', 'To']}>
          {fileRows(files).map((row) => (
            <tr>
              <td>
                <StatusChip status={row.change} />
              </td>
              <td>
                <code>{row.path}</code>
              </td>
              <td>{row.from ? <FileSide {...row.from} /> : null}</td>
              <td>{row.to ? <FileSide {...row.to} /> : null}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      <TableChanges files={files.modified} />
    </>
  );
}

function ValueChanges({ diff, empty }: { diff: ParamsDiff; empty: string }) {
  const rows = [
    ...diff.modified.map((v) => ['modified', v] as const),
    ...diff.added.map((v) => ['added', v] as const),
    ...diff.removed.map((v) => ['removed', v] as const),
  ];
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <Table head={['Key', 'Change', 'From', 'To']}>
      {rows.map(([kind, v]) => (
        <tr class="changed">
          <td>
            <code>{v.key}</code>
          </td>
          <td>
            <StatusChip status={kind} />
          </td>
          <td>
            <code>{kind === 'added' ? '' : formatValue(v.from)}</code>
          </td>
          <td>
            <code>{kind === 'removed' ? '' : formatValue(v.to)}</code>
          </td>
        </tr>
      ))}
    </Table>
  );
}

function CodePillar({ diff }: { diff: VersionDiff['code'] }) {
  const fields = ['repo', 'commit', 'path', 'dirty'] as const;
  return (
    <Table head={['Field', 'From', 'To']}>
      {fields.map((f) => (
        <tr class={diff.fields.includes(f) ? 'changed' : undefined}>
          <th scope="row">{f}</th>
          <td>
            <code>{formatValue(diff.from?.[f])}</code>
          </td>
          <td>
            <code>{formatValue(diff.to?.[f])}</code>
          </td>
        </tr>
      ))}
    </Table>
  );
}

export function DataPillar({ diff }: { diff: DataDiff }) {
  if (diff.inputs.length === 0) return <p class="muted">Neither version has inputs.</p>;
  return (
    <>
      {diff.summary ? <p class="data-summary">{diff.summary}</p> : null}
      {diff.inputs.map((input) => (
        <div class="input">
          <h3>
            {input.role} {input.artifact ? <code>{input.artifact}</code> : null}{' '}
            <StatusChip status={input.status} />
          </h3>
          <div class="sides">
            <div>
              <span class="muted">from</span> <VersionLink side={input.from} />
            </div>
            <div>
              <span class="muted">to</span> <VersionLink side={input.to} />
            </div>
          </div>
          {input.files ? <FileChanges files={input.files} /> : null}
          {input.upstream ? (
            <div class="upstream">
              <p class="muted">…because its own inputs changed:</p>
              <DataPillar diff={input.upstream} />
            </div>
          ) : null}
        </div>
      ))}
    </>
  );
}

function EnvironmentPillar({ diff }: { diff: EnvironmentDiff }) {
  return (
    <>
      {diff.lockfiles.map((l) => (
        <div class="lockfile">
          <h3>
            <code>{l.path}</code> <StatusChip status={l.status} />{' '}
            {l.format ? <span class="muted">{l.format}</span> : null}
          </h3>
          {l.packages?.length ? (
            <Table head={['Package', 'Change', 'From', 'To']}>
              {l.packages.map((p) => (
                <tr class="changed">
                  <td>
                    <code>{p.name}</code>
                  </td>
                  <td>
                    <StatusChip status={p.change} />
                  </td>
                  <td>
                    <code>{p.from ?? ''}</code>
                  </td>
                  <td>
                    <code>{p.to ?? ''}</code>
                  </td>
                </tr>
              ))}
            </Table>
          ) : null}
          {l.lines ? (
            <div class="sides">
              <div>
                <span class="muted">removed lines</span>
                <ul class="plain">
                  {l.lines.removed.map((line) => (
                    <li>
                      <code>- {line}</code>
                    </li>
                  ))}
                </ul>
              </div>
              <div>
                <span class="muted">added lines</span>
                <ul class="plain">
                  {l.lines.added.map((line) => (
                    <li>
                      <code>+ {line}</code>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
          ) : null}
        </div>
      ))}
      {diff.lockfiles.length === 0 ? <p class="muted">No lockfiles on either side.</p> : null}
      <Table head={['', 'From', 'To']}>
        <tr class={diff.image.changed ? 'changed' : undefined}>
          <th scope="row">image</th>
          <td>
            <code>{diff.image.from ?? '—'}</code>
          </td>
          <td>
            <code>{diff.image.to ?? '—'}</code>
          </td>
        </tr>
      </Table>
      <h3>Runtime</h3>
      <ValueChanges diff={diff.runtime} empty="Runtime unchanged." />
    </>
  );
}

const TITLES: Record<Pillar, string> = {
  code: 'Code',
  data: 'Data',
  environment: 'Environment',
  params: 'Params',
};

function PillarBody({ pillar, diff }: { pillar: Pillar; diff: VersionDiff }) {
  switch (pillar) {
    case 'code':
      return <CodePillar diff={diff.code} />;
    case 'data':
      return <DataPillar diff={diff.data} />;
    case 'environment':
      return <EnvironmentPillar diff={diff.environment} />;
    case 'params':
      return <ValueChanges diff={diff.params} empty="Params unchanged." />;
  }
}

export function DiffView({ diff }: { diff: VersionDiff }) {
  const order = [...PILLARS].sort(
    (a, b) => Number(diff.changed.includes(b)) - Number(diff.changed.includes(a)),
  );
  return (
    <>
      <div class="sides summary">
        <div>
          <span class="muted">from</span> <VersionLink side={diff.from} />
        </div>
        <div>
          <span class="muted">to</span> <VersionLink side={diff.to} />
        </div>
      </div>
      <p class="changed-summary">
        {diff.changed.length ? (
          <>
            Changed:{' '}
            {diff.changed.map((p) => (
              <span class="chip changed">{p}</span>
            ))}
          </>
        ) : (
          'Code, data, environment and params are all the same.'
        )}
      </p>
      <div class="pillars">
        {order.map((p) => (
          <section class={diff.changed.includes(p) ? 'pillar changed' : 'pillar'} id={`pillar-${p}`}>
            <h2>
              {TITLES[p]} <StatusChip status={diff.changed.includes(p) ? 'changed' : 'unchanged'} />
            </h2>
            <PillarBody pillar={p} diff={diff} />
          </section>
        ))}
      </div>
      <h2>Output files</h2>
      <FileChanges files={diff.files} />
      <h2>Metrics</h2>
      {diff.metrics.length === 0 ? (
        <p class="muted">No metrics on either side.</p>
      ) : (
        <Table head={['Metric', 'From', 'To', 'Δ']}>
          {diff.metrics.map((m) => (
            <tr class={m.delta ? 'changed' : undefined}>
              <td>
                <code>{m.key}</code>
              </td>
              <td>{m.from === null ? '—' : formatNumber(m.from)}</td>
              <td>{m.to === null ? '—' : formatNumber(m.to)}</td>
              <td>{formatDelta(m.delta)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
