import { PassThrough, type Readable } from 'node:stream';
import type {
  Action,
  Analysis,
  AnalysisDetail,
  AnalysisListQuery,
  AnalysisResubmit,
  AnalysisSubmit,
  AnalysisUploadQuery,
} from '@quell/contracts';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  NotSupportedError,
  isTerminal,
  scopeCovers,
  type ActionStatus,
  type Principal,
} from '@quell/core';
import { toAnalysis, type AnalysisRow } from '@quell/store';
import { checkZipPassword, writeAesZip } from '../blobs/aes-zip.js';
import { actorName, audit, type ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { BwrapSandbox, MAX_SAMPLE_BYTES, resolveTimeout, type SandboxReport } from '../sandbox/index.js';
import { AnalysisRuns, type AnalysisActionResult, type AnalysisRunner } from './analysis-runs.js';
import type { IndicatorMatcher } from './indicator-matcher.js';

/** Options of deep analysis (`ServiceOptions.analysis`). */
export interface AnalysisOptions {
  /** The sandbox. Default a `BwrapSandbox` with its defaults (bubblewrap + strace). */
  runner?: AnalysisRunner;
  /** Detonations at once on this server. Default 1: each takes a core and up to its memory limit. */
  concurrency?: number;
  /** Largest upload accepted, bytes. Default and maximum 64 MiB (the sandbox's sample limit). */
  maxUploadBytes?: number;
  /** Where samples are staged for a detonation. Default the OS temp directory. */
  workDir?: string;
  /** Checks observables against indicators. Default: nothing matches. */
  indicatorMatcher?: IndicatorMatcher;
}

/** A dropped file ready to send as a password zip. */
export interface AnalysisFileDownloadStream {
  stream: Readable;
  filename: string;
}

const UNAVAILABLE_HINT = 'deep analysis needs bubblewrap and strace: run scripts/install-test-deps.sh';

/**
 * Deep analysis: files detonated in the sandbox (issue 4). A submission is a `deep_analysis` action
 * (so its request roles, approval rules and audit apply) plus an analysis row that follows the
 * detonation; the sandbox executor carries the action out through {@link AnalysisRuns}.
 */
export class AnalysisService {
  private readonly runs: AnalysisRuns;
  private readonly runner: AnalysisRunner;
  private readonly maxUploadBytes: number;
  private sandboxReady = false;

  constructor(
    protected readonly ctx: ServiceContext,
    protected readonly deps: ServiceDeps,
    opts: AnalysisOptions = {},
  ) {
    this.runner = opts.runner ?? new BwrapSandbox();
    this.maxUploadBytes = Math.min(opts.maxUploadBytes ?? MAX_SAMPLE_BYTES, MAX_SAMPLE_BYTES);
    this.runs = new AnalysisRuns(ctx, deps, {
      runner: this.runner,
      ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }),
      ...(opts.workDir !== undefined && { workDir: opts.workDir }),
      ...(opts.indicatorMatcher && { indicatorMatcher: opts.indicatorMatcher }),
    });
  }

  /** Plugs in the indicators service (or any matcher); analyses finishing from now on use it. */
  setIndicatorMatcher(matcher: IndicatorMatcher): void {
    this.runs.matcher = matcher;
  }

  /** For the executor: claims a detonation slot, or says why none is free. */
  claimSlot(): string | null {
    return this.runs.claimSlot();
  }

  /** For the executor: runs the analysis of a `deep_analysis` action to its report. */
  execute(action: Action, signal: AbortSignal): Promise<AnalysisActionResult> {
    return this.runs.execute(action, signal);
  }

  /** For `ActionService.onCancelled`: stops the detonation of a cancelled action. */
  actionCancelled(action: { id: string; type: string }): void {
    if (action.type === 'deep_analysis') this.runs.cancelAction(action.id);
  }

  /** Submits a file the blob store holds (collected from a device, or uploaded before). */
  async submit(
    principal: Principal,
    input: AnalysisSubmit,
    link: { resubmissionOf?: string } = {},
  ): Promise<Analysis> {
    const sha256 = input.sha256.toLowerCase();
    const timeoutMs = checkTimeout(input.timeoutSeconds);
    const checked = this.deps.actions.checkRequest(principal, { type: 'deep_analysis', params: { sha256 } });
    if (!scopeCovers(principal, null)) {
      throw new NotAllowedError(
        'Deep analysis is not limited to one device group, so it needs a user or token that is not scoped to device groups.',
        {},
      );
    }
    const size = await this.deps.blobs.size(sha256);
    if (size === null) {
      throw new NotFoundError(
        `The server holds no file with SHA-256 ${sha256}. Collect it from a device first (the collect_file action, \`quell file collect\`) or upload it: \`quell analysis submit <path>\` (POST /api/analyses/upload).`,
        { sha256 },
      );
    }
    if (size > MAX_SAMPLE_BYTES) {
      throw new InputError(
        `The file is ${size} bytes; deep analysis takes at most ${MAX_SAMPLE_BYTES} bytes.`,
        {
          size,
          max: MAX_SAMPLE_BYTES,
        },
      );
    }
    await this.ensureSandbox();
    const { store } = this.ctx;
    const id = this.ctx.ids.next('anl');
    // Read before the transaction: on SQLite a read outside it would wait for it to end.
    const name = input.name ?? (await this.knownName(sha256)) ?? sha256;
    await store.transaction(async (trx) => {
      const settings = await this.deps.settings.get(trx);
      const action = this.deps.actions.buildRow(
        principal,
        checked,
        { ...(input.comment !== undefined && { comment: input.comment }) },
        { kind: 'file', id: sha256, label: name },
        null,
        settings,
      );
      await this.deps.actions.insertRequested(trx, principal, [action]);
      await store.analyses.insert(trx, {
        id,
        sha256,
        file_name: name,
        status: 'queued',
        verdict: null,
        score: null,
        timeout_ms: timeoutMs,
        report_sha256: null,
        trace_sha256: null,
        error: null,
        requested_by: actorName(principal),
        requested_by_id: principal.id,
        comment: input.comment ?? null,
        action_id: action.id,
        resubmission_of: link.resubmissionOf ?? null,
        created_at: this.ctx.clock.now(),
        started_at: null,
        finished_at: null,
      });
      await audit(this.ctx, trx, principal, 'analysis.submitted', id, {
        sha256,
        name,
        actionId: action.id,
        ...(link.resubmissionOf && { resubmissionOf: link.resubmissionOf }),
      });
    });
    this.deps.actions.onQueued();
    return toAnalysis(await this.mustGet(id));
  }

  /**
   * Stores an uploaded file as a blob, then submits it. Everything that can be refused is checked
   * before the first byte is stored, and an upload past the limit keeps nothing.
   */
  async upload(
    principal: Principal,
    query: AnalysisUploadQuery,
    body: AsyncIterable<Uint8Array>,
  ): Promise<Analysis> {
    checkTimeout(query.timeoutSeconds);
    this.deps.actions.checkRequest(principal, { type: 'deep_analysis', params: { sha256: '0'.repeat(64) } });
    await this.ensureSandbox();
    const w = await this.deps.blobs.writer();
    let size = 0;
    let ref;
    try {
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > this.maxUploadBytes) {
          throw new InputError(
            `The upload is larger than ${this.maxUploadBytes} bytes, the most deep analysis takes; nothing was stored.`,
            { max: this.maxUploadBytes },
          );
        }
        await w.write(chunk);
      }
      if (size === 0) {
        throw new InputError(
          'The upload is empty: send the file as the request body with content-type application/octet-stream.',
          {},
        );
      }
      ref = await w.finish();
    } catch (e) {
      await w.abort();
      throw e;
    }
    return this.submit(principal, {
      sha256: ref.sha256,
      name: query.name,
      ...(query.timeoutSeconds !== undefined && { timeoutSeconds: query.timeoutSeconds }),
      ...(query.comment !== undefined && { comment: query.comment }),
    });
  }

  /** A new analysis of the same file, linked to `id`; the timeout defaults to the original's. */
  async resubmit(principal: Principal, id: string, input: AnalysisResubmit): Promise<Analysis> {
    const row = await this.mustGet(id);
    return this.submit(
      principal,
      {
        sha256: row.sha256,
        name: row.file_name,
        timeoutSeconds: input.timeoutSeconds ?? Math.round(row.timeout_ms / 1000),
        ...(input.comment !== undefined && { comment: input.comment }),
      },
      { resubmissionOf: row.id },
    );
  }

  /**
   * Cancels a queued or running analysis by cancelling its action (the requester or a responder
   * may), which also kills a running detonation.
   */
  async cancel(principal: Principal, id: string, comment?: string): Promise<Analysis> {
    await this.reconcile();
    const row = await this.mustGet(id);
    if (row.status !== 'queued' && row.status !== 'running') {
      throw new ConflictError(
        `Analysis ${id} is already ${row.status}; only queued or running ones can be cancelled.`,
        {
          status: row.status,
        },
      );
    }
    if (row.action_id) {
      const action = await this.ctx.store.actions.get(this.ctx.store.db, row.action_id);
      if (action && !isTerminal(action.status as ActionStatus))
        await this.deps.actions.cancel(principal, row.action_id, comment);
    }
    await this.ctx.store.transaction(async (trx) => {
      const ok = await this.ctx.store.analyses.update(trx, id, ['queued', 'running'], {
        status: 'cancelled',
        error: `cancelled by ${actorName(principal)}${comment ? `: ${comment}` : ''}`,
        finished_at: this.ctx.clock.now(),
      });
      if (ok) await audit(this.ctx, trx, principal, 'analysis.cancelled', id, { comment: comment ?? null });
    });
    return toAnalysis(await this.mustGet(id));
  }

  async list(q: AnalysisListQuery): Promise<{ items: Analysis[]; nextCursor: string | null }> {
    await this.reconcile();
    const page = await this.ctx.store.analyses.list({
      status: q.status,
      sha256: q.sha256,
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
    return { items: page.items.map(toAnalysis), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<AnalysisDetail> {
    await this.reconcile();
    const row = await this.mustGet(id);
    const report = await this.report(row);
    return { ...toAnalysis(row), report: report as unknown as Record<string, unknown> | null };
  }

  /**
   * A file the sample dropped, as an AES-256 zip with the caller's password, streamed. Audited
   * with the reason before the first byte leaves.
   */
  async downloadFile(
    principal: Principal,
    id: string,
    input: { sha256: string; password: string; reason: string },
  ): Promise<AnalysisFileDownloadStream> {
    checkZipPassword(input.password);
    const sha256 = input.sha256.toLowerCase();
    const row = await this.mustGet(id);
    const report = await this.report(row);
    const file = report?.files.find((f) => f.sha256 === sha256 && f.artifact !== null);
    if (!file || !(await this.deps.blobs.has(sha256))) {
      throw new NotFoundError(
        `Analysis ${id} has no dropped file ${sha256} to download. \`quell analysis show ${id}\` lists its files.`,
        { id, sha256 },
      );
    }
    await this.ctx.store.transaction((trx) =>
      audit(this.ctx, trx, principal, 'analysis.file_downloaded', id, {
        sha256,
        path: file.path,
        reason: input.reason,
      }),
    );
    const out = new PassThrough();
    const name = file.path.split('/').filter(Boolean).pop() ?? sha256;
    writeAesZip([{ name, content: await this.deps.blobs.open(sha256) }], out, input.password).catch(
      (e: unknown) => {
        // Headers are gone by now: the client sees a truncated zip, and the log says why.
        this.ctx.log.error({ err: e, analysisId: id, sha256 }, 'streaming a dropped file failed');
        out.destroy(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return { stream: out, filename: `quell-analysis-${safeName(id)}-${sha256.slice(0, 12)}.zip` };
  }

  private async mustGet(id: string): Promise<AnalysisRow> {
    const row = await this.ctx.store.analyses.get(this.ctx.store.db, id);
    if (!row) throw new NotFoundError(`No analysis ${id}. \`quell analysis list\` lists them.`, { id });
    return row;
  }

  private async report(row: AnalysisRow): Promise<SandboxReport | null> {
    if (!row.report_sha256 || !(await this.deps.blobs.has(row.report_sha256))) return null;
    const chunks: Buffer[] = [];
    for await (const c of await this.deps.blobs.open(row.report_sha256)) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as SandboxReport;
  }

  /** The name the file went by in its last analysis, when it had one. */
  private async knownName(sha256: string): Promise<string | null> {
    const last = await this.ctx.store.analyses.list({ sha256, limit: 1 });
    return last.items[0]?.file_name ?? null;
  }

  private async ensureSandbox(): Promise<void> {
    if (this.sandboxReady || !this.runner.missing) return;
    const missing = await this.runner.missing();
    if (missing.length) {
      throw new NotSupportedError(`${UNAVAILABLE_HINT} (missing: ${missing.join(', ')}).`, { missing });
    }
    this.sandboxReady = true;
  }

  /**
   * Analyses whose action ended without running them (rejected, expired, cancelled elsewhere,
   * failed after retries) follow their action. Done on read, so no hook into the action pipeline
   * is needed and every server instance agrees.
   */
  private async reconcile(): Promise<void> {
    const { store } = this.ctx;
    for (const row of await store.analyses.unfinished(store.db, 200)) {
      if (!row.action_id) continue;
      const action = await store.actions.get(store.db, row.action_id);
      if (!action || !isTerminal(action.status as ActionStatus) || action.status === 'succeeded') continue;
      const failed = action.status === 'failed';
      await store.transaction((trx) =>
        store.analyses.update(trx, row.id, ['queued', 'running'], {
          status: failed ? 'failed' : 'cancelled',
          error: failed
            ? `its deep_analysis action failed: ${action.error ?? 'no reason given'}`
            : `its deep_analysis action was ${action.status.replace(/_/g, ' ')}`,
          finished_at: action.updated_at,
        }),
      );
    }
  }
}

/** The timeout in ms, checked against the sandbox's range (HTTP callers are checked by the schema too). */
function checkTimeout(seconds: number | undefined): number {
  return resolveTimeout(seconds === undefined ? undefined : seconds * 1000);
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
}
