/**
 * The body of a Hub commit: NDJSON, one `{"key","value"}` object a line: first the `header`
 * (summary, description, parentCommit), then `lfsFile` (path, sha256 oid, size), `deletedFile` and
 * `deletedFolder` operations. Inline `file` operations are refused: preupload answers `lfs` for
 * every file, so a client following the protocol never sends one. Parsed whole before anything
 * happens: a malformed line refuses the commit.
 */
import { z } from 'zod';
import { HEX64_RE } from '../../contract/grammar';
import { pathProblem } from '../../validation';

/** Far above what a commit names (the clients send 100 operations per preupload batch). */
const MAX_OPERATIONS = 100_000;

const path = z.string().superRefine((p, ctx) => {
  const problem = pathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const line = z.discriminatedUnion('key', [
  z.object({
    key: z.literal('header'),
    value: z.object({
      summary: z.string().max(10_000).default(''),
      description: z.string().max(100_000).optional(),
      parentCommit: z.string().max(128).optional(),
    }),
  }),
  z.object({
    key: z.literal('lfsFile'),
    value: z.object({
      path,
      algo: z.literal('sha256').default('sha256'),
      oid: z.string().regex(HEX64_RE, 'oid must be 64 lowercase hex characters (SHA-256)'),
      size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    }),
  }),
  z.object({ key: z.literal('deletedFile'), value: z.object({ path }) }),
  z.object({ key: z.literal('deletedFolder'), value: z.object({ path }) }),
  z.object({ key: z.literal('file'), value: z.object({}).passthrough() }),
]);

export interface ParsedCommit {
  summary: string;
  parentCommit: string | undefined;
  files: { path: string; oid: string; size: number }[];
  deletedFiles: string[];
  deletedFolders: string[];
}

export type ParseResult = { ok: true; commit: ParsedCommit } | { ok: false; problem: string };

export function parseCommitBody(text: string): ParseResult {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { ok: false, problem: 'the body is empty' };
  if (lines.length > MAX_OPERATIONS + 1)
    return { ok: false, problem: `at most ${MAX_OPERATIONS} operations` };
  const commit: ParsedCommit = {
    summary: '',
    parentCommit: undefined,
    files: [],
    deletedFiles: [],
    deletedFolders: [],
  };
  const seen = new Set<string>();
  for (const [i, raw] of lines.entries()) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { ok: false, problem: `line ${i + 1} is not JSON` };
    }
    const parsed = line.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, problem: `line ${i + 1}: ${issue?.path.join('.') || 'key'}: ${issue?.message}` };
    }
    const op = parsed.data;
    if ((op.key === 'header') !== (i === 0))
      return { ok: false, problem: 'the first line, and only it, is the header' };
    switch (op.key) {
      case 'header':
        commit.summary = op.value.summary;
        commit.parentCommit = op.value.parentCommit;
        continue;
      case 'file':
        return {
          ok: false,
          problem: `line ${i + 1}: inline files are not accepted; upload every file through LFS`,
        };
      case 'lfsFile':
        commit.files.push({ path: op.value.path, oid: op.value.oid, size: op.value.size });
        break;
      case 'deletedFile':
        commit.deletedFiles.push(op.value.path);
        break;
      case 'deletedFolder':
        commit.deletedFolders.push(op.value.path);
        break;
    }
    if (seen.has(op.value.path))
      return { ok: false, problem: `line ${i + 1}: ${op.value.path} is named twice` };
    seen.add(op.value.path);
  }
  return { ok: true, commit };
}
