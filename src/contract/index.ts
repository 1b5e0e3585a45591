/**
 * The shapes of the Cairn v1 API (API.md), declared once: the services type their answers
 * with them and the client re-exports them. Pure types: nothing here imports Worker, D1, R2 or
 * drizzle types, so a Node CLI or another Worker can use them.
 */
export type * from './artifacts';
export type * from './common';
export type * from './diff';
export type * from './lineage';
export type * from './manifest';
export type * from './tags';
export type * from './tokens';
export type * from './uploads';
export type * from './versions';
