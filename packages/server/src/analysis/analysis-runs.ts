import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Action } from '@quell/contracts';
import { ConflictError, NotFoundError, SYSTEM_PRINCIPAL } from '@quell/core';
import type { AnalysisRow } from '@quell/store';
import { audit, type ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { SandboxQueue, type SandboxJob, type SandboxReport, type SandboxRunner } from '../sandbox/index.js';
import { analysisAlerts } from './analysis-alerts.js';
import { storeArtifacts } from './analysis-artifacts.js';
import { NO_INDICATORS, type IndicatorMatcher } from './indicator-matcher.js';

/** How long a slot claim holds without its execution starting (a rolled-back dispatch). */
const CLAIM_LAPSE_MS = 10_000;

/** A sandbox runner, optionally able to say what the host lacks (BwrapSandbox can). */
export interface AnalysisRunner extends SandboxRunner {
  missing?(): Promise<string[]>;
}

export interface AnalysisRunsOptions {
  runner: AnalysisRunner;
  /** Detonations at once on this server. Default 1. */
  concurrency?: number;
  /** Where samples are staged and outputs collected before they become blobs. Default the OS temp dir. */
  workDir?: string;
  indicatorMatcher?: IndicatorMatcher;
}

/** What the `deep_analysis` action reports (its catalog result schema). */
export interface AnalysisActionResult extends Record<string, unknown> {
  verdict: SandboxReport['verdict'];
  reportBlobSha256: string;
}

/**
 * The execution side of deep analysis: runs a `deep_analysis` action's detonation through the
 * sandbox queue, records each status change on the analysis row as it happens, stores the report
 * and artefacts as blobs and raises the alerts the report calls for.
 */
export class AnalysisRuns {
  private readonly queue: SandboxQueue;
  private readonly concurrency: number;
  private readonly workDir: string;
  /** Analyses started here and not finished: output directory → analysis id (queue events carry the input only). */
  private readonly byOutputDir = new Map<string, string>();
  /** action id → sandbox job id, to kill a detonation whose action was cancelled. */
  private readonly jobOfAction = new Map<string, string>();
  private active = 0;
  /** When each outstanding slot claim was made (real time: it guards against lost claims only). */
  private readonly claims: number[] = [];
  matcher: IndicatorMatcher;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly deps: ServiceDeps,
    opts: AnalysisRunsOptions,
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.workDir = opts.workDir ?? tmpdir();
    this.matcher = opts.indicatorMatcher ?? NO_INDICATORS;
    this.queue = new SandboxQueue(opts.runner, ctx.ids, {
      concurrency: this.concurrency,
      onChange: (job) => this.changed(job),
    });
  }

  /**
   * Claims a detonation slot for an action about to be dispatched, or says why none is free. The
   * dispatcher asks for every due action of a pass before any of them starts, so a claim holds the
   * slot until `execute` takes it over; a claim whose dispatch never happened (its transaction
   * rolled back) lapses after {@link CLAIM_LAPSE_MS}.
   */
  claimSlot(): string | null {
    const now = Date.now();
    while (this.claims.length && (this.claims[0] ?? now) <= now - CLAIM_LAPSE_MS) this.claims.shift();
    if (this.active + this.claims.length >= this.concurrency) {
      return `the sandbox is busy (${this.concurrency} detonation slot(s) in use); it waits its turn`;
    }
    this.claims.push(now);
    return null;
  }

  /** Kills the detonation of a cancelled action, if it runs here. */
  cancelAction(actionId: string): void {
    const job = this.jobOfAction.get(actionId);
    if (job) this.queue.cancel(job);
  }

  async execute(action: Action, signal: AbortSignal): Promise<AnalysisActionResult> {
    // The claim made when this action was dispatched ends here, whatever follows.
    this.claims.shift();
    const { store } = this.ctx;
    const row = await store.analyses.byAction(store.db, action.id);
    if (!row) {
      throw new NotFoundError(
        `No analysis belongs to action ${action.id}; submit files with POST /api/analyses or \`quell analysis submit\`.`,
        { actionId: action.id },
      );
    }
    if (row.status !== 'queued' && row.status !== 'running') {
      throw new ConflictError(`Analysis ${row.id} is already ${row.status}.`, { id: row.id });
    }
    this.active++;
    const dir = await mkdtemp(join(this.workDir, 'quell-analysis-'));
    const outputDir = join(dir, 'out');
    try {
      const sample = join(dir, 'sample');
      await pipeline(await this.deps.blobs.open(row.sha256), createWriteStream(sample, { mode: 0o600 }));
      this.byOutputDir.set(outputDir, row.id);
      const job = this.queue.submit({
        path: sample,
        name: row.file_name,
        outputDir,
        timeoutMs: row.timeout_ms,
      });
      this.jobOfAction.set(action.id, job.id);
      const onAbort = () => this.queue.cancel(job.id);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = await this.queue.wait(job.id).finally(() => signal.removeEventListener('abort', onAbort));
      if (done.status === 'cancelled') throw await this.interrupted(row, action.id);
      if (done.status !== 'done' || !done.report) {
        const error = done.error ?? 'the sandbox stopped without a report';
        await this.finishRow(row, { status: 'failed', error });
        throw new Error(`deep analysis failed: ${error}`);
      }
      return await this.record(row, done.report, outputDir);
    } finally {
      this.active--;
      this.byOutputDir.delete(outputDir);
      this.jobOfAction.delete(action.id);
      await rm(dir, { recursive: true, force: true });
      await this.wakeWaiting();
    }
  }

  private async record(
    row: AnalysisRow,
    report: SandboxReport,
    outputDir: string,
  ): Promise<AnalysisActionResult> {
    const stored = await storeArtifacts(this.deps.blobs, report, outputDir);
    const changed = await this.finishRow(row, {
      status: report.status,
      verdict: report.verdict,
      score: report.score,
      report_sha256: stored.reportSha256,
      trace_sha256: stored.traceSha256,
      error: report.error,
    });
    if (!changed) throw new Error(`analysis ${row.id} was cancelled while it ran; its report is not used`);
    try {
      const alerts = await analysisAlerts(
        { analysisId: row.id, sha256: row.sha256, name: row.file_name, at: this.ctx.clock.now() },
        report,
        this.matcher,
      );
      if (alerts.length) await this.deps.ingest.ingest(SYSTEM_PRINCIPAL, alerts);
    } catch (e) {
      // The report stands on its own: a matcher or ingest failure must not fail the analysis.
      this.ctx.log.error({ err: e, analysisId: row.id }, 'raising deep-analysis alerts failed');
    }
    if (report.status === 'failed') throw new Error(`the sample could not run: ${report.error ?? 'unknown'}`);
    return { verdict: report.verdict, reportBlobSha256: stored.reportSha256 };
  }

  /** Final status on the row, unless it was cancelled meanwhile. */
  private async finishRow(
    row: AnalysisRow,
    values: { status: 'completed' | 'timed_out' | 'failed' | 'cancelled'; error: string | null } & Partial<
      Pick<AnalysisRow, 'verdict' | 'score' | 'report_sha256' | 'trace_sha256'>
    >,
  ): Promise<boolean> {
    return this.ctx.store.transaction(async (trx) => {
      const ok = await this.ctx.store.analyses.update(trx, row.id, ['queued', 'running'], {
        ...values,
        finished_at: this.ctx.clock.now(),
      });
      if (ok) {
        await audit(this.ctx, trx, SYSTEM_PRINCIPAL, `analysis.${values.status}`, row.id, {
          sha256: row.sha256,
          ...(values.verdict && { verdict: values.verdict, score: values.score }),
          ...(values.error && { error: values.error }),
        });
      }
      return ok;
    });
  }

  /**
   * A killed detonation: cancelled by someone (the action says so), or interrupted by the
   * dispatcher (run timeout, shutdown), after which the action is retried and the row waits again.
   */
  private async interrupted(row: AnalysisRow, actionId: string): Promise<Error> {
    const { store } = this.ctx;
    const action = await store.actions.get(store.db, actionId);
    if (action?.status === 'cancelled') {
      await this.finishRow(row, { status: 'cancelled', error: 'cancelled while it ran' });
      return new Error('cancelled');
    }
    await store.transaction((trx) =>
      store.analyses.update(trx, row.id, ['running'], {
        status: 'queued',
        started_at: null,
        error: 'the detonation was interrupted (run timeout or server shutdown); its action retries it',
      }),
    );
    return new Error('the detonation was interrupted');
  }

  private changed(job: Readonly<SandboxJob>): void {
    const id = this.byOutputDir.get(job.input.outputDir);
    if (!id || job.status !== 'running') return;
    const { store } = this.ctx;
    store
      .transaction((trx) =>
        store.analyses.update(trx, id, ['queued'], {
          status: 'running',
          started_at: this.ctx.clock.now(),
          error: null,
        }),
      )
      // Only the display suffers: the final status is written by `record` whatever happens here.
      .catch((e: unknown) =>
        this.ctx.log.error({ err: e, analysisId: id }, 'marking an analysis running failed'),
      );
  }

  /**
   * Actions refused for a busy sandbox are looked at again only a minute later; when a slot frees,
   * the oldest waiting ones are made due now and the dispatcher is woken.
   */
  private async wakeWaiting(): Promise<void> {
    const { store } = this.ctx;
    try {
      const now = this.ctx.clock.now();
      const waiting = (await store.analyses.unfinished(store.db, 20)).filter(
        (r) => r.status === 'queued' && r.action_id,
      );
      let woke = false;
      for (const r of waiting) {
        const a = await store.actions.get(store.db, r.action_id as string);
        if (a?.status !== 'queued' || a.next_attempt_at === null || a.next_attempt_at <= now) continue;
        woke = (await store.actions.update(store.db, a.id, a.version, { next_attempt_at: null })) || woke;
      }
      if (woke) this.deps.actions.onQueued();
    } catch (e) {
      // The dispatcher's own recheck (a minute) still picks them up.
      this.ctx.log.warn({ err: e }, 'waking waiting analyses failed');
    }
  }
}
