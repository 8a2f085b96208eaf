import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { sha256File } from '../hash.js';
import { listPids, parseUid, readProcLink, readProcText, readProcess } from './proc.js';
import type { ReaderContext } from './reader.types.js';
import { readUserNames } from './users.js';

/** One process in `processes.json`. */
export interface ProcessRecord {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  uid: number | null;
  user: string | null;
  cmdline: string[];
  /** Image path as the kernel reports it; ends in " (deleted)" when the file was removed. */
  exe: string | null;
  /** SHA-256 of the image actually running (read through /proc/<pid>/exe, so deleted images hash too). */
  sha256: string | null;
  exeError: string | null;
  cwd: string | null;
  startTicks: number;
}

/**
 * Processes as a JSON array, one process per line. Each distinct image (by device and inode) is
 * hashed once, so a host with a thousand workers of one binary reads that binary once.
 */
export async function* processesReader(ctx: ReaderContext): AsyncGenerator<string> {
  const pids = await listPids(ctx.procRoot);
  const users = await readUserNames(ctx.fsRoot);
  const hashes = new Map<string, { sha256: string | null; error: string | null }>();
  let first = true;
  yield '[\n';
  for (const pid of pids) {
    ctx.signal.throwIfAborted();
    const record = await readRecord(ctx, pid, users, hashes);
    if (!record) continue;
    yield `${first ? '' : ',\n'}${JSON.stringify(record)}`;
    first = false;
  }
  yield '\n]\n';
}

async function readRecord(
  ctx: ReaderContext,
  pid: number,
  users: Map<number, string>,
  hashes: Map<string, { sha256: string | null; error: string | null }>,
): Promise<ProcessRecord | null> {
  const proc = await readProcess(ctx.procRoot, pid);
  if (!proc) return null;
  const dir = path.join(ctx.procRoot, String(pid));
  const status = await readProcText(path.join(dir, 'status'));
  const uid = status === null ? null : parseUid(status);
  const exe = await readProcLink(path.join(dir, 'exe'));
  const cwd = await readProcLink(path.join(dir, 'cwd'));
  let image: { sha256: string | null; error: string | null } = { sha256: null, error: exe.error ?? null };
  // Kernel threads have no image (readlink gives ENOENT); only hash real ones.
  if (exe.target !== null) image = await hashImage(path.join(dir, 'exe'), hashes, ctx.signal);
  return {
    pid,
    ppid: proc.stat.ppid,
    name: proc.stat.comm,
    state: proc.stat.state,
    uid,
    user: uid === null ? null : (users.get(uid) ?? null),
    cmdline: proc.cmdline,
    exe: exe.target,
    sha256: image.sha256,
    exeError: image.error,
    cwd: cwd.target,
    startTicks: proc.stat.startTicks,
  };
}

async function hashImage(
  exeLink: string,
  cache: Map<string, { sha256: string | null; error: string | null }>,
  signal: AbortSignal,
): Promise<{ sha256: string | null; error: string | null }> {
  let key: string;
  try {
    const st = await stat(exeLink);
    key = `${st.dev}:${st.ino}`;
  } catch (err) {
    return { sha256: null, error: describeError(err) };
  }
  const cached = cache.get(key);
  if (cached) return cached;
  let result: { sha256: string | null; error: string | null };
  try {
    result = { sha256: await sha256File(exeLink, { signal }), error: null };
  } catch (err) {
    signal.throwIfAborted();
    result = { sha256: null, error: describeError(err) };
  }
  cache.set(key, result);
  return result;
}
