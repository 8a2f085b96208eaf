import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ProgressMessage } from '@quell/contracts';
import type { Store } from '@quell/store';
import type { Clock } from '../../ports.js';
import { belongsTo, type AgentIdentity } from './agent-results.js';

interface Pending {
  who: AgentIdentity;
  msg: ProgressMessage;
}

/**
 * Live progress, throttled: at most one write per action per `minIntervalMs` (default 500 ms,
 * so ≤ 2/s); the latest report in between is kept and written when the interval has passed. A
 * scan reporting every file would otherwise write thousands of rows a second.
 */
export class ProgressWriter {
  private readonly lastWrite = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly minIntervalMs = 500,
  ) {}

  report(who: AgentIdentity, msg: ProgressMessage): Promise<void> {
    const last = this.lastWrite.get(msg.actionId) ?? -Infinity;
    if (performance.now() - last >= this.minIntervalMs) return this.write({ who, msg });
    this.pending.set(msg.actionId, { who, msg });
    this.timer ??= setTimeout(() => this.flushDue(), this.minIntervalMs);
    return Promise.resolve();
  }

  /** Forgets an action (it finished); a late report for it is dropped by the status check anyway. */
  forget(actionId: string): void {
    this.pending.delete(actionId);
    this.lastWrite.delete(actionId);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private flushDue(): void {
    this.timer = null;
    const items = [...this.pending.values()];
    this.pending.clear();
    for (const p of items) void this.write(p);
  }

  private async write({ who, msg }: Pending): Promise<void> {
    this.lastWrite.set(msg.actionId, performance.now());
    try {
      // Only the device's own unfinished actions: a late report must not resurrect progress on
      // a finished action, and an agent must not write on another device's action.
      await this.store.transaction(async (trx) => {
        const row = await this.store.actions.get(trx, msg.actionId);
        if (!row || !belongsTo(row, who) || (row.status !== 'dispatched' && row.status !== 'running')) return;
        await this.store.actions.setProgress(trx, msg.actionId, {
          done: msg.done,
          total: msg.total,
          message: msg.message ?? null,
          at: this.clock.now(),
        });
      });
    } catch (e) {
      // Progress is advisory; the next report repeats it.
      this.log.warn({ err: e, actionId: msg.actionId }, 'could not record action progress');
    }
  }
}
