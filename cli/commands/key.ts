/**
 * `cairn key add|list|revoke`: the public keys the registry accepts attestations from
 * (add and revoke need an admin token).
 */
import { readFile } from 'node:fs/promises';
import { defineCommand } from '../command';
import { usageError } from '../exit-codes';
import { loadPublicKey } from '../provenance';

export const key = defineCommand({
  name: 'key',
  summary: 'add, list or revoke signing keys (add and revoke need an admin token)',
  help: `cairn key add <name> <public-key.pem> [--namespace <ns>]...
cairn key list
cairn key revoke <keyId>`,
  options: { namespace: { type: 'string', multiple: true } },
  positionals: [1, 3],
  async run(ctx, values, [action = '', arg, file]) {
    const client = await ctx.client();
    switch (action) {
      case 'add': {
        if (!arg || !file) throw usageError('cairn key add <name> <public-key.pem>');
        await loadPublicKey(file); // a clear local error before the request
        const added = await client.addKey({
          name: arg,
          publicKey: await readFile(file, 'utf8'),
          ...(values.namespace?.length ? { namespaces: values.namespace } : {}),
        });
        ctx.out.result(added.keyId, added);
        return;
      }
      case 'list': {
        const keys = await client.listKeys();
        ctx.out.result(
          keys
            .map(
              (k) =>
                `${k.keyId}  ${k.name}  ${k.algorithm}${k.registry ? (k.current ? '  registry (current)' : '  registry') : ''}${k.namespaces ? `  ns=${k.namespaces.join(',')}` : ''}${k.revokedAt ? `  revoked ${k.revokedAt}` : ''}`,
            )
            .join('\n') || 'no keys',
          keys,
        );
        return;
      }
      case 'revoke': {
        if (!arg) throw usageError('cairn key revoke <keyId>');
        await client.revokeKey(arg);
        ctx.out.result(`revoked ${arg}`, { revoked: arg });
        return;
      }
      default:
        throw usageError(`unknown action "${action}": add, list or revoke`);
    }
  },
});
