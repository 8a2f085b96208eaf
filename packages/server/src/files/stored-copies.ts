import type { FileStoredCopy } from '@quell/contracts';
import { fromJson, isoOrNull, type Tx } from '@quell/store';
import type { BlobStore } from '../blobs/blob-store.js';
import type { ServiceContext } from '../services/context.js';

/** Actions whose agents upload the file itself (collect, and quarantine when asked to keep a copy). */
const UPLOADING_FILE_ACTIONS = ['collect_file', 'stop_and_quarantine_file'] as const;

/** A stored copy of a file, ready to open. */
export interface LocatedCopy extends FileStoredCopy {
  blobSha256: string;
}

/**
 * Finds a stored copy of a file, whichever way it arrived: a recorded copy (`file_blobs`), the
 * blob whose address is the file's own SHA-256 (an upload is hash-verified, so that blob is the
 * file), or the `blobSha256` a succeeded collect or quarantine action reported.
 */
export async function locateCopy(
  ctx: ServiceContext,
  blobs: BlobStore,
  sha256: string,
  trx: Tx = ctx.store.db,
): Promise<LocatedCopy | null> {
  const recorded = await ctx.store.files.blob(trx, sha256);
  if (recorded) {
    const size = await blobs.size(recorded.blob_sha256);
    if (size !== null) {
      const device = recorded.device_id
        ? await ctx.store.agents.byIdOrHostname(trx, recorded.device_id)
        : undefined;
      return {
        blobSha256: recorded.blob_sha256,
        size,
        collectedAt: isoOrNull(recorded.collected_at),
        deviceHostname: device?.hostname ?? null,
        actionId: recorded.action_id,
      };
    }
  }
  const rows = await ctx.store.files.actionsOfTypes(trx, sha256, UPLOADING_FILE_ACTIONS, 1000);
  const reported = rows
    .filter((r) => r.status === 'succeeded' || r.status === 'undone')
    .reverse()
    .map((r) => ({ row: r, blob: fromJson<{ blobSha256?: unknown } | null>(r.result, null)?.blobSha256 }));
  const own = await blobs.size(sha256);
  if (own !== null) {
    const from = reported.find((x) => x.blob === sha256)?.row;
    return {
      blobSha256: sha256,
      size: own,
      collectedAt: isoOrNull(from?.updated_at),
      deviceHostname: from ? targetHost(from.target) : null,
      actionId: from?.id ?? null,
    };
  }
  for (const { row, blob } of reported) {
    if (typeof blob !== 'string' || !/^[a-f0-9]{64}$/.test(blob)) continue;
    const size = await blobs.size(blob);
    if (size === null) continue;
    return {
      blobSha256: blob,
      size,
      collectedAt: isoOrNull(row.updated_at),
      deviceHostname: targetHost(row.target),
      actionId: row.id,
    };
  }
  return null;
}

function targetHost(target: string): string | null {
  return fromJson<{ deviceHostname?: string }>(target, {}).deviceHostname ?? null;
}
