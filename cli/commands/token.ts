/**
 * `cairn token create|list|revoke` (admin scope): issue, list and revoke API tokens.
 */
import type { Scope } from '../../src/client/index';
import { all } from '../../src/client/index';
import { defineCommand } from '../command';
import { usageError } from '../exit-codes';

const SCOPES: readonly Scope[] = ['read', 'write', 'promote', 'admin'];

export const token = defineCommand({
  name: 'token',
  summary: 'create, list or revoke API tokens (needs an admin token)',
  help: `cairn token create <name> --scope <scope>... [--namespace <ns>]... [--expires <ISO date>]
cairn token list
cairn token revoke <id>
  scopes: read, write (blobs, versions, ordinary tags), promote (protected tags), admin`,
  options: {
    scope: { type: 'string', multiple: true },
    namespace: { type: 'string', multiple: true },
    expires: { type: 'string' },
  },
  positionals: [1, 2],
  async run(ctx, values, [action = '', arg]) {
    const client = await ctx.client();
    switch (action) {
      case 'create': {
        if (!arg) throw usageError('cairn token create <name> --scope <scope>');
        const scopes = (values.scope ?? []) as Scope[];
        if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s))) {
          throw usageError(`pass --scope one or more times: ${SCOPES.join(', ')}`);
        }
        const expiresAt = values.expires ? new Date(values.expires) : undefined;
        if (expiresAt && Number.isNaN(expiresAt.getTime()))
          throw usageError('--expires is a date, e.g. 2027-06-30');
        const created = await client.createToken({
          name: arg,
          scopes,
          ...(values.namespace?.length ? { namespaces: values.namespace } : {}),
          ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
        });
        ctx.out.info(`token ${created.id} (${created.scopes.join(', ')}): shown once, store it now`);
        ctx.out.result(created.token, created);
        return;
      }
      case 'list': {
        const tokens = [];
        for await (const t of all((page) => client.listTokens(page))) tokens.push(t);
        ctx.out.result(
          tokens
            .map(
              (t) =>
                `${t.id}  ${t.name}  ${t.scopes.join(',')}${t.namespaces ? `  ns=${t.namespaces.join(',')}` : ''}  expires ${t.expiresAt ?? 'never'}`,
            )
            .join('\n') || 'no tokens',
          tokens,
        );
        return;
      }
      case 'revoke': {
        if (!arg) throw usageError('cairn token revoke <id>');
        await client.revokeToken(arg);
        ctx.out.result(`revoked ${arg}`, { revoked: arg });
        return;
      }
      default:
        throw usageError(`unknown action "${action}": create, list or revoke`);
    }
  },
});
