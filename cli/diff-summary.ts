/**
 * The human reading of a diff: which pillars changed (code, data, environment, params), then
 * the detail of each, then output files and metric deltas. Answers "production got worse: was it
 * the code, the data or the environment?" in a few lines.
 */
import type {
  DataDiff,
  Explanation,
  FileChange,
  FilesDiff,
  ValuesDiff,
  VersionDiff,
} from '../src/client/index';
import { tableEffects } from '../src/contract/tables';

const short = (digest: string | null | undefined) => (digest ? digest.slice(0, 19) : '(none)');
const value = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
const MAX_LINES = 10;

function filesLine(files: FilesDiff): string {
  const c = files.counts;
  return `${c.added} added, ${c.removed} removed, ${c.modified} modified, ${c.unchanged} unchanged`;
}

/** What a modified table's profiles say (services/tables/): rows, schema, drifting columns. */
function tableLine(f: FileChange): string {
  const t = f.table;
  if (!t) return '';
  if (t.state === 'pending') return ' (table profile pending: run the diff again shortly)';
  if (t.state === 'failed') return ` (table not profiled, ${t.side} side: ${t.reason})`;
  const effects = tableEffects(t);
  return ` (rows ${t.rows.from} → ${t.rows.to}${effects.length ? `; ${effects.join('; ')}` : ''})`;
}

function fileList(files: FilesDiff, indent: string): string[] {
  const rows = [
    ...files.added.map((f) => `+ ${f.path}`),
    ...files.removed.map((f) => `- ${f.path}`),
    ...files.modified.map((f) => `~ ${f.path}${tableLine(f)}`),
  ];
  const out = rows.slice(0, MAX_LINES).map((r) => `${indent}${r}`);
  if (rows.length > MAX_LINES || files.truncated) out.push(`${indent}… (--json for the full list)`);
  return out;
}

function dataLines(data: DataDiff, indent: string): string[] {
  const out: string[] = [];
  for (const input of data.inputs) {
    if (input.status === 'unchanged') continue;
    const from = input.from ? `${input.from.ref} ${short(input.from.digest)}` : '(none)';
    const to = input.to ? `${input.to.ref} ${short(input.to.digest)}` : '(none)';
    out.push(`${indent}${input.role} (${input.artifact ?? 'unknown'}): ${input.status}, ${from} → ${to}`);
    if (input.files) {
      out.push(`${indent}  files: ${filesLine(input.files)}`);
      out.push(...fileList(input.files, `${indent}    `));
    }
    if (input.upstream?.changed) {
      out.push(`${indent}  upstream:`);
      out.push(...dataLines(input.upstream, `${indent}    `));
    }
  }
  return out;
}

function valueLines(diff: ValuesDiff, indent: string): string[] {
  return [
    ...diff.added.map((c) => `${indent}+ ${c.key} = ${value(c.to)}`),
    ...diff.removed.map((c) => `${indent}- ${c.key} (was ${value(c.from)})`),
    ...diff.modified.map((c) => `${indent}~ ${c.key}: ${value(c.from)} → ${value(c.to)}`),
  ];
}

export function summarizeDiff(diff: VersionDiff | Explanation): string {
  const name = (v: VersionDiff['to'] | null) => (v ? `${v.artifact}@${v.version}` : '(nothing)');
  const out = [`${name(diff.from)} → ${name(diff.to)}`];
  if ('move' in diff) {
    const m = diff.move;
    out.push(`moved ${m.at} by ${m.by}${m.reason ? `: "${m.reason}"` : ''}`);
  }
  out.push(
    `changed: ${diff.changed.length ? diff.changed.join(', ') : 'nothing (same code, data, environment and params)'}`,
  );
  if (diff.code.changed) {
    out.push('code:');
    for (const f of diff.code.fields) {
      const key = f as keyof NonNullable<typeof diff.code.from>;
      out.push(`  ${f}: ${value(diff.code.from?.[key])} → ${value(diff.code.to?.[key])}`);
    }
  }
  if (diff.data.changed) {
    out.push(
      'data:',
      ...(diff.data.summary ? [`  how: ${diff.data.summary}`] : []),
      ...dataLines(diff.data, '  '),
    );
  }
  const env = diff.environment;
  if (env.changed) {
    out.push('environment:');
    for (const lock of env.lockfiles) {
      if (lock.status === 'unchanged') continue;
      out.push(`  ${lock.path}: ${lock.status}`);
      for (const p of (lock.packages ?? []).slice(0, MAX_LINES)) {
        out.push(
          `    ${p.change === 'added' ? '+' : p.change === 'removed' ? '-' : '~'} ${p.name} ${p.from ?? ''}${p.change === 'changed' ? ' → ' : ''}${p.to ?? ''}`.trimEnd(),
        );
      }
      if ((lock.packages?.length ?? 0) > MAX_LINES) out.push('    …');
      if (lock.lines)
        out.push(`    ${lock.lines.added.length} line(s) added, ${lock.lines.removed.length} removed`);
    }
    if (env.image.changed) out.push(`  image: ${env.image.from ?? '(none)'} → ${env.image.to ?? '(none)'}`);
    out.push(...valueLines(env.runtime, '  runtime '));
  }
  if (diff.params.changed) out.push('params:', ...valueLines(diff.params, '  '));
  if (diff.files.changed) out.push(`output files: ${filesLine(diff.files)}`, ...fileList(diff.files, '  '));
  const metrics = diff.metrics.filter((m) => m.from !== m.to);
  if (metrics.length) {
    out.push('metrics:');
    for (const m of metrics) {
      const delta = m.delta === null ? '' : ` (${m.delta >= 0 ? '+' : ''}${Number(m.delta.toPrecision(6))})`;
      out.push(`  ${m.key}: ${m.from ?? '(none)'} → ${m.to ?? '(none)'}${delta}`);
    }
  }
  return out.join('\n');
}
