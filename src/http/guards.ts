/**
 * Authorization guards a route applies after its scope check (middleware/auth.ts): namespace
 * limits on writes, and the scope a tag move needs (protected tags need `promote`).
 */
import { ApiError } from '../errors';
import { canAccessNamespace, hasScope, type Principal } from '../services/auth';
import { isProtectedTag } from '../services/tags';

/** For writes: a token limited to other namespaces is refused (the same for existing and new names). */
export function assertNamespaceWritable(principal: Principal, namespace: string): void {
  if (!canAccessNamespace(principal, namespace)) {
    throw new ApiError(
      'DENIED',
      `this token is limited to the namespaces ${principal.namespaces?.join(', ')}`,
      {
        namespace,
      },
    );
  }
}

/** Throws DENIED unless the principal may move (or delete) every one of `tagNames`. */
export function assertCanMoveTags(
  principal: Principal,
  protectedTags: readonly string[],
  tagNames: readonly string[],
) {
  for (const tag of tagNames) {
    const needed = isProtectedTag(protectedTags, tag) ? 'promote' : 'write';
    const allowed = hasScope(principal, needed) || (needed === 'write' && hasScope(principal, 'promote'));
    if (!allowed) {
      throw new ApiError('DENIED', `moving the tag "${tag}" needs the "${needed}" scope`, {
        tag,
        required: needed,
      });
    }
  }
}
