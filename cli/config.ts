/**
 * Where the CLI finds its registry and token: `--url` / `CAIRN_URL` / `CAIRN_TOKEN` first, then
 * the file `cairn login` writes (`$XDG_CONFIG_HOME/cairn/config.json`, else
 * `~/.config/cairn/config.json`), created with mode 0600 since it holds a secret.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { usageError } from './exit-codes';

export interface StoredConfig {
  url?: string;
  token?: string;
}

export interface Settings {
  url: string;
  token: string | null;
  /** Where the token came from, for error hints. */
  tokenSource: 'CAIRN_TOKEN' | 'config file' | 'none';
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  return join(base, 'cairn', 'config.json');
}

export async function readStoredConfig(path = configPath()): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw usageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as StoredConfig;
    return { url: parsed.url, token: parsed.token };
  } catch {
    throw usageError(`${path} is not valid JSON`, 'run `cairn login` again to rewrite it');
  }
}

/** Writes atomically (temp file + rename) with mode 0600, in a 0700 directory. */
export async function writeStoredConfig(config: StoredConfig, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}

export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`"${raw}" is not a URL`, 'e.g. http://127.0.0.1:8787');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`"${raw}" is not an http(s) URL`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export async function loadSettings(urlFlag: string | undefined, env = process.env): Promise<Settings> {
  const stored = await readStoredConfig(configPath(env));
  const rawUrl = urlFlag || env.CAIRN_URL || stored.url;
  if (!rawUrl) {
    throw usageError(
      'no registry URL: set CAIRN_URL, pass --url, or run `cairn login --url <url>`',
      `config file: ${configPath(env)}`,
    );
  }
  const envToken = env.CAIRN_TOKEN?.trim();
  if (envToken) return { url: normalizeUrl(rawUrl), token: envToken, tokenSource: 'CAIRN_TOKEN' };
  if (stored.token) return { url: normalizeUrl(rawUrl), token: stored.token, tokenSource: 'config file' };
  return { url: normalizeUrl(rawUrl), token: null, tokenSource: 'none' };
}
