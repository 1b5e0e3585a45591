/**
 * Key-by-key comparisons for params (nested keys flattened to dotted paths) and metric deltas.
 * Arrays and scalars are leaves compared by their JSON; keys are reported sorted.
 */
import type { MetricDelta, ValuesDiff as ParamsDiff } from '../../contract/diff';

export type { ParamsDiff };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{a: {b: 1}, c: [1]}` → `{"a.b": 1, "c": [1]}`; an empty object is a leaf of its own. */
export function flatten(
  value: Record<string, unknown> | undefined,
  prefix = '',
  out = new Map<string, unknown>(),
) {
  for (const [key, v] of Object.entries(value ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(v) && Object.keys(v).length > 0) flatten(v, path, out);
    else out.set(path, v);
  }
  return out;
}

export function diffParams(from?: Record<string, unknown>, to?: Record<string, unknown>): ParamsDiff {
  const a = flatten(from);
  const b = flatten(to);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: ParamsDiff = { changed: false, added: [], removed: [], modified: [] };
  for (const key of keys) {
    const inA = a.has(key);
    const inB = b.has(key);
    if (inA && !inB) out.removed.push({ key, from: a.get(key), to: null });
    else if (!inA && inB) out.added.push({ key, from: null, to: b.get(key) });
    else if (JSON.stringify(a.get(key)) !== JSON.stringify(b.get(key))) {
      out.modified.push({ key, from: a.get(key), to: b.get(key) });
    }
  }
  out.changed = out.added.length + out.removed.length + out.modified.length > 0;
  return out;
}

/** Every metric either side has, with `to - from` where both exist. */
export function metricDeltas(from: Record<string, number>, to: Record<string, number>): MetricDelta[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return keys.map((key) => {
    const a = from[key] ?? null;
    const b = to[key] ?? null;
    return { key, from: a, to: b, delta: a !== null && b !== null ? b - a : null };
  });
}
