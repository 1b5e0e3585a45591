/**
 * `cairn login --url <url> [--token <t> | --token-stdin]`: checks the token against the registry,
 * then saves URL and token to the config file (mode 0600).
 */
import { text } from 'node:stream/consumers';
import { CairnClient } from '../../src/client/index';
import { defineCommand } from '../command';
import { configPath, normalizeUrl, readStoredConfig, writeStoredConfig } from '../config';
import { usageError } from '../exit-codes';

export const login = defineCommand({
  name: 'login',
  summary: 'save the registry URL and a token to the config file',
  help: `cairn login [--url <url>] [--token <token> | --token-stdin]
  --token <token>   the API token (visible in your shell history: prefer --token-stdin)
  --token-stdin     read the token from standard input
  Without --url, the URL already saved (or CAIRN_URL) is kept.`,
  options: {
    token: { type: 'string' },
    'token-stdin': { type: 'boolean' },
  },
  positionals: [0, 0],
  async run(ctx, values) {
    const path = configPath();
    const stored = await readStoredConfig(path);
    const rawUrl = values.url || process.env.CAIRN_URL || stored.url;
    if (!rawUrl) throw usageError('which registry? pass --url <url>');
    const url = normalizeUrl(rawUrl);
    const token = values['token-stdin'] ? (await text(process.stdin)).trim() : values.token?.trim();
    if (!token) throw usageError('no token: pass --token-stdin (and pipe it in) or --token <token>');
    // A read that needs a valid token: a typo fails here, not in the middle of a pipeline.
    await new CairnClient({ baseUrl: url, token }).listArtifacts({ limit: 1 });
    await writeStoredConfig({ url, token }, path);
    ctx.out.result(`logged in to ${url} (saved to ${path})`, { url, configPath: path });
  },
});
