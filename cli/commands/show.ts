/**
 * `cairn show <ref>`: one version: what it is made of (files, inputs, code, environment,
 * params), its tags and metrics, and its pinned manifest URL.
 */
import type { VersionDetail } from '../../src/client/index';
import { formatBytes } from '../../src/lib/format';
import { defineCommand } from '../command';
import { normalizeRef } from '../refs';

const SHOWN_FILES = 20;

function render(v: VersionDetail): string {
  const m = v.manifest;
  const lines = [
    `${v.artifact}@${v.version}  (${v.kind})`,
    `digest:    ${v.digest}`,
    `manifest:  ${v.manifestUrl}`,
    `created:   ${v.createdAt} by ${v.createdBy}`,
  ];
  if (v.tags.length) lines.push(`tags:      ${v.tags.join(', ')}`);
  lines.push(`files:     ${v.fileCount} (${formatBytes(v.size)})`);
  for (const f of m.files.slice(0, SHOWN_FILES))
    lines.push(`  ${f.path}  ${formatBytes(f.size)}  ${f.digest.slice(0, 19)}`);
  if (m.files.length > SHOWN_FILES)
    lines.push(`  … and ${m.files.length - SHOWN_FILES} more (--json lists all)`);
  if (m.inputs.length) {
    lines.push('inputs:');
    for (const i of m.inputs) lines.push(`  ${i.role}: ${i.ref}  ${i.digest.slice(0, 19)}`);
  }
  if (m.code) {
    const c = m.code;
    lines.push(
      `code:      ${[c.repo, c.commit, c.path].filter(Boolean).join('  ')}${c.dirty ? '  (dirty)' : ''}`,
    );
  }
  const env = m.environment;
  if (env?.lockfiles?.length) lines.push(`lockfiles: ${env.lockfiles.map((l) => l.path).join(', ')}`);
  if (env?.image) lines.push(`image:     ${env.image}`);
  if (env?.runtime) lines.push(`runtime:   ${JSON.stringify(env.runtime)}`);
  if (m.params) lines.push(`params:    ${JSON.stringify(m.params)}`);
  if (Object.keys(v.metrics).length) lines.push(`metrics:   ${JSON.stringify(v.metrics)}`);
  return lines.join('\n');
}

export const show = defineCommand({
  name: 'show',
  summary: 'describe one version: files, inputs, code, environment, params, metrics',
  help: 'cairn show <ref>     (ns/name alone means ns/name:latest)',
  options: {},
  positionals: [1, 1],
  async run(ctx, _values, [raw = '']) {
    const ref = normalizeRef(raw);
    const client = await ctx.client();
    const resolved = await client.resolve(ref);
    const detail = await client.getVersion(resolved.artifact, resolved.digest);
    ctx.out.result(() => render(detail), detail);
  },
});
