import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { listPids, readProcLink, readProcess } from './proc.js';
import type { ReaderContext } from './reader.types.js';

/**
 * Every open file descriptor as tab-separated lines (`pid comm fd target`), streamed process by
 * process so hosts with a million descriptors do not grow the agent. Processes whose fd
 * directory cannot be read (not root, or hidepid) are counted at the end, not silently dropped.
 */
export async function* openFilesReader(ctx: ReaderContext): AsyncGenerator<string> {
  const pids = await listPids(ctx.procRoot);
  let unreadable = 0;
  yield 'PID\tCOMM\tFD\tTARGET\n';
  for (const pid of pids) {
    ctx.signal.throwIfAborted();
    const proc = await readProcess(ctx.procRoot, pid);
    if (!proc) continue;
    const fdDir = path.join(ctx.procRoot, String(pid), 'fd');
    let fds: string[];
    try {
      fds = await readdir(fdDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable++;
      continue;
    }
    const lines: string[] = [];
    for (const fd of fds.sort((a, b) => Number(a) - Number(b))) {
      const link = await readProcLink(path.join(fdDir, fd));
      if (link.target !== null) lines.push(`${pid}\t${proc.stat.comm}\t${fd}\t${link.target}\n`);
    }
    if (lines.length) yield lines.join('');
  }
  yield `# ${unreadable} process(es) whose descriptors could not be read\n`;
}
