/**
 * The environment pillar: lockfiles matched by path and compared package by package (falling
 * back to a line diff for formats we do not parse), the container image, and runtime versions.
 */
import type { EnvironmentDiff, LockfileDiff } from '../../contract/diff';
import type { Digest } from '../../contract/grammar';
import type { BlobStore } from '../../storage/blob-store';
import { diffLines, diffPackages, parseLockfile } from '../lockfiles';
import type { ManifestV1 } from '../manifest';
import { diffParams } from './values';

/** Lockfiles larger than this are compared by digest only (a Worker has 128 MB). */
export const MAX_LOCKFILE_BYTES = 20 * 1024 * 1024;
/** The line-diff fallback is slower than a parser (seconds of CPU on tens of MB): smaller cap. */
export const MAX_LINE_DIFF_BYTES = 2 * 1024 * 1024;

export type { EnvironmentDiff } from '../../contract/diff';

async function readText(blobs: BlobStore, digest: string | null): Promise<string | null> {
  if (!digest) return '';
  const read = await blobs.get(digest as Digest);
  if (!read) return null;
  if (read.size > MAX_LOCKFILE_BYTES) {
    await read.body.cancel();
    return null;
  }
  return new TextDecoder().decode(await new Response(read.body).arrayBuffer());
}

async function compareLockfile(
  blobs: BlobStore,
  path: string,
  from: string | null,
  to: string | null,
): Promise<LockfileDiff> {
  const status = !from ? 'added' : !to ? 'removed' : from === to ? 'unchanged' : 'modified';
  const base: LockfileDiff = { path, status, from, to, format: null };
  if (status === 'unchanged') return base;
  const [a, b] = await Promise.all([readText(blobs, from), readText(blobs, to)]);
  if (a === null || b === null) return base;
  const pa = from ? parseLockfile(path, a) : null;
  const pb = to ? parseLockfile(path, b) : null;
  // An added or removed lockfile compares against an empty one of the same format.
  const format = (pa ?? pb)?.format ?? null;
  if (format && (!from || pa) && (!to || pb) && (!pa || !pb || pa.format === pb.format)) {
    return { ...base, format, packages: diffPackages(pa?.packages ?? new Map(), pb?.packages ?? new Map()) };
  }
  if (a.length + b.length > MAX_LINE_DIFF_BYTES) return base;
  return { ...base, lines: diffLines(a, b) };
}

export async function diffEnvironment(
  blobs: BlobStore,
  from: ManifestV1['environment'],
  to: ManifestV1['environment'],
): Promise<EnvironmentDiff> {
  const a = new Map((from?.lockfiles ?? []).map((l) => [l.path, l.digest]));
  const b = new Map((to?.lockfiles ?? []).map((l) => [l.path, l.digest]));
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const lockfiles = await Promise.all(
    paths.map((p) => compareLockfile(blobs, p, a.get(p) ?? null, b.get(p) ?? null)),
  );
  const image = { from: from?.image ?? null, to: to?.image ?? null };
  const runtime = diffParams(from?.runtime, to?.runtime);
  const imageChanged = image.from !== image.to;
  return {
    changed: lockfiles.some((l) => l.status !== 'unchanged') || imageChanged || runtime.changed,
    lockfiles,
    image: { changed: imageChanged, ...image },
    runtime,
  };
}
