import type { Readable } from 'node:stream';
import { NotFoundError, type Principal } from '@quell/core';
import { fromJson } from '@quell/store';
import { audit, type ServiceContext } from '../services/context.js';
import type { BlobStore } from './blob-store.js';

/** An investigation package ready to send. */
export interface PackageDownload {
  stream: Readable;
  size: number;
  /** `quell-package-<hostname>-<actionId>.zip`. */
  filename: string;
}

/** Reads the investigation package an action collected (its result's `blobSha256`) from the blob store. */
export class ActionPackages {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly blobs: BlobStore,
  ) {}

  /** Opens the package for download and audits `package.downloaded`. */
  async open(principal: Principal, actionId: string): Promise<PackageDownload> {
    const action = await this.ctx.store.actions.get(this.ctx.store.db, actionId);
    if (!action)
      throw new NotFoundError(`No action ${actionId}. List them with \`quell actions list\`.`, {
        id: actionId,
      });
    const sha256 = fromJson<Record<string, unknown> | null>(action.result, null)?.blobSha256;
    const size = typeof sha256 === 'string' ? await this.blobs.size(sha256) : null;
    if (typeof sha256 !== 'string' || size === null) {
      throw new NotFoundError(
        `Action ${actionId} has no investigation package to download: only a succeeded collect_investigation_package action has one.`,
        { id: actionId, status: action.status },
      );
    }
    // The target may name the device by id; the file name shows its hostname either way.
    const device = await this.ctx.store.agents.byIdOrHostname(this.ctx.store.db, action.target_id);
    const hostname = safeName(device?.hostname ?? action.target_id);
    await this.ctx.store.transaction((trx) =>
      audit(this.ctx, trx, principal, 'package.downloaded', actionId, { sha256, size }),
    );
    return {
      stream: await this.blobs.open(sha256),
      size,
      filename: `quell-package-${hostname}-${safeName(actionId)}.zip`,
    };
  }
}

/** Keeps a file name header-safe whatever the target id holds. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
}
