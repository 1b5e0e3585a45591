/**
 * `cairn promote <ref> --to production`: moves a tag by compare-and-swap on where it points now,
 * so two people promoting at once cannot silently overwrite each other (the loser exits 5).
 */
import { CairnError } from '../../src/client/index';
import { defineCommand } from '../command';
import { CliError, EXIT, usageError } from '../exit-codes';
import { normalizeRef } from '../refs';

export const promote = defineCommand({
  name: 'promote',
  summary: 'move a tag (default production) to a version, only if nobody moved it meanwhile',
  help: `cairn promote <ref> --to <tag> [--reason <text>]
  --to <tag>        the tag to move (e.g. production; protected tags need the promote scope)
  --reason <text>   recorded in the tag's history (cairn log <ns/name> --tag <tag>)`,
  options: {
    to: { type: 'string' },
    reason: { type: 'string' },
  },
  positionals: [1, 1],
  async run(ctx, values, [ref = '']) {
    const to = values.to;
    if (!to) throw usageError('which tag? pass --to <tag>, e.g. --to production');
    const client = await ctx.client();
    const resolved = await client.resolve(normalizeRef(ref));
    const current = (await client.listTags(resolved.artifact))[to] ?? null;
    if (current === resolved.digest) {
      ctx.out.result(`${resolved.artifact}:${to} already points to @${resolved.version}`, {
        tag: to,
        digest: current,
        previous: current,
        unchanged: true,
      });
      return;
    }
    try {
      const move = await client.moveTag(resolved.artifact, to, {
        digest: resolved.digest,
        expect: current,
        reason: values.reason,
      });
      ctx.out.result(
        `${resolved.artifact}:${to} → @${resolved.version} ${move.digest}\n(was ${move.previous ?? 'unset'})`,
        { ...move, artifact: resolved.artifact, version: resolved.version },
      );
    } catch (err) {
      if (err instanceof CairnError && err.code === 'TAG_CONFLICT') {
        const now = err.details.current ?? 'somewhere else';
        throw new CliError(
          EXIT.CONFLICT,
          `${resolved.artifact}:${to} moved to ${now} while you were promoting; nothing was changed`,
          'look at what it points to now (cairn show), then promote again if you still mean to',
        );
      }
      throw err;
    }
  },
});
