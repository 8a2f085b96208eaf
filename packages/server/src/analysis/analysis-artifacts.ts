import { join } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.js';
import type { SandboxReport } from '../sandbox/index.js';

/** Where a finished detonation's artefacts landed in the blob store. */
export interface StoredArtifacts {
  reportSha256: string;
  traceSha256: string | null;
  /** SHA-256 of every dropped or modified file that was copied out and stored. */
  files: string[];
}

/**
 * Moves a detonation's output directory into the blob store: each copied file (checked against
 * the hash the report gives it), the raw strace log, and the report itself as JSON. The caller
 * removes the directory afterwards.
 */
export async function storeArtifacts(
  blobs: BlobStore,
  report: SandboxReport,
  outputDir: string,
): Promise<StoredArtifacts> {
  const files: string[] = [];
  for (const f of report.files) {
    if (!f.artifact || !f.sha256 || files.includes(f.sha256)) continue;
    await blobs.put({ file: join(outputDir, f.artifact) }, { expectedSha256: f.sha256 });
    files.push(f.sha256);
  }
  const trace = report.trace.artifact
    ? await blobs.put({ file: join(outputDir, report.trace.artifact) }, { contentType: 'text/plain' })
    : null;
  const stored = await blobs.put(Buffer.from(JSON.stringify(report)), { contentType: 'application/json' });
  return { reportSha256: stored.sha256, traceSha256: trace?.sha256 ?? null, files };
}
