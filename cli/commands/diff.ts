/**
 * `cairn diff <a> <b>`: what changed between two versions, pillar by pillar.
 * `cairn diff <ns/name:tag>`: why the tag's last move changed things (the explain route).
 */
import { defineCommand } from '../command';
import { summarizeDiff } from '../diff-summary';
import { usageError } from '../exit-codes';
import { normalizeRef, splitTagRef } from '../refs';

export const diff = defineCommand({
  name: 'diff',
  summary: 'what changed between two versions: code, data, environment, params, metrics',
  help: `cairn diff <from-ref> <to-ref>
cairn diff <ns/name:tag>     the tag's last move: where it points now vs before (e.g. :production)`,
  options: {},
  positionals: [1, 2],
  async run(ctx, _values, [a = '', b]) {
    const client = await ctx.client();
    if (b === undefined) {
      const [name, tag] = splitTagRef(a);
      if (!tag) throw usageError('with one ref, diff explains a tag: pass ns/name:tag (or two refs)');
      const explanation = await client.explain(name, tag);
      ctx.out.result(() => summarizeDiff(explanation), explanation);
      return;
    }
    const result = await client.diff(normalizeRef(a), normalizeRef(b));
    ctx.out.result(() => summarizeDiff(result), result);
  },
});
