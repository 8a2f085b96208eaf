import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Type } from '@sinclair/typebox';
import type { Uploader } from './collect-investigation-package.handler.js';
import { BaseActionHandler, type HandlerContext, type HandlerOutcome } from './action-handler.js';

const Params = Type.Object(
  {
    sha256: Type.String({ pattern: '^[a-fA-F0-9]{64}$' }),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    comment: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * `collect_file`: uploads the file at `path` to the server's blob store, after checking that its
 * content still has the requested SHA-256 (a file replaced since it was seen is not sent under
 * the wrong name). The upload is chunked and hash-verified by the channel; the server keeps one
 * copy per hash. Result `{blobSha256, sizeBytes}`.
 */
export class CollectFileHandler extends BaseActionHandler<typeof Params> {
  readonly type = 'collect_file' as const;
  protected readonly paramsSchema = Params;

  constructor(
    private readonly upload: Uploader,
    /** Device paths are read under this root (tests use a temp tree). */
    private readonly fsRoot: string,
  ) {
    super();
  }

  protected async execute(p: typeof Params.static, ctx: HandlerContext): Promise<HandlerOutcome> {
    const want = p.sha256.toLowerCase();
    if (!p.path) {
      return {
        status: 'failed',
        result: {},
        evidence: {},
        error:
          'collect_file needs params.path: where the file is on this device (the file page lists its paths)',
      };
    }
    const local = this.fsRoot === '/' ? p.path : join(this.fsRoot, p.path);
    const st = await lstat(local).catch(() => null);
    if (!st?.isFile()) {
      return {
        status: 'failed',
        result: {},
        evidence: { path: p.path },
        error: `no regular file at ${p.path} on this device`,
      };
    }
    const hash = createHash('sha256');
    await pipeline(createReadStream(local), hash);
    const got = hash.digest('hex');
    if (got !== want) {
      return {
        status: 'failed',
        result: {},
        evidence: { path: p.path, sha256: got },
        error: `${p.path} no longer has SHA-256 ${want} (it has ${got}); nothing was uploaded`,
      };
    }
    ctx.progress(0, st.size, 'uploading');
    const up = await this.upload(ctx.command.actionId, local, ctx.signal);
    return { result: { blobSha256: up.sha256, sizeBytes: up.sizeBytes }, evidence: { path: p.path } };
  }
}
