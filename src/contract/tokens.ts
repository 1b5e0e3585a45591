/** API tokens (docs/API.md "Tokens"). */

export type Scope = 'read' | 'write' | 'promote' | 'admin';

export interface TokenInfo {
  id: string;
  name: string;
  scopes: Scope[];
  /** The namespaces the token is limited to; null: all. */
  namespaces: string[] | null;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
}

export interface CreatedToken extends TokenInfo {
  /** The secret: shown once. */
  token: string;
}
