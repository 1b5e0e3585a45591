/**
 * `cairn policy set|show`: which attestations a tag needs before it moves to a version. `set`
 * replaces one tag's rules and keeps the other tags' (needs promote).
 */
import { MODEL_SIGNING_PREDICATE } from '../../src/services/provenance/model-signing';
import { SLSA_PREDICATE } from '../../src/services/provenance/slsa';
import { defineCommand } from '../command';
import { usageError } from '../exit-codes';
import { artifactName } from '../refs';

const SHORT: Record<string, string> = { 'model-signing': MODEL_SIGNING_PREDICATE, slsa: SLSA_PREDICATE };

export const policy = defineCommand({
  name: 'policy',
  summary: 'require attestations before a tag moves (set needs promote)',
  help: `cairn policy set <ns/name> <tag> --require <model-signing|slsa|predicate URI>... [--key <keyId>]...
cairn policy set <ns/name> <tag>          (no --require: the tag is no longer gated)
cairn policy show <ns/name>
  --key limits every required attestation to these signing keys (default: any registered key)`,
  options: { require: { type: 'string', multiple: true }, key: { type: 'string', multiple: true } },
  positionals: [2, 3],
  async run(ctx, values, [action = '', name = '', tag]) {
    const client = await ctx.client();
    const artifact = artifactName(name);
    switch (action) {
      case 'show': {
        const current = await client.getPolicy(artifact);
        ctx.out.result(
          Object.entries(current)
            .map(
              ([t, rules]) =>
                `${t}: ${rules.map((r) => `${r.predicateType}${r.keys ? ` by ${r.keys.join(',')}` : ''}`).join('; ')}`,
            )
            .join('\n') || 'no policy',
          current,
        );
        return;
      }
      case 'set': {
        if (!tag) throw usageError('cairn policy set <ns/name> <tag> --require <type>');
        const rules = (values.require ?? []).map((r) => ({
          predicateType: SHORT[r] ?? r,
          ...(values.key?.length ? { keys: values.key } : {}),
        }));
        const next = { ...(await client.getPolicy(artifact)) };
        if (rules.length > 0) next[tag] = rules;
        else delete next[tag];
        const set = await client.setPolicy(artifact, next);
        ctx.out.result(
          `${artifact}:${tag} requires ${rules.map((r) => r.predicateType).join(', ') || 'nothing'}`,
          set,
        );
        return;
      }
      default:
        throw usageError(`unknown action "${action}": set or show`);
    }
  },
});
