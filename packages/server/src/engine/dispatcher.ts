import type { Logger } from 'pino';
import { actionDefinition, type ExecutorKind } from '@quell/core';
import { toAction, type ActionRow, type Tx } from '@quell/store';
import type { ActionService, TransitionExtra } from '../services/action.service.js';
import type { ServiceContext } from '../services/context.js';
import { Coalescer } from './coalescer.js';
import {
  TargetUnavailableError,
  TransientExecutorError,
  type Executor,
  type ExecutorRegistry,
} from './executor.js';

const SYSTEM = 'Quell';
/** Actions claimed per pass; a full pass runs the next one at once, so a 10,000-device fan-out drains in seconds. */
const BATCH = 500;
/**
 * While a backlog drains, the other checks (approval timeouts, expiry, overdue executors) run at
 * most this often: each reads every queued or in-flight action, so running them before each of
 * the twenty passes of a 10,000-action fan-out cost more than the passes themselves.
 */
const HOUSEKEEPING_DURING_BACKLOG_MS = 1000;
/** How often an action whose target is unreachable is looked at again (the target's return wakes it sooner). */
const UNAVAILABLE_RECHECK_MS = 60_000;
/** An action another instance can carry out (its agent is connected there) is looked at again this soon. */
const ELSEWHERE_RECHECK_MS = 2000;

export interface DispatcherOptions {
  /** Attempts before a transient failure becomes final. Default 3. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt. Default 5 s. */
  retryBaseMs?: number;
  /** Identifies this server instance when claiming work. */
  instanceId: string;
}

/**
 * Moves actions through the timer-driven part of the lifecycle: approvals that time out (counted
 * as rejected), queued actions whose TTL ran out, executors that overran their timeout, and queued
 * actions handed to their executor with retries. Each step commits before the next is acted on.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** A pass claimed a full batch and the last pass since has not come up short; see {@link backlogged}. */
  private backlog = false;
  private housekeptAt = -Infinity;
  private readonly inflight = new Map<string, AbortController>();
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  /**
   * Called after queued actions expired (committed), so people hear of it: ARCHITECTURE §4 says
   * expiry is a visible status *and* a notification, never silence.
   */
  onExpired: (rows: readonly ActionRow[]) => void = () => {};

  constructor(
    private readonly ctx: ServiceContext,
    private readonly actions: ActionService,
    private readonly registry: ExecutorRegistry,
    private readonly opts: DispatcherOptions,
    private readonly log: Logger = ctx.log,
  ) {
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.retryBaseMs = opts.retryBaseMs ?? 5000;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.wake(), intervalMs);
    this.timer.unref();
    this.wake();
  }

  get started(): boolean {
    return this.timer !== null;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.inflight.values()) c.abort();
    await this.running;
    // Aborted executions still record their outcome; let them finish before the store closes.
    await Promise.allSettled([...this.pending]);
  }

  /** Runs a tick soon; ticks never overlap. */
  wake(): void {
    // Before start() (and in tests that drive ticks by hand) nothing runs behind the caller's back.
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.tick()
      .catch((e: unknown) => this.log.error({ err: e }, 'dispatcher tick failed'))
      .finally(() => {
        this.running = null;
        if (this.again && this.timer) {
          this.again = false;
          // The next pass starts after pending I/O (API requests, agents' messages): a 10,000-device
          // fan-out must not freeze the console and the API while it drains.
          setImmediate(() => this.wake());
        }
      });
  }

  /** One pass over due work. Tests call it directly with an injected clock. */
  async tick(): Promise<void> {
    const now = this.ctx.clock.now();
    if (!this.backlog || now - this.housekeptAt >= HOUSEKEEPING_DURING_BACKLOG_MS) {
      this.housekeptAt = now;
      await this.timeOutApprovals();
      await this.expireQueued();
      await this.failOverdue();
    }
    await this.dispatchDue();
  }

  /**
   * Whether more work is due than the passes so far could take (a large fan-out is draining).
   * Bookkeeping that can wait (agents' acks and results) holds back meanwhile, so commands go out
   * first.
   */
  get backlogged(): boolean {
    return this.backlog;
  }

  /** Waits for executions started by the last tick (tests). */
  async settle(): Promise<void> {
    await this.running;
    while (this.pending.size) await Promise.all([...this.pending]);
  }
  private readonly pending = new Set<Promise<void>>();

  private async timeOutApprovals(): Promise<void> {
    const now = this.ctx.clock.now();
    await this.ctx.store.transaction(async (trx) => {
      for (const row of await this.ctx.store.actions.approvalsDue(trx, now, 500)) {
        await this.actions.transition(
          trx,
          row,
          'timed_out',
          SYSTEM,
          'no decision before the approval timeout; counts as rejected',
        );
      }
    });
  }

  private async expireQueued(): Promise<void> {
    const now = this.ctx.clock.now();
    const expired = await this.ctx.store.transaction(async (trx) => {
      const out: ActionRow[] = [];
      for (const row of await this.ctx.store.actions.queuedExpired(trx, now, 500)) {
        out.push(
          await this.actions.transition(
            trx,
            row,
            'expired',
            SYSTEM,
            row.error ? `expired: ${row.error}` : 'no executor took it before its TTL',
          ),
        );
      }
      return out;
    });
    if (expired.length) this.onExpired(expired);
  }

  private async failOverdue(): Promise<void> {
    const now = this.ctx.clock.now();
    await this.ctx.store.transaction(async (trx) => {
      for (const row of await this.ctx.store.actions.overdue(trx, now, 500)) {
        if (this.inflight.has(row.id)) this.inflight.get(row.id)?.abort();
        await this.retryOrFail(
          trx,
          row,
          `executor did not finish within ${actionDefinition(row.type).timeoutMs / 1000} s`,
          true,
        );
      }
    });
  }

  private async dispatchDue(): Promise<void> {
    const now = this.ctx.clock.now();
    const { claimed, full } = await this.ctx.store.transaction(async (trx) => {
      const due = await this.ctx.store.actions.dueForDispatch(trx, now, BATCH);
      const byExecutor = new Map<
        string,
        Array<{ row: ActionRow; to: 'dispatched'; reason: string; extra: TransitionExtra }>
      >();
      const waiting = new Map<Executor | null, Array<{ row: ActionRow; why: string }>>();
      for (const row of due) {
        const def = actionDefinition(row.type);
        const executor = this.registry.resolve(row.type, def.executors as readonly ExecutorKind[]);
        const why = executor
          ? (executor.unavailable?.(toAction(row)) ?? null)
          : `no ${def.executors.join('/')} executor for ${def.id} is installed; it waits until one is or until it expires`;
        if (!executor || why !== null) {
          const list = waiting.get(executor ?? null) ?? [];
          list.push({ row, why: why! });
          waiting.set(executor ?? null, list);
          continue;
        }
        const items = byExecutor.get(executor.name) ?? [];
        items.push({
          row,
          to: 'dispatched',
          reason: `handed to ${executor.name}`,
          extra: {
            attempts: row.attempts + 1,
            claimedBy: this.opts.instanceId,
            claimedUntil: now + def.timeoutMs,
            error: null,
          },
        });
        byExecutor.set(executor.name, items);
      }
      for (const [executor, list] of waiting) await this.wait(trx, executor, list, now);
      const out: ActionRow[] = [];
      for (const items of byExecutor.values())
        out.push(...(await this.actions.transitionMany(trx, items, SYSTEM)));
      return { claimed: out, full: due.length === BATCH };
    });
    // More is due than one pass takes: go again as soon as this tick ends.
    if (full) this.again = true;
    this.backlog = full;
    for (const row of claimed) {
      const p = this.execute(row)
        .catch((e: unknown) => this.log.error({ err: e, actionId: row.id }, 'recording an execution failed'))
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /**
   * Actions that cannot start here now. Waiting spends no attempt; the next look is pushed out so
   * waiting actions cost nothing per tick: soon when another instance can carry one out (for it
   * to claim), after {@link UNAVAILABLE_RECHECK_MS} otherwise.
   */
  private async wait(
    trx: Tx,
    executor: Executor | null,
    list: ReadonlyArray<{ row: ActionRow; why: string }>,
    now: number,
  ): Promise<void> {
    const elsewhere = executor?.servedElsewhere
      ? await executor.servedElsewhere(
          trx,
          list.map((w) => toAction(w.row)),
        )
      : new Map<string, string>();
    for (const { row, why } of list) {
      const there = elsewhere.get(row.id);
      await this.ctx.store.actions.update(trx, row.id, row.version, {
        error: there ?? why,
        next_attempt_at: now + (there ? ELSEWHERE_RECHECK_MS : UNAVAILABLE_RECHECK_MS),
      });
    }
  }

  /**
   * Records "the target accepted it" for deferred executors. Acceptances arrive by the thousand
   * in a fan-out, so they are written together, one transaction per flush, not one each.
   */
  private readonly accepted = new Coalescer<{ id: string; executorName: string }, void>((items) =>
    this.markRunning(items),
  );

  private async markRunning(items: ReadonlyArray<{ id: string; executorName: string }>): Promise<void[]> {
    try {
      await this.ctx.store.transaction(async (trx) => {
        const rows = new Map(
          (
            await this.ctx.store.actions.getMany(
              trx,
              items.map((i) => i.id),
            )
          ).map((r) => [r.id, r]),
        );
        const byExecutor = new Map<string, Array<{ row: ActionRow; to: 'running'; reason: string }>>();
        for (const { id, executorName } of items) {
          const row = rows.get(id);
          // The result may have come first, or someone cancelled: then there is nothing to mark.
          if (row?.status !== 'dispatched') continue;
          byExecutor.set(executorName, [
            ...(byExecutor.get(executorName) ?? []),
            { row, to: 'running', reason: 'target accepted it' },
          ]);
        }
        for (const [name, list] of byExecutor) await this.actions.transitionMany(trx, list, name);
      });
    } catch (e) {
      // The actions stay dispatched; the result (or the overdue check) still moves them on.
      this.log.error({ err: e, actions: items.length }, 'marking accepted actions running failed');
    }
    return items.map(() => undefined);
  }

  private async execute(row: ActionRow): Promise<void> {
    const def = actionDefinition(row.type);
    const executor = this.registry.resolve(row.type, def.executors as readonly ExecutorKind[]);
    if (!executor) return;
    const controller = new AbortController();
    this.inflight.set(row.id, controller);
    const timer = setTimeout(() => controller.abort(), def.timeoutMs);
    try {
      const result = await executor.execute(toAction(row), controller.signal);
      if (executor.completion === 'deferred') {
        // Accepted, not finished: the result arrives later through whoever receives it. It may
        // even have arrived already, in which case the action is no longer dispatched.
        if (!executor.recordsAcceptance)
          await this.accepted.push({ id: row.id, executorName: executor.name });
        return;
      }
      await this.finish(row.id, async (trx, current) => {
        await this.actions.transition(trx, current, 'succeeded', executor.name, 'executor reported success', {
          result,
          claimedUntil: null,
        });
      });
    } catch (e) {
      if (e instanceof TargetUnavailableError) {
        await this.finish(row.id, (trx, current) => this.requeueUnavailable(trx, current, e.message));
        return;
      }
      const transient = e instanceof TransientExecutorError || controller.signal.aborted;
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn({ actionId: row.id, err: message, transient }, 'action execution failed');
      await this.finish(row.id, (trx, current) => this.retryOrFail(trx, current, message, transient));
    } finally {
      clearTimeout(timer);
      this.inflight.delete(row.id);
    }
  }

  /** Applies an outcome unless the action moved on meanwhile (cancelled, or timed out by a tick). */
  private async finish(id: string, apply: (trx: Tx, row: ActionRow) => Promise<void>): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      const current = await this.ctx.store.actions.get(trx, id);
      if (!current || (current.status !== 'dispatched' && current.status !== 'running')) return;
      await apply(trx, current);
    });
  }

  /** Back to the queue with the attempt given back: the target was away, nothing was tried. */
  private async requeueUnavailable(trx: Tx, row: ActionRow, message: string): Promise<void> {
    await this.actions.transition(trx, row, 'queued', SYSTEM, message, {
      error: message,
      attempts: Math.max(0, row.attempts - 1),
      nextAttemptAt: this.ctx.clock.now() + UNAVAILABLE_RECHECK_MS,
      claimedBy: null,
      claimedUntil: null,
    });
  }

  private async retryOrFail(trx: Tx, row: ActionRow, message: string, transient: boolean): Promise<void> {
    const now = this.ctx.clock.now();
    if (transient && row.attempts < this.maxAttempts && row.expires_at > now) {
      const delay = this.retryBaseMs * 2 ** (row.attempts - 1);
      await this.actions.transition(
        trx,
        row,
        'queued',
        SYSTEM,
        `attempt ${row.attempts} failed (${message}); retrying`,
        {
          error: message,
          nextAttemptAt: now + delay,
          claimedBy: null,
          claimedUntil: null,
        },
      );
    } else {
      await this.actions.transition(trx, row, 'failed', SYSTEM, message, {
        error: message,
        claimedUntil: null,
      });
    }
  }
}
