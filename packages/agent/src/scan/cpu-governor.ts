import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Keeps a scan's average CPU (this process plus the children it runs, e.g. `yara`) at or below
 * `limit` cores. Chosen mechanism: duty cycling. Our own work sleeps whenever it is ahead of its
 * budget; a child is stopped with SIGSTOP and resumed with SIGCONT. cgroup v2 `cpu.max` would be
 * smoother, but it needs a writable, delegated cgroup v2 hierarchy, which many hosts (hybrid
 * v1/v2, containers) do not give the agent; signals work everywhere. clamd is a separate daemon
 * and is not counted (its CPU is governed by its own config).
 *
 * Accounting: `process.cpuUsage()` (all our threads), plus `cutime+cstime` of /proc/self/stat
 * (children already reaped), plus utime+stime of /proc/<pid>/stat of children still running.
 */

/** The CPU readings the governor needs; a port so the pacing maths is unit-testable. */
export interface CpuClock {
  /** Monotonic wall time, µs. */
  nowMicros(): number;
  /** CPU of this process (user+system), µs. */
  selfMicros(): number;
  /** CPU of reaped children (cutime+cstime), µs. */
  reapedChildrenMicros(): number;
  /** CPU of a live child (utime+stime), µs; null once it is gone. */
  childMicros(pid: number): number | null;
}

/** Linux reports /proc times in USER_HZ ticks, 100 on every mainstream architecture. */
const TICK_MICROS = 10_000;

function statTimes(path: string): number[] | null {
  try {
    const text = readFileSync(path, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses; fields after the last ')' are fixed.
    return text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  } catch {
    return null;
  }
}

/** Reads the real process's clocks (always the real /proc, whatever procRoot a scan uses). */
export const systemCpuClock: CpuClock = {
  nowMicros: () => Number(process.hrtime.bigint() / 1000n),
  selfMicros: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  // Fields after comm start at field 3 (state): cutime is field 16, cstime 17.
  reapedChildrenMicros: () => {
    const f = statTimes('/proc/self/stat');
    return f ? ((f[13] ?? 0) + (f[14] ?? 0)) * TICK_MICROS : 0;
  },
  childMicros: (pid) => {
    const f = statTimes(`/proc/${pid}/stat`);
    return f ? ((f[11] ?? 0) + (f[12] ?? 0)) * TICK_MICROS : null;
  },
};

/** Sleeps shorter than this are not worth a timer; the debt is paid at the next check. */
const MIN_SLEEP_MS = 5;
/** Minimum wall time between two pacing checks of our own work. */
const PACE_CHECK_MS = 10;
/** How often a running child's CPU is checked. */
const CHILD_CHECK_MS = 50;

export class CpuGovernor {
  private readonly start: number;
  private readonly selfStart: number;
  private readonly reapedStart: number;
  private readonly live = new Set<number>();
  private lastPace = -Infinity;

  /** @param limit cores (0.5 = half of one core); `Infinity` disables the cap. */
  constructor(
    readonly limit: number,
    private readonly clock: CpuClock = systemCpuClock,
  ) {
    this.start = clock.nowMicros();
    this.selfStart = clock.selfMicros();
    this.reapedStart = clock.reapedChildrenMicros();
  }

  get capped(): boolean {
    return Number.isFinite(this.limit);
  }

  /** CPU used since the governor was created, µs. */
  usedMicros(): number {
    let used =
      this.clock.selfMicros() - this.selfStart + this.clock.reapedChildrenMicros() - this.reapedStart;
    for (const pid of this.live) used += this.clock.childMicros(pid) ?? 0;
    return used;
  }

  /** How long to pause (ms) so that average use falls back to the limit; 0 when within it. */
  debtMs(): number {
    if (!this.capped) return 0;
    const elapsed = this.clock.nowMicros() - this.start;
    const owed = this.usedMicros() / this.limit - elapsed;
    return owed > 0 ? owed / 1000 : 0;
  }

  /**
   * Sleeps off any CPU debt. Rejects with the signal's AbortError when aborted meanwhile.
   * Checks at most every {@link PACE_CHECK_MS}: called per file, the readings (a /proc read
   * each) would otherwise cost more than small files do.
   */
  async pace(signal: AbortSignal): Promise<void> {
    if (!this.capped) return;
    const now = this.clock.nowMicros();
    if (now - this.lastPace < PACE_CHECK_MS * 1000) return;
    this.lastPace = now;
    const ms = this.debtMs();
    if (ms >= MIN_SLEEP_MS) await sleep(ms, undefined, { signal });
  }

  /**
   * Counts `pid` towards the budget and duty-cycles it while it runs. Returns the function to
   * call when the child has exited (it also resumes a child left stopped).
   */
  governChild(pid: number): () => void {
    this.live.add(pid);
    if (!this.capped) return () => this.live.delete(pid);
    let stopped = false;
    let resumeAt = 0;
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(pid, sig);
      } catch {
        // The child already exited; the exit handler cleans up.
      }
    };
    const timer = setInterval(() => {
      const now = this.clock.nowMicros();
      if (stopped && now < resumeAt) return;
      if (stopped) {
        stopped = false;
        signal('SIGCONT');
      }
      const debt = this.debtMs();
      if (debt >= MIN_SLEEP_MS) {
        stopped = true;
        resumeAt = now + debt * 1000;
        signal('SIGSTOP');
      }
    }, CHILD_CHECK_MS);
    return () => {
      clearInterval(timer);
      if (stopped) signal('SIGCONT');
      this.live.delete(pid);
    };
  }
}
