/**
 * `cairn tag <ref> <tag>…`: point tags at the version a ref names; `--delete` removes them.
 */
import { defineCommand } from '../command';
import { artifactName, normalizeRef } from '../refs';

export const tag = defineCommand({
  name: 'tag',
  summary: 'point tags at a version (or --delete them)',
  help: `cairn tag <ref> <tag>... [--reason <text>]
cairn tag --delete <ns/name> <tag>... [--reason <text>]
  Moving a protected tag (production) needs the promote scope: see \`cairn promote\`.`,
  options: {
    delete: { type: 'boolean' },
    reason: { type: 'string' },
  },
  positionals: [2, Number.POSITIVE_INFINITY],
  async run(ctx, values, [target = '', ...tags]) {
    const client = await ctx.client();
    if (values.delete) {
      const name = artifactName(target);
      for (const t of tags) await client.deleteTag(name, t, values.reason);
      ctx.out.result(`deleted ${tags.map((t) => `${name}:${t}`).join(', ')}`, {
        artifact: name,
        deleted: tags,
      });
      return;
    }
    const resolved = await client.resolve(normalizeRef(target));
    const moves = [];
    for (const t of tags) {
      moves.push(
        await client.moveTag(resolved.artifact, t, { digest: resolved.digest, reason: values.reason }),
      );
    }
    ctx.out.result(
      moves.map((m) => `${resolved.artifact}:${m.tag} → @${resolved.version} ${m.digest}`).join('\n'),
      { artifact: resolved.artifact, version: resolved.version, moves },
    );
  },
});
