/** Shapes every part of the API shares: list pages and the health answer (errors: errors.ts). */

/** One page of a list route; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Health {
  status: string;
  service: string;
  apiVersion: string;
}
