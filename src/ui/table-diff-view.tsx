/**
 * A modified table, drawn (services/tables/): row counts, the schema change list, per-column
 * nulls and drift with a small before/after histogram (SVG drawn on the server; classes only,
 * no inline styles, so the CSP holds), and sample rows. Pending and failed profiles say so.
 */
import type { FileChange } from '../contract/diff';
import type { ColumnDiff, TableDiff } from '../contract/tables';
import { Note, Table } from './components';
import { formatNumber } from './format';

type Ready = Extract<TableDiff, { state: 'ready' }>;

const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 0)}%`;
const W = 120;
const H = 32;

/** Paired bars per bin: the older version's share, then the newer one's. */
function Histogram({ h, name }: { h: NonNullable<ColumnDiff['histogram']>; name: string }) {
  const max = Math.max(...h.from, ...h.to, 1e-9);
  const step = W / h.labels.length;
  const bar = (share: number, i: number, k: number) => {
    const height = Math.max(0.5, (share / max) * (H - 2));
    return (
      <rect
        class={k === 0 ? 'bar-from' : 'bar-to'}
        x={(i * step + k * (step / 2)).toFixed(1)}
        y={(H - height).toFixed(1)}
        width={(step / 2 - 0.5).toFixed(1)}
        height={height.toFixed(1)}
      >
        <title>{`${h.labels[i]}: ${pct(share)} (${k === 0 ? 'from' : 'to'})`}</title>
      </rect>
    );
  };
  return (
    <svg
      class="hist"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={`${name}: before and after`}
    >
      {h.from.map((s, i) => bar(s, i, 0))}
      {h.to.map((s, i) => bar(s, i, 1))}
    </svg>
  );
}

function ReadyTable({ t }: { t: Ready }) {
  const { rows, schema } = t;
  const counts =
    rows.added === null
      ? 'row-level difference not indexed (table too large)'
      : `+${formatNumber(rows.added)} / −${formatNumber(rows.removed ?? 0)}${rows.changed === null ? '' : `, ${formatNumber(rows.changed)} changed`}`;
  const schemaChanges = [
    ...schema.added.map((c) => `new column ${c.name} (${c.type})`),
    ...schema.removed.map((c) => `dropped column ${c.name} (${c.type})`),
    ...schema.typeChanged.map((c) => `${c.name}: ${c.from} → ${c.to}`),
  ];
  return (
    <div class="table-diff">
      <p>
        Rows {formatNumber(rows.from)} → {formatNumber(rows.to)}: {counts}
        {t.key ? ` (key ${t.key.join(', ')})` : ' (no key: rows compared as multisets)'}
      </p>
      {schemaChanges.length ? (
        <ul class="schema-changes">
          {schemaChanges.map((s) => (
            <li>{s}</li>
          ))}
        </ul>
      ) : null}
      <Table head={['Column', 'Changed rows', 'Empty', 'Mean', 'Drift (PSI)', 'Distribution']}>
        {t.columns.map((c) => (
          <tr class={c.drift && c.drift.level !== 'none' ? 'changed' : undefined}>
            <td>
              <code>{c.name}</code>
            </td>
            <td>{c.changedRows === null ? '—' : formatNumber(c.changedRows)}</td>
            <td>
              {pct(c.nulls.from)} → {pct(c.nulls.to)}
            </td>
            <td>
              {c.stats.from.mean === null
                ? '—'
                : `${formatNumber(c.stats.from.mean)} → ${formatNumber(c.stats.to.mean ?? 0)}`}
            </td>
            <td>{c.drift ? `${c.drift.value} (${c.drift.level})` : '—'}</td>
            <td>{c.histogram ? <Histogram h={c.histogram} name={c.name} /> : null}</td>
          </tr>
        ))}
      </Table>
      {t.samples.length ? (
        <Table head={['Sample', 'Key', 'Values']}>
          {t.samples.map((s) => (
            <tr>
              <td>{s.kind}</td>
              <td>
                <code>{s.key ? Object.values(s.key).join(', ') : '—'}</code>
              </td>
              <td>
                <code>
                  {s.kind === 'changed'
                    ? s.changes.map((c) => `${c.column}: ${c.from ?? '∅'} → ${c.to ?? '∅'}`).join('; ')
                    : Object.entries(s.values ?? {})
                        .map(([k, v]) => `${k}=${v ?? '∅'}`)
                        .join(', ')}
                </code>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </div>
  );
}

export function TableChanges({ files }: { files: readonly FileChange[] }) {
  const tables = files.filter((f) => f.table);
  return (
    <>
      {tables.map((f) => (
        <section class="table-file">
          <h3>
            <code>{f.path}</code>
          </h3>
          {f.table!.state === 'pending' ? (
            <Note>Profile pending: the table is being profiled; reload shortly.</Note>
          ) : f.table!.state === 'failed' ? (
            <Note error>
              Not profiled ({f.table!.side} side): {f.table!.reason}
            </Note>
          ) : (
            <ReadyTable t={f.table as Ready} />
          )}
        </section>
      ))}
    </>
  );
}
