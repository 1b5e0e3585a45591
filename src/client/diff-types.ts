/**
 * The answers of the lineage, impact, diff and explain routes (API.md "Lineage and diff"):
 * declared once in src/contract/, which the server's services use too; re-exported by types.ts.
 */
export type * from '../contract/diff';
export type * from '../contract/lineage';
