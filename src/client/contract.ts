/**
 * Compile-time contract between the client's types (types.ts) and the server: `tsc --noEmit`
 * fails when a route's answer no longer fits what the client declares, when either side gains or
 * loses a field, or when the publish schema stops accepting what the client sends. Nothing here
 * runs, and index.ts does not export it, so the client never pulls server code into a bundle.
 */
import type { z } from 'zod';
import type { publishSchema } from '../schemas/publish';
import type { artifactDetail } from '../services/artifacts';
import type { VersionDiff as ServerDiff } from '../services/diff';
import type { LineageGraph as ServerGraph, Impact as ServerImpact } from '../services/lineage';
import type { ManifestV1 } from '../services/manifest';
import type { MoveResult, TagEventView } from '../services/tags';
import type { createToken, TokenView } from '../services/tokens';
import type { UploadView } from '../services/uploads';
import type { VersionSummary as ServerVersionSummary, versionDetail } from '../services/versions';
import type * as Client from './types';

/** `Server` fits `Mine` and both name the same fields. */
type Fits<Server, Mine> = [Server] extends [Mine] ? SameKeys<Server, Mine> : false;

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;

type Check<T extends true> = T;

export type ContractChecks = [
  Check<Fits<ManifestV1, Client.Manifest>>,
  Check<Fits<UploadView, Client.UploadSession>>,
  Check<Fits<ServerVersionSummary, Client.VersionSummary>>,
  Check<Fits<Awaited<ReturnType<typeof versionDetail>> & { manifestUrl: string }, Client.VersionDetail>>,
  Check<Fits<Awaited<ReturnType<typeof artifactDetail>>, Client.ArtifactDetail>>,
  Check<Fits<MoveResult, Client.TagMove>>,
  Check<Fits<TagEventView, Client.TagEvent>>,
  Check<Fits<ServerGraph, Client.LineageGraph>>,
  Check<Fits<ServerImpact, Client.Impact>>,
  // The server types `code.from/to` as possibly undefined; it always sends null instead.
  Check<Fits<Omit<ServerDiff, 'code'>, Omit<Client.VersionDiff, 'code'>>>,
  Check<SameKeys<ServerDiff['code'], Client.VersionDiff['code']>>,
  Check<Fits<TokenView, Client.TokenInfo>>,
  Check<Fits<Awaited<ReturnType<typeof createToken>>, Client.CreatedToken>>,
  // A publish names the fields the server's schema reads (digests are plain strings here).
  Check<SameKeys<z.input<typeof publishSchema>, Client.PublishRequest>>,
  Check<SameKeys<z.input<typeof publishSchema>['files'][number], Client.ManifestFile>>,
];
