import type { IndicatorStore } from '../indicators/indicator-store.js';
import type { Logger } from '../log.js';
import type { ExecBlocklist } from '../ports.js';

export interface HashIndicatorEnforcementOptions {
  store: IndicatorStore;
  /** The lookup handed to the exec control while blocking hash indicators are held. */
  blocklist: ExecBlocklist;
  /** Switches the exec control's blocklist (the desired-state controller). */
  setBlocklist: (list: ExecBlocklist | null) => Promise<unknown>;
  /** Starts watching for new copies; returns the stop function. Null: no watcher configured. */
  watch: (() => Promise<() => void>) | null;
  log: Logger;
}

/**
 * Follows the indicator store and switches what hash indicators need on and off (issue 4): the
 * exec-control blocklist while any `block` / `block_and_remediate` hash indicator is held, the
 * new-copy watcher while any `block_and_remediate` one is. Counting is O(1) (the store keeps
 * counts per type and action), so this runs after every change, and the blocklist itself is a
 * live lookup: a change to which hashes are blocked needs no reload, only the on/off edges do.
 */
export class HashIndicatorEnforcement {
  private blocking = false;
  private stopWatch: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: HashIndicatorEnforcementOptions) {}

  /** Whether the blocklist is set and whether the watcher runs. */
  get status(): { blocking: boolean; watching: boolean } {
    return { blocking: this.blocking, watching: this.stopWatch !== null };
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.store.onChange(() => void this.sync());
    await this.sync();
  }

  /** Stops the watcher and stops following the store (the exec control is closed by its owner). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.tail;
    this.stopWatch?.();
    this.stopWatch = null;
  }

  /** Applies the current counts; serialised, so quick successive changes land in order. */
  sync(): Promise<void> {
    const run = this.tail.then(() => this.apply());
    this.tail = run.catch((e: unknown) =>
      this.o.log.error('hash indicator enforcement failed', {
        error: e instanceof Error ? e.message : String(e),
      }),
    );
    return run;
  }

  private async apply(): Promise<void> {
    if (this.stopped) return;
    const c = this.o.store.counts();
    const blocking = c.blockingHashes > 0;
    if (blocking !== this.blocking) {
      this.blocking = blocking;
      this.o.log.info(
        blocking ? 'blocking executions by hash indicator' : 'no blocking hash indicator left',
        {
          blockingHashes: c.blockingHashes,
        },
      );
      await this.o.setBlocklist(blocking ? this.o.blocklist : null);
    }
    const watching = c.remediatingHashes > 0 && this.o.watch !== null;
    if (watching && !this.stopWatch) {
      this.stopWatch = await this.o.watch!();
    } else if (!watching && this.stopWatch) {
      this.stopWatch();
      this.stopWatch = null;
    }
  }
}
