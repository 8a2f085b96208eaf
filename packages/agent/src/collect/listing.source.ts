import { lstat, readdir, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { SourceMissingError, describeError, isAbsent } from './errors.js';
import type { SourceNotes } from './file.source.js';
import { sha256File } from './hash.js';
import { readUserNames } from './readers/users.js';

/** One line of a listing. `path` is as seen on the host (absolute, without `fsRoot`). */
export interface ListingEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'block' | 'char' | 'other';
  size: number;
  /** Permission bits including setuid/setgid/sticky, octal. */
  mode: string;
  uid: number;
  gid: number;
  owner: string | null;
  mtime: string;
  target?: string;
  sha256?: string | null;
  /** Why there is no hash (too large, unreadable) or why a directory was not descended. */
  note?: string;
}

export interface ListingOptions {
  fsRoot: string;
  roots: readonly string[];
  hash: boolean;
  /** Files larger than this are listed without a hash. */
  hashMaxBytes: number;
  /** Stops after this many entries and says so (a tmp flooded with files must not stall the job). */
  maxEntries: number;
  signal: AbortSignal;
  notes: SourceNotes;
}

/**
 * Lists directory trees as JSON lines, depth first in name order, never following symlinks
 * (a symlink is listed with its target). Roots that do not exist get a line saying so; when
 * none exists the item is missing.
 */
export async function* listingSource(opts: ListingOptions): AsyncGenerator<string> {
  const present: string[] = [];
  const absent: string[] = [];
  for (const root of opts.roots) {
    try {
      await lstat(path.join(opts.fsRoot, root));
      present.push(root);
    } catch (err) {
      if (!isAbsent(err))
        present.push(root); // Unreadable: let the walk report the error.
      else absent.push(root);
    }
  }
  if (!present.length)
    throw new SourceMissingError(`none of ${opts.roots.map((r) => `/${r}`).join(', ')} exists`);
  for (const root of absent) yield `${JSON.stringify({ path: `/${root}`, note: 'does not exist' })}\n`;

  const owners = await readUserNames(opts.fsRoot);
  let count = 0;
  const stack = [...present].reverse();
  for (let rel = stack.pop(); rel !== undefined; rel = stack.pop()) {
    opts.signal.throwIfAborted();
    if (count >= opts.maxEntries) {
      opts.notes.truncated = `listing stopped after ${opts.maxEntries} entries`;
      yield `${JSON.stringify({ note: opts.notes.truncated })}\n`;
      return;
    }
    const abs = path.join(opts.fsRoot, rel);
    let st: Stats;
    try {
      st = await lstat(abs);
    } catch (err) {
      if (!isAbsent(err)) yield `${JSON.stringify({ path: `/${rel}`, note: describeError(err) })}\n`;
      continue;
    }
    const entry = await describe(rel, abs, st, owners, opts);
    if (entry.type === 'dir') {
      try {
        const names = (await readdir(abs)).sort();
        for (let i = names.length - 1; i >= 0; i--) stack.push(`${rel}/${names[i]}`);
      } catch (err) {
        entry.note = `not listed: ${describeError(err)}`;
      }
    }
    count++;
    yield `${JSON.stringify(entry)}\n`;
  }
}

async function describe(
  rel: string,
  abs: string,
  st: Stats,
  owners: Map<number, string>,
  opts: ListingOptions,
): Promise<ListingEntry> {
  const entry: ListingEntry = {
    path: `/${rel}`,
    type: typeOf(st),
    size: st.size,
    mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: st.uid,
    gid: st.gid,
    owner: owners.get(st.uid) ?? null,
    mtime: st.mtime.toISOString(),
  };
  if (entry.type === 'symlink')
    entry.target = await readlink(abs).catch((err: unknown) => `? ${describeError(err)}`);
  if (entry.type === 'file' && opts.hash) {
    if (st.size > opts.hashMaxBytes) {
      entry.sha256 = null;
      entry.note = `not hashed: larger than ${opts.hashMaxBytes} bytes`;
    } else {
      try {
        entry.sha256 = await sha256File(abs, { signal: opts.signal, noFollow: true });
      } catch (err) {
        opts.signal.throwIfAborted();
        entry.sha256 = null;
        entry.note = `not hashed: ${describeError(err)}`;
      }
    }
  }
  return entry;
}

function typeOf(st: Stats): ListingEntry['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice()) return 'block';
  if (st.isCharacterDevice()) return 'char';
  return 'other';
}
