/**
 * Compile-time checks of what is still written on both sides: `tsc --noEmit` fails when the
 * publish schema stops accepting what the client sends, or when a runtime list or a server-only
 * type drifts from the API's shape in src/contract/ (the answers themselves are declared once
 * there and the services return them, so they need no check). Nothing here runs, and index.ts
 * does not export it, so the client never pulls server code into a bundle.
 */
import type { z } from 'zod';
import type * as Api from '../contract';
import type { KINDS, SCOPES } from '../db/schema';
import type { Page } from '../lib/paging';
import type { publishSchema } from '../schemas/publish';
import type { PILLARS } from '../services/diff';
import type { explainTag } from '../services/explain';
import type { DIRECTIONS } from '../services/lineage';
import type { PackageChange } from '../services/lockfiles';
import type { MANIFEST_SCHEMA } from '../services/manifest';
import type * as Client from './types';

/** `Server` fits `Mine` and both name the same fields. */
type Fits<Server, Mine> = [Server] extends [Mine] ? SameKeys<Server, Mine> : false;

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;

/** Two unions of literals with the same members. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

type Check<T extends true> = T;

export type ContractChecks = [
  // A publish names the fields the server's schema reads (digests are plain strings here).
  Check<SameKeys<z.input<typeof publishSchema>, Client.PublishRequest>>,
  Check<SameKeys<z.input<typeof publishSchema>['files'][number], Client.ManifestFile>>,
  // The runtime lists the server validates with name what the contract spells out.
  Check<Same<(typeof KINDS)[number], Api.Kind>>,
  Check<Same<(typeof SCOPES)[number], Api.Scope>>,
  Check<Same<(typeof DIRECTIONS)[number], Api.Direction>>,
  Check<Same<(typeof PILLARS)[number], Api.Pillar>>,
  Check<Same<typeof MANIFEST_SCHEMA, Api.Manifest['schema']>>,
  // Server types the routes still build answers from.
  Check<Fits<Page<unknown>, Api.Page<unknown>>>,
  Check<Fits<PackageChange, Api.PackageChange>>,
  Check<Fits<Extract<Awaited<ReturnType<typeof explainTag>>, { ok: true }>['move'], Api.LastMove>>,
];
