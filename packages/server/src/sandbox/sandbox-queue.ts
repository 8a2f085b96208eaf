import { ConflictError, NotFoundError } from '@quell/core';
import type { Ids } from '../ports.js';
import type { SandboxReport } from './report.schema.js';
import type { DetonationInput, SandboxRunner } from './sandbox-runner.js';
import type { SandboxJobStatus } from './sandbox.vocab.js';

/** A detonation waiting, running or finished in a `SandboxQueue`. */
export interface SandboxJob {
  id: string;
  status: SandboxJobStatus;
  input: DetonationInput;
  /** Set when `done`. */
  report: SandboxReport | null;
  /** Set when `failed` (the runner rejected) or `cancelled`. */
  error: string | null;
}

export interface SandboxQueueOptions {
  /** Detonations running at once. Default 1: each one takes a core and up to its memory limit. */
  concurrency?: number;
  /** Jobs waiting beyond this are refused with ConflictError. Default 100. */
  maxQueued?: number;
  /** Called after every status change (persist it, notify the console). */
  onChange?: (job: Readonly<SandboxJob>) => void;
}

/**
 * First in, first out detonations with bounded concurrency. In memory: the service that owns
 * it persists jobs through `onChange` and re-submits unfinished ones after a restart.
 */
export class SandboxQueue {
  private readonly jobs = new Map<string, SandboxJob>();
  private readonly waiting: string[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private readonly settled = new Map<
    string,
    { promise: Promise<SandboxJob>; resolve: (j: SandboxJob) => void }
  >();
  private running = 0;
  private readonly concurrency: number;
  private readonly maxQueued: number;

  constructor(
    private readonly runner: SandboxRunner,
    private readonly ids: Ids,
    private readonly opts: SandboxQueueOptions = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.maxQueued = opts.maxQueued ?? 100;
  }

  /** Queues a detonation; it starts when a slot is free. */
  submit(input: DetonationInput): SandboxJob {
    if (this.waiting.length >= this.maxQueued) {
      throw new ConflictError(`The sandbox queue is full (${this.maxQueued} waiting); try again later.`, {
        maxQueued: this.maxQueued,
      });
    }
    const job: SandboxJob = { id: this.ids.next('sbx'), status: 'queued', input, report: null, error: null };
    this.jobs.set(job.id, job);
    let resolve!: (j: SandboxJob) => void;
    const promise = new Promise<SandboxJob>((r) => (resolve = r));
    this.settled.set(job.id, { promise, resolve });
    this.waiting.push(job.id);
    this.changed(job);
    this.pump();
    return { ...job };
  }

  get(id: string): SandboxJob {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`No sandbox job ${id}.`, { id });
    return { ...job };
  }

  list(): SandboxJob[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }

  /** Resolves when the job is done, failed or cancelled. */
  wait(id: string): Promise<SandboxJob> {
    const s = this.settled.get(id);
    if (!s) throw new NotFoundError(`No sandbox job ${id}.`, { id });
    return s.promise.then((j) => ({ ...j }));
  }

  /**
   * Cancels a queued job (it never starts) or a running one (its sandbox is killed). Returns
   * false when the job had already finished.
   */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`No sandbox job ${id}.`, { id });
    if (job.status === 'queued') {
      this.waiting.splice(this.waiting.indexOf(id), 1);
      this.finish(job, 'cancelled', null, 'cancelled before it started');
      return true;
    }
    if (job.status === 'running') {
      this.controllers.get(id)?.abort(new Error('cancelled'));
      return true;
    }
    return false;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length) {
      const job = this.jobs.get(this.waiting.shift() as string) as SandboxJob;
      const controller = new AbortController();
      this.controllers.set(job.id, controller);
      this.running++;
      job.status = 'running';
      this.changed(job);
      void this.runner.detonate(job.input, controller.signal).then(
        (report) => this.finish(job, 'done', report, null),
        (e: unknown) =>
          controller.signal.aborted
            ? this.finish(job, 'cancelled', null, 'cancelled while running')
            : this.finish(job, 'failed', null, e instanceof Error ? e.message : String(e)),
      );
    }
  }

  private finish(
    job: SandboxJob,
    status: SandboxJobStatus,
    report: SandboxReport | null,
    error: string | null,
  ) {
    if (this.controllers.delete(job.id)) this.running--;
    job.status = status;
    job.report = report;
    job.error = error;
    this.changed(job);
    this.settled.get(job.id)?.resolve(job);
    this.pump();
  }

  private changed(job: SandboxJob): void {
    this.opts.onChange?.({ ...job });
  }
}
