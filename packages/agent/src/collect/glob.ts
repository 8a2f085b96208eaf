import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isAbsent } from './errors.js';

/** One result of expanding a pattern: a regular file, or a directory that could not be read. */
export type GlobHit = { rel: string; error?: undefined } | { rel: string; error: unknown };

const WILDCARD = /[*?[]/;

/** True when `pattern` holds a wildcard, i.e. it may match zero or many files. */
export const isPattern = (pattern: string): boolean => WILDCARD.test(pattern);

/** `*` and `?` within one name; dotfiles match too, since hidden files are what attackers plant. */
function segmentRegExp(segment: string): RegExp {
  const body = segment
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * Expands `pattern` (relative, `/`-separated; `*`, `?` and `**`) under `root`, yielding the
 * relative paths of regular files in sorted order. The last name may be a symlink to a file
 * (resolv.conf usually is); `**` does not descend into symlinked directories, so loops are
 * impossible. Unreadable directories are yielded as hits with an `error`; absent ones are not.
 */
export async function* expandGlob(
  root: string,
  pattern: string,
  signal?: AbortSignal,
): AsyncGenerator<GlobHit> {
  const segments = pattern.split('/').filter(Boolean);
  if (segments.at(-1) === '**') segments.push('*');
  yield* walk(root, '', segments, 0, signal);
}

async function* walk(
  root: string,
  rel: string,
  segments: readonly string[],
  i: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<GlobHit> {
  signal?.throwIfAborted();
  const segment = segments[i];
  if (segment === undefined) {
    if (await isRegularFile(path.join(root, rel))) yield { rel };
    return;
  }
  if (!isPattern(segment)) {
    yield* walk(root, join(rel, segment), segments, i + 1, signal);
    return;
  }
  const listed = await list(path.join(root, rel));
  if ('error' in listed) {
    if (listed.error !== null) yield { rel: rel || '.', error: listed.error };
    return;
  }
  if (segment === '**') {
    yield* walk(root, rel, segments, i + 1, signal);
    for (const e of listed.entries) {
      if (e.dir) yield* walk(root, join(rel, e.name), segments, i, signal);
    }
    return;
  }
  const re = segmentRegExp(segment);
  for (const e of listed.entries) {
    if (re.test(e.name)) yield* walk(root, join(rel, e.name), segments, i + 1, signal);
  }
}

const join = (rel: string, name: string): string => (rel ? `${rel}/${name}` : name);

async function isRegularFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    // Absent, dangling symlink or unreadable: not a file this pattern can deliver.
    return false;
  }
}

type Listing = { entries: { name: string; dir: boolean }[] } | { error: unknown };

async function list(dir: string): Promise<Listing> {
  try {
    const dirents = await readdir(dir, { withFileTypes: true });
    const entries = dirents.map((d) => ({ name: d.name, dir: d.isDirectory() }));
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { entries };
  } catch (err) {
    return { error: isAbsent(err) ? null : err };
  }
}
