import { readdir, readFile } from 'node:fs/promises';

/** Parent of each live process, read from `/proc/<pid>/stat`. */
async function parentMap(): Promise<Map<number, number[]>> {
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  return children;
}

/** Every live descendant of `pid` (not `pid` itself), parents before children. */
export async function descendants(pid: number): Promise<number[]> {
  const children = await parentMap();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: the aim is reached.
  }
}

/**
 * SIGKILLs everything below the tracer, but not the tracer, so strace records each death and
 * closes its log. Killing bubblewrap's init (pid 1 of the sandbox's pid namespace) makes the
 * kernel kill every process in the namespace, so nothing the sample started (setsid, double
 * fork) survives; the second pass catches what forked while the first was reading /proc.
 */
export async function killBelow(tracerPid: number): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    for (const pid of await descendants(tracerPid)) kill(pid);
  }
}

/** Last resort: SIGKILL the whole process group of the detonation (tracer included). */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
