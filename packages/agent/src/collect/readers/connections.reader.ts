import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { SourceMissingError } from '../errors.js';
import { SOCKET_TABLES, parseSocketTable } from './proc-net.parse.js';
import type { SocketRow } from './proc-net.parse.js';
import { listPids, readProcLink, readProcess } from './proc.js';
import type { ReaderContext } from './reader.types.js';

/** A socket with the processes holding it (several after fork, none when unreadable). */
export interface ConnectionRecord extends SocketRow {
  pids: { pid: number; name: string }[];
}

/**
 * TCP and UDP sockets (v4 and v6) of the agent's network namespace, from /proc/net, joined with
 * their owning processes through the `socket:[inode]` links in /proc/<pid>/fd. Written as a
 * JSON array, one socket per line.
 */
export async function* connectionsReader(ctx: ReaderContext): AsyncGenerator<string> {
  const rows: SocketRow[] = [];
  const problems: string[] = [];
  for (const table of SOCKET_TABLES) {
    try {
      rows.push(...parseSocketTable(table, await readFile(path.join(ctx.procRoot, 'net', table), 'utf8')));
    } catch (err) {
      // tcp6/udp6 are absent when IPv6 is disabled; note it, keep the others.
      problems.push(`${table}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (problems.length === SOCKET_TABLES.length) {
    throw new SourceMissingError(`no socket table under ${ctx.procRoot}/net (${problems.join(', ')})`);
  }
  const owners = await socketOwners(ctx);
  yield '[\n';
  let first = true;
  for (const row of rows) {
    const record: ConnectionRecord = { ...row, pids: owners.get(row.inode) ?? [] };
    yield `${first ? '' : ',\n'}${JSON.stringify(record)}`;
    first = false;
  }
  if (problems.length) yield `${first ? '' : ',\n'}${JSON.stringify({ unreadableTables: problems })}`;
  yield '\n]\n';
}

/** inode → holders, from every readable fd directory. */
async function socketOwners(ctx: ReaderContext): Promise<Map<number, { pid: number; name: string }[]>> {
  const owners = new Map<number, { pid: number; name: string }[]>();
  for (const pid of await listPids(ctx.procRoot)) {
    ctx.signal.throwIfAborted();
    const fdDir = path.join(ctx.procRoot, String(pid), 'fd');
    let fds: string[];
    try {
      fds = await readdir(fdDir);
    } catch {
      continue; // Exited, or not ours to read without root.
    }
    let name: string | null = null;
    for (const fd of fds) {
      const { target } = await readProcLink(path.join(fdDir, fd));
      const m = target ? /^socket:\[(\d+)\]$/.exec(target) : null;
      if (!m) continue;
      name ??= (await readProcess(ctx.procRoot, pid))?.stat.comm ?? '?';
      const inode = Number(m[1]);
      const list = owners.get(inode) ?? [];
      if (!list.some((o) => o.pid === pid)) list.push({ pid, name });
      owners.set(inode, list);
    }
  }
  return owners;
}
