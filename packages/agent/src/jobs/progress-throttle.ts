import type { ProgressFn } from '../ports.js';

/**
 * Wraps a progress sink so at most one report leaves per `intervalMs` (default 500 ms: two a
 * second). The latest value in between is kept and sent when the interval ends, so the server
 * always sees where the job got to. `dispose` drops a pending report (the result follows).
 */
export function throttleProgress(
  sink: ProgressFn,
  intervalMs = 500,
  now: () => number = Date.now,
): { progress: ProgressFn; dispose: () => void } {
  let last = -Infinity;
  let pending: Parameters<ProgressFn> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    timer = null;
    if (!pending) return;
    last = now();
    const args = pending;
    pending = null;
    sink(...args);
  };
  const progress: ProgressFn = (done, total, message) => {
    pending = [done, total, message];
    const wait = last + intervalMs - now();
    if (wait <= 0) flush();
    else timer ??= setTimeout(flush, wait);
  };
  return {
    progress,
    dispose: () => {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}
