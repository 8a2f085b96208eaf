import type { ImageMatch, ProcessScanner } from './process-scan.js';
import type { ProcessTable } from './quarantine.ports.js';

export interface StopOutcome {
  /** Stopped, killed and verified gone. */
  killed: ImageMatch[];
  /** Still there after SIGKILL and the wait. */
  survivors: number[];
  /** Found in a later round but refused by `accept` (left running). */
  refused: ImageMatch[];
}

export interface ProcessStopperOptions {
  /** How long killed processes get to disappear. Default 5 s. */
  timeoutMs?: number;
  /** Scans after the first, catching processes spawned meanwhile. Default 10. */
  maxRounds?: number;
  /** Poll interval while waiting. Default 25 ms. */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Freezes every matching process before killing any: a family of processes that respawn each
 * other (a watchdog and its worker) would otherwise bring one back while the other dies. Scans
 * repeat until one finds nothing new; then SIGKILL, and wait until each is gone.
 *
 * Pids are reused, so each process is checked again once stopped (same start time, still
 * running the file); one that turned out to be something else is continued and left alone.
 */
export class ProcessStopper {
  private readonly timeoutMs: number;
  private readonly maxRounds: number;
  private readonly pollMs: number;

  constructor(
    private readonly table: ProcessTable,
    private readonly scanner: ProcessScanner,
    opts: ProcessStopperOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.maxRounds = opts.maxRounds ?? 10;
    this.pollMs = opts.pollMs ?? 25;
  }

  /**
   * `first`: the matches of the scan the caller already made (and checked); `accept` decides on
   * processes found in later rounds (their image path was not checked yet).
   */
  async stopAndKill(
    first: readonly ImageMatch[],
    accept: (m: ImageMatch) => Promise<boolean>,
  ): Promise<StopOutcome> {
    const stopped = new Map<number, ImageMatch>();
    const refused: ImageMatch[] = [];
    const refusedPids = new Set<number>();
    let batch: readonly ImageMatch[] = first;
    for (let round = 0; round <= this.maxRounds && batch.length; round++) {
      for (const m of batch) await this.freeze(m, stopped);
      const fresh: ImageMatch[] = [];
      for (const m of await this.scanner.scan()) {
        if (stopped.has(m.snap.pid) || refusedPids.has(m.snap.pid)) continue;
        if (await accept(m)) fresh.push(m);
        else {
          refused.push(m);
          refusedPids.add(m.snap.pid);
        }
      }
      batch = fresh;
    }
    for (const pid of stopped.keys()) this.table.signal(pid, 'SIGKILL');
    const survivors = await this.waitGone([...stopped.values()]);
    return {
      killed: [...stopped.values()].filter((m) => !survivors.includes(m.snap.pid)),
      survivors,
      refused,
    };
  }

  private async freeze(m: ImageMatch, stopped: Map<number, ImageMatch>): Promise<void> {
    if (stopped.has(m.snap.pid)) return;
    if (!this.table.signal(m.snap.pid, 'SIGSTOP')) return;
    const now = await this.table.read(m.snap.pid);
    const still = now && now.startTime === m.snap.startTime ? await this.scanner.match(now) : null;
    if (still) stopped.set(m.snap.pid, m);
    // Another process took the pid, or this one exec'd something else between scan and stop.
    else this.table.signal(m.snap.pid, 'SIGCONT');
  }

  private async waitGone(ms: readonly ImageMatch[]): Promise<number[]> {
    const deadline = Date.now() + this.timeoutMs;
    let alive = [...ms];
    while (alive.length) {
      const next: ImageMatch[] = [];
      for (const m of alive) {
        const now = await this.table.read(m.snap.pid);
        // A zombie is dead: only its parent's wait() is missing.
        const gone = !now || now.startTime !== m.snap.startTime || now.state === 'Z' || now.state === 'X';
        if (!gone) next.push(m);
      }
      alive = next;
      if (!alive.length || Date.now() > deadline) break;
      await sleep(this.pollMs);
    }
    return alive.map((m) => m.snap.pid);
  }
}
