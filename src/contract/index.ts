/**
 * The Cairn v1 API (docs/API.md), declared once: the shapes of its answers (pure types: the
 * services return them and the client re-exports them), the grammar of its identifiers, its
 * error codes with their statuses, and the manifest URL. Nothing here imports Worker, D1, R2,
 * drizzle or Node, so the CLI or another Worker can use all of it.
 */
export type * from './artifacts';
export * from './chunks';
export type * from './common';
export type * from './diff';
export * from './errors';
export * from './grammar';
export type * from './lineage';
export type * from './manifest';
export type * from './provenance';
export * from './tables';
export type * from './tags';
export type * from './tokens';
export type * from './uploads';
export * from './urls';
export type * from './versions';
