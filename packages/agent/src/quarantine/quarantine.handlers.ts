import { Type } from '@sinclair/typebox';
import { BaseActionHandler, type HandlerContext, type HandlerOutcome } from '../handlers/action-handler.js';
import type { QuarantineCopyUploader } from './copy-upload.js';
import type { FileQuarantine } from './file-quarantine.js';
import { QuarantineError } from './quarantine.errors.js';

const Sha256 = Type.String({ pattern: '^[a-fA-F0-9]{64}$' });
const DevicePath = Type.String({ minLength: 1, maxLength: 4096 });

const QuarantineParams = Type.Object(
  {
    sha256: Sha256,
    path: Type.Optional(DevicePath),
    /** More path hints (indicator remediation; the catalog exposes only `path` today). */
    paths: Type.Optional(Type.Array(DevicePath, { maxItems: 256 })),
    comment: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const RestoreParams = Type.Object(
  {
    sha256: Sha256,
    /** Only the entries taken from this path. */
    path: Type.Optional(DevicePath),
    /** One vault entry (from the quarantine's evidence) instead of every entry of the hash. */
    entryId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
    comment: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * A refusal, conflict or survivor is an answer, not a crash: the action fails with the code in
 * its message and the details (which package, which path) in its evidence.
 */
function failedWith(e: unknown): HandlerOutcome {
  if (!(e instanceof QuarantineError)) throw e;
  // Own fields: `code` and the error's details (`refusals`, `conflicts`, `survivors`).
  const { message: _m, name: _n, stack: _s, ...details } = e as QuarantineError & Record<string, unknown>;
  return { status: 'failed', result: {}, evidence: details, error: `${e.message} (${e.code})` };
}

/**
 * `stop_and_quarantine_file`: result `{processesKilled, filesQuarantined, persistenceRemoved}`,
 * evidence the lists behind them. Fails when no copy and no process was found and the vault
 * holds none of the hash either (a repeat of a finished quarantine succeeds with zeros).
 *
 * With an uploader, the vaulted copy is then sent to the server (once per hash) so it can be
 * downloaded; how that went is `evidence.copy` ({@link CopyUpload}) and never fails the action.
 */
export class StopAndQuarantineFileHandler extends BaseActionHandler<typeof QuarantineParams> {
  readonly type = 'stop_and_quarantine_file' as const;
  protected readonly paramsSchema = QuarantineParams;

  constructor(
    private readonly quarantine: FileQuarantine,
    private readonly copies: QuarantineCopyUploader | null = null,
  ) {
    super();
  }

  protected async execute(p: typeof QuarantineParams.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const paths = [...(p.path ? [p.path] : []), ...(p.paths ?? [])];
    ctx.progress(0, null, 'stopping processes and quarantining');
    let out;
    try {
      out = await this.quarantine.quarantine({
        sha256: p.sha256.toLowerCase(),
        paths,
        actionId: ctx.command.actionId,
        signal: ctx.signal,
      });
    } catch (e) {
      return failedWith(e);
    }
    const { counts, ...evidence } = out;
    const nothing = !out.files.length && !out.processesKilled.length && !out.alreadyQuarantined.length;
    if (nothing) {
      return {
        status: 'failed',
        result: counts,
        evidence,
        error: `no copy of ${out.sha256} found${paths.length ? ` at ${paths.join(', ')}` : ''} or in running processes`,
      };
    }
    if (!this.copies || (!out.files.length && !out.alreadyQuarantined.length))
      return { result: counts, evidence };
    ctx.progress(0, null, 'uploading the quarantined copy');
    const copy = await this.copies.send(out.sha256, ctx.command.actionId, ctx.signal);
    // First, so the server's shortened evidence text on the timeline keeps it.
    return { result: counts, evidence: { copy, ...evidence } };
  }
}

/** `restore_quarantined_file`: result `{filesRestored}`; by `entryId`, else every entry of `sha256` (and `path`). */
export class RestoreQuarantinedFileHandler extends BaseActionHandler<typeof RestoreParams> {
  readonly type = 'restore_quarantined_file' as const;
  protected readonly paramsSchema = RestoreParams;

  constructor(private readonly quarantine: FileQuarantine) {
    super();
  }

  protected async execute(p: typeof RestoreParams.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const actionId = ctx.command.actionId;
    try {
      const out = await this.quarantine.restore(
        p.entryId
          ? { entryId: p.entryId, sha256: p.sha256, actionId }
          : { sha256: p.sha256.toLowerCase(), ...(p.path ? { path: p.path } : {}), actionId },
      );
      const { counts, ...evidence } = out;
      return { result: counts, evidence };
    } catch (e) {
      return failedWith(e);
    }
  }
}
