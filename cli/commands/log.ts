/**
 * `cairn log <ns/name>`: versions, newest first; `--tag <t>`: that tag's moves, newest first.
 */
import type { TagEvent, VersionSummary } from '../../src/client/index';
import { formatBytes } from '../../src/lib/format';
import { defineCommand } from '../command';
import { usageError } from '../exit-codes';
import { artifactName } from '../refs';

const short = (digest: string | null) => (digest ? digest.slice(0, 19) : '(none)');

function versionLine(v: VersionSummary): string {
  const tags = v.tags.length ? `  [${v.tags.join(', ')}]` : '';
  return `@${v.version}  ${short(v.digest)}  ${v.createdAt}  ${v.createdBy}  ${v.fileCount} file(s), ${formatBytes(v.size)}${tags}`;
}

function eventLine(e: TagEvent): string {
  return `${e.at}  ${short(e.from)} → ${short(e.to)}  ${e.by}${e.reason ? `  "${e.reason}"` : ''}`;
}

export const log = defineCommand({
  name: 'log',
  summary: 'list versions newest first (or a tag’s history with --tag)',
  help: `cairn log <ns/name> [--limit <n>] [--tag <tag>]
  --limit <n>    how many (default 20, at most 500)
  --tag <tag>    show where this tag pointed over time, with who moved it and why`,
  options: {
    limit: { type: 'string' },
    tag: { type: 'string' },
  },
  positionals: [1, 1],
  async run(ctx, values, [raw = '']) {
    const name = artifactName(raw);
    const limit = Number(values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw usageError('--limit is 1 to 500');
    const client = await ctx.client();
    if (values.tag) {
      const page = await client.tagHistory(name, values.tag, { limit });
      ctx.out.result(page.items.map(eventLine).join('\n') || `${name}:${values.tag} never moved`, page);
      return;
    }
    const page = await client.listVersions(name, { limit });
    ctx.out.result(page.items.map(versionLine).join('\n') || `${name} has no versions`, page);
  },
});
