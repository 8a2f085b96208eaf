import type { SandboxProcess } from './report.schema.js';
import type { SampleScope } from './sample-scope.js';

/** Beyond this many processes (a fork bomb), the report keeps the first ones only. */
export const MAX_REPORTED_PROCESSES = 500;

/**
 * The sample's process tree from its scoped events: who started whom, what each executed (the
 * last image, with its argv) and how each ended. Pure.
 */
export function processTree(scope: SampleScope): SandboxProcess[] {
  if (scope.rootPid === null || scope.startTs === null) return [];
  const start = scope.startTs;
  const ms = (ts: number) => Math.max(0, Math.round((ts - start) * 1000));
  const procs = new Map<number, SandboxProcess>();
  // Whether a process's image came from its own exec (not inherited from a fork).
  const execd = new Set<number>();
  const get = (pid: number, ts: number): SandboxProcess | undefined => {
    let p = procs.get(pid);
    if (!p && procs.size < MAX_REPORTED_PROCESSES) {
      p = {
        pid,
        sandboxPid: null,
        ppid: null,
        executable: '',
        argv: [],
        startMs: ms(ts),
        exitCode: null,
        signal: null,
      };
      procs.set(pid, p);
    }
    return p;
  };

  for (const e of scope.events) {
    if (e.type === 'spawn' && e.child !== null && !e.thread) {
      const parent = procs.get(e.pid);
      const child = get(e.child, e.ts);
      if (!child) continue;
      child.ppid = e.pid;
      child.sandboxPid = e.sandboxPid;
      child.startMs = Math.min(child.startMs, ms(e.ts));
      if (!execd.has(e.child) && parent) {
        child.executable = parent.executable;
        child.argv = [...parent.argv];
      }
    } else if (e.type === 'exec' && e.ok !== false) {
      const p = get(e.pid, e.ts);
      if (!p) continue;
      p.executable = e.path;
      p.argv = e.argv;
      execd.add(e.pid);
    } else if (e.type === 'exit') {
      const p = procs.get(e.pid);
      if (p) p.exitCode = e.code;
    } else if (e.type === 'killed') {
      const p = procs.get(e.pid);
      if (p) p.signal = e.signal;
    }
  }
  return [...procs.values()];
}
