import { listPids, readProcess } from './proc.js';
import type { ReaderContext } from './reader.types.js';

const MAX_CMDLINE = 400;

/**
 * The process tree as indented text (`pid ppid  command line`), children under their parent;
 * processes whose parent is gone or outside this pid namespace are roots. Holds one small
 * record per process, which is the footprint of `ps` itself.
 */
export async function* processTreeReader(ctx: ReaderContext): AsyncGenerator<string> {
  const pids = await listPids(ctx.procRoot);
  const nodes = new Map<number, { ppid: number; label: string }>();
  for (const pid of pids) {
    ctx.signal.throwIfAborted();
    const p = await readProcess(ctx.procRoot, pid);
    if (!p) continue;
    const cmd = p.cmdline.length ? p.cmdline.join(' ') : `[${p.stat.comm}]`;
    nodes.set(pid, {
      ppid: p.stat.ppid,
      label: cmd.length > MAX_CMDLINE ? `${cmd.slice(0, MAX_CMDLINE)}…` : cmd,
    });
  }
  const children = new Map<number, number[]>();
  const roots: number[] = [];
  for (const [pid, n] of nodes) {
    if (n.ppid !== pid && nodes.has(n.ppid)) children.set(n.ppid, [...(children.get(n.ppid) ?? []), pid]);
    else roots.push(pid);
  }
  yield 'PID\tPPID\tCOMMAND\n';
  // Iterative depth-first walk: a deep chain of forks must not overflow the stack.
  const stack = roots.reverse().map((pid) => ({ pid, depth: 0 }));
  for (let top = stack.pop(); top; top = stack.pop()) {
    const n = nodes.get(top.pid);
    if (!n) continue;
    yield `${top.pid}\t${n.ppid}\t${'  '.repeat(top.depth)}${n.label}\n`;
    const kids = children.get(top.pid) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ pid: kids[i]!, depth: top.depth + 1 });
  }
}
