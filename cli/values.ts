/**
 * Command-line values for a publish: `--param k=v` (v read as JSON when it is a number, boolean,
 * null, array or object; else a string), `--params file.json|yaml`, `--metric k=<number>`,
 * `--input ref[=role]`.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { usageError } from './exit-codes';

function splitKeyValue(raw: string, option: string): [string, string] {
  const i = raw.indexOf('=');
  if (i <= 0) throw usageError(`--${option} ${JSON.stringify(raw)}: expected key=value`);
  return [raw.slice(0, i), raw.slice(i + 1)];
}

/** `6` → 6, `true` → true, `[1,2]` → [1,2], `"x"` → "x", `adam` → "adam". */
export function parseScalar(text: string): unknown {
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(text) || /^[[{"]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {}
  }
  return text;
}

export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const raw of pairs) {
    const [key, value] = splitKeyValue(raw, 'param');
    out[key] = parseScalar(value);
  }
  return out;
}

export function parseMetrics(pairs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of pairs) {
    const [key, value] = splitKeyValue(raw, 'metric');
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw usageError(`--metric ${key}: ${JSON.stringify(value)} is not a number`);
    out[key] = n;
  }
  return out;
}

/** `acme/data:latest` → training-less input (role "input"); `acme/data@3=training` names the role. */
export function parseInputs(raws: readonly string[]): { ref: string; role?: string }[] {
  return raws.map((raw) => {
    const i = raw.lastIndexOf('=');
    return i > 0 ? { ref: raw.slice(0, i), role: raw.slice(i + 1) } : { ref: raw };
  });
}

/** A JSON or YAML file holding one object of params. */
export async function readParamsFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw usageError(`--params ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw usageError(`--params ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`--params ${path}: expected an object of key: value`);
  }
  return value as Record<string, unknown>;
}
