/** Shapes every part of the API shares: list pages, the health answer and error bodies. */

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

/** What an error body says (API.md "Errors"). */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId?: string };
}
