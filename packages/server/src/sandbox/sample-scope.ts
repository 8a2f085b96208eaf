import type { TraceEvent } from './trace-events.js';

/** The part of a trace that belongs to the sample: its process and everything it started. */
export interface SampleScope {
  /** The process that executed the sample; null when nothing tried to. */
  rootPid: number | null;
  /** When the sample's image started running (seconds since the epoch); null if it never did. */
  startTs: number | null;
  /** Why the sample could not be executed (`EACCES`…), when it could not. */
  execError: string | null;
  /**
   * The kernel refused the image as not executable (ENOEXEC) and it ran through `/bin/sh`
   * instead: right for a script without `#!`, wrong for binary data.
   */
  shellFallback: boolean;
  /** Events of the sample's processes, from its exec on, in trace order. */
  events: TraceEvent[];
}

/**
 * Cuts the sandbox's own setup (bubblewrap, the waiter that runs the sample) out of a trace.
 * The root is the process that executes `samplePath`; when the kernel refuses the image with
 * ENOEXEC, `execvp` retries it through `/bin/sh` in the same process, which counts as the start.
 * Children are found from spawn events in a first pass because strace may print a child's first
 * calls before the parent's `clone` returns.
 */
export function scopeToSample(events: readonly TraceEvent[], samplePath: string): SampleScope {
  const first = events.findIndex((e) => e.type === 'exec' && e.path === samplePath);
  if (first < 0)
    return { rootPid: null, startTs: null, execError: 'not started', shellFallback: false, events: [] };
  const rootPid = (events[first] as TraceEvent).pid;
  const shellFallback = (events[first] as TraceEvent).errno === 'ENOEXEC';
  const start = events.findIndex(
    (e, i) => i >= first && e.pid === rootPid && e.type === 'exec' && e.ok !== false,
  );
  if (start < 0) {
    const errno = events.find((e, i) => i >= first && e.pid === rootPid && e.type === 'exec')?.errno;
    return { rootPid, startTs: null, execError: errno ?? 'exec failed', shellFallback: false, events: [] };
  }

  const children = new Map<number, number[]>();
  for (const e of events) {
    if (e.type !== 'spawn' || e.child === null || e.thread) continue;
    const list = children.get(e.pid) ?? [];
    list.push(e.child);
    children.set(e.pid, list);
  }
  const tree = new Set<number>([rootPid]);
  const queue = [rootPid];
  while (queue.length) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      if (!tree.has(child)) {
        tree.add(child);
        queue.push(child);
      }
    }
  }
  const scoped = events.filter((e, i) => tree.has(e.pid) && (e.pid !== rootPid || i >= start));
  return {
    rootPid,
    startTs: (events[start] as TraceEvent).ts,
    execError: null,
    shellFallback,
    events: scoped,
  };
}
