/** Tags: moves and their history (docs/API.md "Tags"). */

/** The answer to a tag move. */
export interface TagMove {
  tag: string;
  digest: string;
  /** Where the tag pointed before (the same digest when it already pointed there). */
  previous: string | null;
}

/** One entry of a tag's history: `from` null when it was created, `to` null when deleted. */
export interface TagEvent {
  from: string | null;
  to: string | null;
  at: string;
  by: string;
  reason: string | null;
  /** Digests of the attestations a policy-gated move relied on (absent when no policy applied). */
  attestations?: string[];
}
