/**
 * The files `cairn push` sends: one file, or every regular file under a directory (symlinks to
 * files are followed, symlinked directories are not, so a loop cannot trap the walk), named by
 * their POSIX path relative to that directory, sorted.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { usageError } from './exit-codes';

export interface LocalFile {
  /** Absolute (or cwd-relative) path on disk. */
  abs: string;
  /** Path inside the version: relative, `/`-separated. */
  path: string;
  size: number;
}

export async function listFiles(target: string): Promise<LocalFile[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch {
    throw usageError(`${target}: no such file or directory`);
  }
  if (info.isFile()) return [{ abs: target, path: basename(target).normalize('NFC'), size: info.size }];
  if (!info.isDirectory()) throw usageError(`${target} is neither a file nor a directory`);
  const out: LocalFile[] = [];
  await walk(target, target, out);
  if (out.length === 0) throw usageError(`${target} holds no files`);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walk(root: string, dir: string, out: LocalFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(root, abs, out);
      continue;
    }
    if (!entry.isFile() && !entry.isSymbolicLink()) continue; // sockets, fifos, devices
    const info = await stat(abs).catch(() => null);
    if (!info?.isFile()) continue; // a dangling link, or a link to a directory
    out.push({ abs, path: relative(root, abs).split(sep).join('/').normalize('NFC'), size: info.size });
  }
}
