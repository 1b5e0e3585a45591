/**
 * One page of a list route: queries fetch `limit + 1` rows, so a surplus row means there is a
 * next page, whose cursor is derived from the last row shown.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function pageOf<R, T = R>(
  rows: readonly R[],
  limit: number,
  cursorOf: (last: R) => string,
  view: (row: R) => T = (row) => row as unknown as T,
): Page<T> {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return { items: shown.map(view), nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}
