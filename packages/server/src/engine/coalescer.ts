/**
 * Group commit: items pushed in the same turn of the event loop (up to `max`) are handled
 * together, so 10,000 agent acks or acceptances from a fan-out cost a few transactions, not 10,000.
 * SQLite runs synchronously in this process, so one transaction per report would also stall the
 * event loop that sends the next commands.
 *
 * Between batches the event loop is let go, and a caller may hold items back while more urgent
 * work runs (see {@link CoalescerOptions.hold}).
 *
 * If a batch fails as a whole, each item is retried on its own so one bad report cannot sink the
 * others; each caller gets its own outcome.
 */
export interface CoalescerOptions {
  /** Items handled together at most. Default 500. */
  max?: number;
  /**
   * While this says true, items wait (more urgent work has the event loop, e.g. a fan-out's
   * commands going out), but never longer than `maxHoldMs` after the oldest arrived.
   */
  hold?: () => boolean;
  /** Default 2000 ms. */
  maxHoldMs?: number;
}

/** How often a held queue looks again whether it may go. */
const HOLD_RECHECK_MS = 25;

export class Coalescer<I, O> {
  private queue: Array<{ item: I; at: number; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private readonly max: number;
  private readonly hold: () => boolean;
  private readonly maxHoldMs: number;

  constructor(
    private readonly handle: (items: readonly I[]) => Promise<O[]>,
    opts: CoalescerOptions = {},
  ) {
    this.max = opts.max ?? 500;
    this.hold = opts.hold ?? (() => false);
    this.maxHoldMs = opts.maxHoldMs ?? 2000;
  }

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, at: Date.now(), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const oldest = this.queue[0]?.at ?? Date.now();
      if (this.hold() && Date.now() - oldest < this.maxHoldMs) {
        setTimeout(() => void this.flush(), HOLD_RECHECK_MS);
        return;
      }
      const batch = this.queue.splice(0, this.max);
      try {
        const out = await this.handle(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i] as O));
      } catch {
        for (const b of batch) {
          try {
            const [o] = await this.handle([b.item]);
            b.resolve(o as O);
          } catch (e) {
            b.reject(e);
          }
        }
      }
      // Let I/O in between batches: a long queue must not hold up everything else.
      if (this.queue.length) await new Promise<void>((r) => setImmediate(r));
    }
    // Reset in the same synchronous step as the last emptiness check, so a push after this point
    // schedules a new flush rather than joining one that has ended.
    this.scheduled = false;
  }
}
