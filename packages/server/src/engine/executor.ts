import type { Action } from '@quell/contracts';
import { NotSupportedError, type ExecutorKind } from '@quell/core';
import type { Tx } from '@quell/store';

/** A failure the dispatcher may retry (the target was unreachable, busy, or timed out). */
export class TransientExecutorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientExecutorError';
  }
}

/**
 * The target cannot be reached now (an agent that is offline). The dispatcher puts the action back
 * in the queue without spending an attempt; it runs when the target returns or expires at its TTL.
 */
export class TargetUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetUnavailableError';
  }
}

/**
 * How an executor's result arrives.
 * - `sync`: `execute()` resolves with the result (webhooks, connectors).
 * - `deferred`: `execute()` resolves once the target has *accepted* the work (an agent's ack); the
 *   dispatcher marks the action `running` and does not wait. Whoever receives the result later
 *   (the agent gateway) applies it, so a result outlives a server restart.
 */
export type ExecutorCompletion = 'sync' | 'deferred';

/** Carries actions of some types out. Results must match the catalog entry's result schema. */
export interface Executor {
  readonly kind: ExecutorKind;
  readonly name: string;
  /** Default `sync`. */
  readonly completion?: ExecutorCompletion;
  /**
   * For `deferred` executors: whoever receives the target's answer also records the acceptance
   * (the agent gateway moves an acked action to `running`), so the dispatcher does not write it a
   * second time. Default false: the dispatcher marks the action `running` when `execute()` resolves.
   */
  readonly recordsAcceptance?: boolean;
  supports(type: string): boolean;
  /**
   * Why `action` cannot start now, or null when it can. Called inside the dispatcher's claiming
   * transaction, so it must answer from memory (no I/O). An answer leaves the action queued
   * without spending an attempt; the text becomes the action's `error` so people see why.
   */
  unavailable?(action: Action): string | null;
  /**
   * Of actions {@link unavailable} turned away, those another server instance can carry out now
   * (an agent connected there), with why: the dispatcher looks at them again within seconds, for
   * that instance to claim, instead of after the long wait for a target to return. Reads through
   * `trx`, the claiming transaction.
   */
  servedElsewhere?(trx: Tx, actions: readonly Action[]): Promise<ReadonlyMap<string, string>>;
  execute(action: Action, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/** Shared flow: an executor declares its types; anything else fails with a typed "not supported". */
export abstract class BaseExecutor implements Executor {
  abstract readonly kind: ExecutorKind;
  abstract readonly name: string;
  protected abstract readonly types: readonly string[];

  supports(type: string): boolean {
    return this.types.includes(type);
  }

  execute(action: Action, signal: AbortSignal): Promise<Record<string, unknown>> {
    if (!this.supports(action.type)) {
      return Promise.reject(
        new NotSupportedError(`${this.name} cannot carry out ${action.type}.`, { type: action.type }),
      );
    }
    return this.run(action, signal);
  }

  protected abstract run(action: Action, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/** Resolves the executor for an action from the catalog's executor kinds, first match wins. */
export class ExecutorRegistry {
  private readonly executors: Executor[] = [];

  /** Adds an executor. The latest registration wins, so an installation can replace a built-in one. */
  register(e: Executor): this {
    this.executors.unshift(e);
    return this;
  }

  resolve(type: string, kinds: readonly ExecutorKind[]): Executor | null {
    for (const kind of kinds) {
      const e = this.executors.find((x) => x.kind === kind && x.supports(type));
      if (e) return e;
    }
    return null;
  }

  /** Whether some executor can carry out `type` (shown in the catalog). */
  available(type: string, kinds: readonly ExecutorKind[]): boolean {
    return this.resolve(type, kinds) !== null;
  }
}
