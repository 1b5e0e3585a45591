/**
 * The shapes of the Cairn v1 API (docs/API.md), for every client. The answers are declared
 * once in src/contract/ (pure types, no server imports), which the server's services use for
 * what they return, so a Node CLI or another Worker can use them without pulling in D1/R2 types.
 * What is left here is client-only: request bodies, options and what `publish` returns.
 * `contract.ts` proves at compile time that the publish body matches the server's zod schema.
 */
import type { Code, Environment, Kind, ManifestFile, Scope } from '../contract';

export type * from '../contract';

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** The body of a publish (only `files` is required). */
export interface PublishRequest {
  kind?: Kind;
  files: ManifestFile[];
  inputs?: { ref: string; role?: string }[];
  code?: Code;
  environment?: Environment;
  params?: Record<string, unknown>;
  metrics?: Record<string, number>;
  labels?: Record<string, string>;
  tags?: string[];
}

/** What `publish` returns: the answer's body, and whether the status said a new version (201). */
export interface Published {
  artifact: string;
  version: number;
  digest: string;
  manifestUrl: string;
  /** False when the same manifest already existed (the server answered 200, no new number). */
  created: boolean;
}

export interface NewTokenRequest {
  name: string;
  scopes: Scope[];
  namespaces?: string[];
  /** ISO 8601 with an offset, in the future. */
  expiresAt?: string;
}

/** A blob as its chunks in order (`PUT /v1/blobs/{digest}/recipe`): Σ length = size. */
export interface Recipe {
  size: number;
  chunks: [id: string, length: number][];
}

/** `POST /v1/chunks/packs` → 201. */
export interface PackReceipt {
  pack: string;
  chunks: number;
  bytes: number;
  newChunks: number;
}

/**
 * `PUT /v1/blobs/{digest}/recipe`: 201 committed, 200 the blob already existed, 202 verified
 * `verifiedBytes` more and asks for the same request again.
 */
export interface RecipeAnswer {
  status: 200 | 201 | 202;
  digest: string;
  size: number;
  chunks?: number;
  newBytes?: number;
  reusedBytes?: number;
  verifiedBytes?: number;
  /** 202: bytes of the file whose hash state the server has saved so far. */
  verifiedThrough?: number;
}
