import type { ActionType } from '@quell/core';
import type { AgentMessage, CommandMessage, ResultMessage } from '@quell/contracts/agent';
import { AgentError, errorMessage } from '../errors.js';
import type { HandlerRegistry } from '../handlers/handler-registry.js';
import type { ActionHandler, HandlerOutcome } from '../handlers/action-handler.js';
import type { Logger } from '../log.js';
import type { ExecutedStore } from '../state/executed-store.js';
import type { Outbox } from '../state/outbox.js';
import type { CommandVerifier } from './command-verifier.js';
import { throttleProgress } from './progress-throttle.js';

/** Why a running job was aborted. */
type AbortKind = 'cancelled' | 'timeout' | 'shutdown';

class JobAbort extends Error {
  constructor(readonly kind: AbortKind) {
    super(kind);
  }
}

export interface JobRunnerDeps {
  registry: HandlerRegistry;
  verifier: CommandVerifier;
  executed: ExecutedStore;
  outbox: Outbox;
  /** Sends when connected; false otherwise (results stay in the outbox). */
  send: (msg: AgentMessage) => boolean;
  log: Logger;
  now?: () => number;
  /** Minimum spacing of progress messages per job. Default 500 ms. */
  progressIntervalMs?: number;
}

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs commands once each: verify (refused → `ack refused`, never run), dedupe by action id
 * against memory and disk (repeat → `ack duplicate` + the stored result), persist acceptance,
 * `ack accepted`, run the handler with an abort signal, a deadline (`timeoutMs`) and throttled
 * progress, then store the result, put it in the outbox and send it. `cancel` aborts a running
 * job (status `cancelled`).
 */
export class JobRunner {
  private readonly running = new Map<string, RunningJob>();
  private readonly now: () => number;

  constructor(private readonly deps: JobRunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Opens the executed store; actions the agent died in the middle of get a failed result
   * (they may have half-happened, so they are not run again).
   */
  async open(): Promise<void> {
    for (const rec of await this.deps.executed.open()) {
      const result = this.resultOf(rec.actionId, {
        status: 'failed',
        result: {},
        evidence: {},
        error: 'the agent stopped while this action was running; it was not run again',
      });
      await this.deps.executed.put({ ...rec, result });
      await this.deps.outbox.add(result);
    }
  }

  /** Action ids running now (for `hello.running`). */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  async handleCommand(msg: CommandMessage): Promise<void> {
    const { command } = msg;
    const id = command.actionId;
    if (this.running.has(id)) {
      this.deps.send({ type: 'ack', actionId: id, status: 'duplicate', reason: 'already running' });
      return;
    }
    if (this.deps.executed.has(id)) {
      const rec = await this.deps.executed.get(id);
      this.deps.send({ type: 'ack', actionId: id, status: 'duplicate', reason: 'already executed' });
      if (rec?.result) this.deps.send(rec.result);
      return;
    }
    const verdict = this.deps.verifier.verify(msg);
    if (!verdict.ok) {
      this.deps.log.warn('command refused', { actionId: id, type: command.type, reason: verdict.reason });
      this.deps.send({ type: 'ack', actionId: id, status: 'refused', reason: verdict.reason });
      return;
    }
    let handler: ActionHandler;
    try {
      handler = this.deps.registry.resolve(command.type);
    } catch (e) {
      this.deps.send({ type: 'ack', actionId: id, status: 'refused', reason: errorMessage(e) });
      return;
    }
    // Claimed synchronously before any await, so a second delivery racing this one is a duplicate.
    const controller = new AbortController();
    let release!: () => void;
    this.running.set(id, { controller, done: new Promise<void>((r) => (release = r)) });
    try {
      await this.deps.executed.put({
        actionId: id,
        type: command.type,
        acceptedAt: this.now(),
        result: null,
      });
      this.deps.send({ type: 'ack', actionId: id, status: 'accepted' });
      this.deps.log.info('action accepted', { actionId: id, type: command.type });
      const outcome = await this.execute(handler, msg, controller);
      const result = this.resultOf(
        id,
        outcome.kind === 'ok' ? outcome.value : outcome.failure,
        outcome.kind === 'aborted' && outcome.abort === 'cancelled' ? 'cancelled' : undefined,
      );
      await this.finish(command.type, id, result);
    } finally {
      this.running.delete(id);
      release();
    }
  }

  handleCancel(actionId: string): void {
    const job = this.running.get(actionId);
    if (!job) {
      this.deps.log.info('cancel for an action that is not running', { actionId });
      return;
    }
    job.controller.abort(new JobAbort('cancelled'));
  }

  async handleResultAck(actionId: string): Promise<void> {
    await this.deps.outbox.ack(actionId);
  }

  /** Sends every unacknowledged result again (after each welcome). */
  async flushOutbox(): Promise<void> {
    for (const r of await this.deps.outbox.pending()) {
      if (!this.deps.send(r)) return;
    }
  }

  /** Aborts running jobs and waits for them to record their results. */
  async stop(): Promise<void> {
    const jobs = [...this.running.values()];
    for (const j of jobs) j.controller.abort(new JobAbort('shutdown'));
    await Promise.all(jobs.map((j) => j.done));
  }

  private async execute(
    handler: ActionHandler,
    msg: CommandMessage,
    controller: AbortController,
  ): Promise<
    | { kind: 'ok'; value: HandlerOutcome }
    | { kind: 'failed' | 'aborted'; failure: HandlerOutcome; abort?: AbortKind }
  > {
    const { command } = msg;
    const timer = setTimeout(() => controller.abort(new JobAbort('timeout')), command.timeoutMs);
    const throttle = throttleProgress((done, total, message) => {
      this.deps.send({
        type: 'progress',
        actionId: command.actionId,
        done: Math.max(0, Math.floor(done)),
        total: total === null ? null : Math.max(0, Math.floor(total)),
        ...(message ? { message: message.slice(0, 500) } : {}),
      });
    }, this.deps.progressIntervalMs ?? 500);
    // A handler that ignores its signal must not hold the result hostage: the abort wins the race.
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = (): void =>
        reject(
          controller.signal.reason instanceof JobAbort ? controller.signal.reason : new JobAbort('cancelled'),
        );
      if (controller.signal.aborted) onAbort();
      else controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    const run = handler.run({ command, signal: controller.signal, progress: throttle.progress });
    run.catch(() => undefined);
    try {
      return { kind: 'ok', value: await Promise.race([run, aborted]) };
    } catch (e) {
      const abort =
        e instanceof JobAbort
          ? e.kind
          : controller.signal.aborted && controller.signal.reason instanceof JobAbort
            ? controller.signal.reason.kind
            : null;
      if (abort) {
        const error = abortMessage(abort, command.timeoutMs);
        return { kind: 'aborted', abort, failure: { status: 'failed', result: {}, evidence: {}, error } };
      }
      if (!(e instanceof AgentError))
        this.deps.log.error('action failed', { actionId: command.actionId, error: errorMessage(e) });
      return {
        kind: 'failed',
        failure: { status: 'failed', result: {}, evidence: {}, error: errorMessage(e) },
      };
    } finally {
      clearTimeout(timer);
      throttle.dispose();
    }
  }

  private resultOf(actionId: string, o: HandlerOutcome, statusOverride?: 'cancelled'): ResultMessage {
    return {
      type: 'result',
      actionId,
      status: statusOverride ?? o.status ?? 'succeeded',
      result: o.result,
      evidence: o.evidence,
      ...(o.error ? { error: o.error.slice(0, 4000) } : {}),
      ...(o.detections ? { detections: o.detections.slice(0, 10_000) } : {}),
      finishedAt: this.now(),
    };
  }

  private async finish(type: ActionType, id: string, result: ResultMessage): Promise<void> {
    const rec = await this.deps.executed.get(id);
    await this.deps.executed.put({
      actionId: id,
      type: rec?.type ?? type,
      acceptedAt: rec?.acceptedAt ?? this.now(),
      result,
    });
    await this.deps.outbox.add(result);
    this.deps.log.info('action finished', { actionId: id, status: result.status, error: result.error });
    this.deps.send(result);
  }
}

function abortMessage(kind: AbortKind, timeoutMs: number): string {
  const text: Record<AbortKind, string> = {
    cancelled: 'cancelled by the server',
    timeout: `timed out after ${timeoutMs} ms`,
    shutdown: 'the agent stopped while this action was running',
  };
  return text[kind];
}
