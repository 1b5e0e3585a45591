/**
 * Who may use an LFS repository (`/lfs/{ns}/{name}`): `read` to download and list locks, `write`
 * to upload, create, verify and release locks. A token limited to namespaces gets, outside them,
 * the answer of a repository that does not exist for it, whatever it asked (never a 403 that
 * would confirm the namespace is in use). Anonymous callers read only when `PUBLIC_READ` is on;
 * otherwise they are asked for credentials, which is how git learns to call its helper.
 */
import type { Scope } from '../../db/schema';
import { canAccessNamespace, hasScope, type Principal } from '../auth';

export type LfsAccess = 'ok' | 'credentials-needed' | 'no-repository' | 'denied';

export function lfsAccess(
  principal: Principal | null,
  namespace: string,
  scope: Scope,
  publicRead: boolean,
): LfsAccess {
  if (!principal) return scope === 'read' && publicRead ? 'ok' : 'credentials-needed';
  if (!canAccessNamespace(principal, namespace)) return 'no-repository';
  return hasScope(principal, scope) ? 'ok' : 'denied';
}
