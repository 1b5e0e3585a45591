/** The one rendering of a lost tag compare-and-swap, shared by the routes that move tags. */
import { ApiError } from '../errors';
import type { TagConflict } from '../services/tags';

export function tagConflict(artifact: string, failure: Omit<TagConflict, 'ok' | 'reason'>): ApiError {
  const { tag, current, expected } = failure;
  return new ApiError(
    'TAG_CONFLICT',
    `${artifact}:${tag} points to ${current ?? 'nothing'}, not ${expected ?? 'nothing'}`,
    { tag, current, expected },
  );
}
