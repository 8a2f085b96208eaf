import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { SourceMissingError } from '../errors.js';

/**
 * Small, failure-tolerant /proc helpers. Processes come and go while we walk /proc, so a read
 * that fails with ENOENT/ESRCH means "exited" and yields null; callers skip such processes.
 */

/** Pids present now, ascending. A procRoot that is not procfs is a missing source. */
export async function listPids(procRoot: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch (err) {
    throw new SourceMissingError(`${procRoot} cannot be listed (is procfs mounted?)`, { cause: err });
  }
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
  if (!pids.length) throw new SourceMissingError(`${procRoot} lists no processes (is procfs mounted?)`);
  return pids.sort((a, b) => a - b);
}

/** Text of a /proc file, or null when the process is gone or the file is unreadable. */
export async function readProcText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** Target of a /proc symlink (exe, cwd, fd/N) or null, with the reason when it could not be read. */
export async function readProcLink(link: string): Promise<{ target: string | null; error?: string }> {
  try {
    return { target: await readlink(link) };
  } catch (err) {
    return { target: null, error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  /** Start time in clock ticks after boot (field 22). */
  startTicks: number;
}

/** Parses /proc/<pid>/stat. `comm` may hold spaces and parentheses, so split after the last `)`. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const ppid = Number(rest[1]);
  if (!Number.isInteger(ppid)) return null;
  return {
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid,
    startTicks: Number(rest[19] ?? 0),
  };
}

/** NUL-separated argv; kernel threads have none. */
export const parseCmdline = (raw: string): string[] =>
  raw.split('\0').filter((a, i, all) => a || i < all.length - 1);

/** Real uid from /proc/<pid>/status. */
export function parseUid(status: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** Basic facts of one process, or null if it exited meanwhile. */
export async function readProcess(
  procRoot: string,
  pid: number,
): Promise<{ pid: number; stat: ProcStat; cmdline: string[] } | null> {
  const dir = path.join(procRoot, String(pid));
  const statText = await readProcText(path.join(dir, 'stat'));
  const stat = statText === null ? null : parseStat(statText);
  if (!stat) return null;
  const cmdline = parseCmdline((await readProcText(path.join(dir, 'cmdline'))) ?? '');
  return { pid, stat, cmdline };
}
