import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listPids, readProcess } from './proc.js';
import type { ReaderContext } from './reader.types.js';

/** Variables that route traffic through a proxy; nothing else is read out of environments. */
const PROXY_VARIABLE = /^(?:http|https|ftp|rsync|socks|all|no)_proxy$/i;

/**
 * Proxy variables of running processes from /proc/<pid>/environ, as JSON. Only those names are
 * kept: environments hold secrets the package has no business carrying.
 */
export async function* proxyEnvReader(ctx: ReaderContext): AsyncGenerator<string> {
  const pids = await listPids(ctx.procRoot);
  let unreadable = 0;
  let scanned = 0;
  const found: { pid: number; name: string; variables: Record<string, string> }[] = [];
  for (const pid of pids) {
    ctx.signal.throwIfAborted();
    let raw: string;
    try {
      raw = await readFile(path.join(ctx.procRoot, String(pid), 'environ'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable++;
      continue;
    }
    scanned++;
    const variables: Record<string, string> = {};
    for (const pair of raw.split('\0')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && PROXY_VARIABLE.test(pair.slice(0, eq))) variables[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    if (!Object.keys(variables).length) continue;
    const name = (await readProcess(ctx.procRoot, pid))?.stat.comm ?? '?';
    found.push({ pid, name, variables });
  }
  yield `${JSON.stringify({ scanned, unreadable, processes: found }, null, 1)}\n`;
}
