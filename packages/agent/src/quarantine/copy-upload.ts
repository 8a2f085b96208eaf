import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { UploadOutcome } from '../transport/upload.js';
import type { FileQuarantine } from './file-quarantine.js';

/** What became of the server copy of a quarantined file (in the quarantine's evidence). */
export const COPY_UPLOAD_STATUSES = [
  /** Sent and acknowledged, hash-verified, by the server. */
  'uploaded',
  /** This device uploaded the same hash before; the server keeps one copy per hash. */
  'already_uploaded',
  /** Not sent: larger than the agent's limit. */
  'too_large',
  /** Sending or storing failed; the quarantine itself stands. */
  'failed',
] as const;
export type CopyUploadStatus = (typeof COPY_UPLOAD_STATUSES)[number];

export interface CopyUpload {
  status: CopyUploadStatus;
  sizeBytes?: number;
  blobSha256?: string;
  error?: string;
}

export type Upload = (actionId: string, path: string, signal: AbortSignal) => Promise<UploadOutcome>;

export interface QuarantineCopyUploaderOptions {
  quarantine: FileQuarantine;
  upload: Upload;
  /** Agent state directory: decoded copies go to `work/`, markers to `uploaded-copies/`. */
  stateDir: string;
  /** Copies larger than this are not sent. Default 3 GiB (the server's default file limit). */
  maxBytes?: number;
  log?: Logger;
}

const DEFAULT_MAX_BYTES = 3 * 1024 ** 3;

/**
 * Sends the original bytes of a quarantined file to the server's blob store, so the file page can
 * offer it as a password-protected zip (docs/files.md). The vault keeps the file encoded; the copy
 * is decoded into a 0600 file in the agent's work directory for the upload and removed after.
 *
 * Once per hash per device: a marker under `uploaded-copies/` records an acknowledged upload, so a
 * repeated quarantine does not send a large file again (the server deduplicates by content as
 * well). Never throws: a failure is an answer in the evidence, the quarantine has happened.
 */
export class QuarantineCopyUploader {
  private readonly maxBytes: number;

  constructor(private readonly opts: QuarantineCopyUploaderOptions) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  async send(sha256: string, actionId: string, signal: AbortSignal): Promise<CopyUpload> {
    const markers = join(this.opts.stateDir, 'uploaded-copies');
    const marker = join(markers, sha256);
    if (
      await stat(marker).then(
        () => true,
        () => false,
      )
    )
      return { status: 'already_uploaded' };
    const work = join(this.opts.stateDir, 'work');
    const tmp = join(
      work,
      `quarantine-${actionId.replace(/[^A-Za-z0-9_-]/g, '_')}-${sha256.slice(0, 16)}.bin`,
    );
    try {
      const entry = (await this.opts.quarantine.list()).find((e) => e.sha256 === sha256);
      if (entry && entry.size > this.maxBytes) return { status: 'too_large', sizeBytes: entry.size };
      await mkdir(work, { recursive: true, mode: 0o700 });
      await rm(tmp, { force: true });
      await this.opts.quarantine.exportCopy(sha256, tmp);
      const up = await this.opts.upload(actionId, tmp, signal);
      if (up.sha256 !== sha256)
        return { status: 'failed', error: `the server stored ${up.sha256}, not ${sha256}` };
      await mkdir(markers, { recursive: true, mode: 0o700 });
      await writeFile(marker, `${new Date().toISOString()} ${actionId}\n`, { mode: 0o600 });
      return { status: 'uploaded', sizeBytes: up.sizeBytes, blobSha256: up.sha256 };
    } catch (e) {
      this.opts.log?.warn('uploading the quarantined copy failed; the file stays quarantined', {
        sha256,
        actionId,
        error: errorMessage(e),
      });
      return { status: 'failed', error: errorMessage(e) };
    } finally {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
