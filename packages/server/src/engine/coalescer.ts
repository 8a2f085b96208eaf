/**
 * Group commit: items pushed in the same turn of the event loop (up to `max`) are handled
 * together, so 10,000 agent acks or acceptances from a fan-out cost a few transactions, not 10,000.
 * SQLite runs synchronously in this process, so one transaction per report would also stall the
 * event loop that sends the next commands.
 *
 * If a batch fails as a whole, each item is retried on its own so one bad report cannot sink the
 * others; each caller gets its own outcome.
 */
export class Coalescer<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly handle: (items: readonly I[]) => Promise<O[]>,
    private readonly max = 500,
  ) {}

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
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
    }
    // Reset in the same synchronous step as the last emptiness check, so a push after this point
    // schedules a new flush rather than joining one that has ended.
    this.scheduled = false;
  }
}
