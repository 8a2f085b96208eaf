import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Collector } from '../ports.js';
import type { UploadOutcome } from '../transport/upload.js';
import { BaseActionHandler, type HandlerContext, type HandlerOutcome } from './action-handler.js';

const Params = Type.Object({ comment: Type.Optional(Type.String()) }, { additionalProperties: false });

/** Streams a file to the server for an action (the channel's `upload`). */
export type Uploader = (actionId: string, filePath: string, signal: AbortSignal) => Promise<UploadOutcome>;

/**
 * `collect_investigation_package`: the Collector writes a zip into a per-action work dir, the
 * channel uploads it, the work dir is deleted whatever happened (packages hold sensitive data
 * and can be large). Result `{blobSha256, sizeBytes, items, itemErrors}`.
 */
export class CollectInvestigationPackageHandler extends BaseActionHandler<typeof Params> {
  readonly type = 'collect_investigation_package' as const;
  protected readonly paramsSchema = Params;

  constructor(
    private readonly collector: Collector,
    private readonly upload: Uploader,
    /** Parent of the per-action work dirs, e.g. `<stateDir>/work`. */
    private readonly workRoot: string,
  ) {
    super();
  }

  protected async execute(_p: typeof Params.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const workDir = join(this.workRoot, `collect-${ctx.command.actionId}`);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    try {
      const report = await this.collector.collect(workDir, ctx);
      ctx.progress(0, report.sizeBytes, 'uploading');
      const up = await this.upload(ctx.command.actionId, report.zipPath, ctx.signal);
      const itemErrors = report.items.filter((i) => i.status === 'failed').length;
      return {
        result: { blobSha256: up.sha256, sizeBytes: up.sizeBytes, items: report.items.length, itemErrors },
        evidence: { items: report.items, collectorSha256: report.sha256 },
      };
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }
}
