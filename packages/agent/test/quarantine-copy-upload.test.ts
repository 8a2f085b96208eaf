import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileQuarantine,
  QuarantineCopyUploader,
  StopAndQuarantineFileHandler,
  type CopyUpload,
} from '../src/quarantine/index.js';
import type { UploadOutcome } from '../src/transport/upload.js';
import { QuarantineLab, sha256 } from './support/quarantine-lab.js';
import { requirements, ROOT } from './support/requirements.js';

// The quarantine's copy for the server: decoded from the real vault of a temp root, handed to an
// upload function (the channel's, in the agent), and never the reason a quarantine fails.
const missing = requirements([ROOT]);
const PATH = '/tmp/payload.bin';
const CONTENT = Buffer.from('quell copy upload sample\n'.repeat(500));
const SHA = createHash('sha256').update(CONTENT).digest('hex');

describe.skipIf(missing.length)('the quarantined copy sent to the server', () => {
  let lab: QuarantineLab;
  let fq: FileQuarantine;
  let sent: { actionId: string; bytes: Buffer }[];
  beforeEach(() => {
    lab = new QuarantineLab();
    lab.write(PATH, CONTENT);
    fq = new FileQuarantine({ stateDir: lab.stateDir, fsRoot: lab.root });
    sent = [];
  });
  afterEach(() => lab.cleanup());

  const okUpload = async (actionId: string, path: string): Promise<UploadOutcome> => {
    const bytes = readFileSync(path);
    sent.push({ actionId, bytes });
    return { streamId: 's', sha256: sha256(bytes), sizeBytes: bytes.length };
  };
  const run = async (
    upload: (actionId: string, path: string) => Promise<UploadOutcome>,
    opts: { maxBytes?: number; actionId?: string; path?: string } = {},
  ) => {
    const copies = new QuarantineCopyUploader({
      quarantine: fq,
      upload,
      stateDir: lab.stateDir,
      ...(opts.maxBytes !== undefined && { maxBytes: opts.maxBytes }),
    });
    const handler = new StopAndQuarantineFileHandler(fq, copies);
    const actionId = opts.actionId ?? 'act_1';
    const now = Date.now();
    return handler.run({
      command: {
        actionId,
        deviceId: 'dev',
        type: 'stop_and_quarantine_file',
        params: { sha256: SHA, path: opts.path ?? PATH },
        issuedAt: now,
        expiresAt: now + 60_000,
        timeoutMs: 60_000,
      },
      signal: new AbortController().signal,
      progress: () => undefined,
    });
  };
  const copyOf = (out: { evidence: Record<string, unknown> }) => out.evidence.copy as CopyUpload;

  it('sends the original bytes (not the encoded vault content), once per hash', async () => {
    const out = await run(okUpload);
    expect(out.status ?? 'succeeded').toBe('succeeded');
    expect(out.result).toMatchObject({ filesQuarantined: 1 });
    expect(copyOf(out)).toEqual({ status: 'uploaded', sizeBytes: CONTENT.length, blobSha256: SHA });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.bytes.equals(CONTENT)).toBe(true);
    expect(existsSync(lab.host(PATH))).toBe(false);

    lab.write('/tmp/again.bin', CONTENT);
    const again = await run(okUpload, { actionId: 'act_2', path: '/tmp/again.bin' });
    expect(again.result).toMatchObject({ filesQuarantined: 1 });
    expect(copyOf(again)).toEqual({ status: 'already_uploaded' });
    expect(sent).toHaveLength(1);
    expect(readdirSync(join(lab.stateDir, 'work'))).toEqual([]);
  });

  it('a failed upload leaves the quarantine succeeded, says why, and is retried next time', async () => {
    const out = await run(async () => {
      throw new Error('the server refused it: 3000 bytes is over the upload limit');
    });
    expect(out.status ?? 'succeeded').toBe('succeeded');
    expect(out.result).toMatchObject({ filesQuarantined: 1 });
    expect(copyOf(out)).toEqual({
      status: 'failed',
      error: 'the server refused it: 3000 bytes is over the upload limit',
    });
    expect(existsSync(lab.host(PATH))).toBe(false);
    expect(readdirSync(join(lab.stateDir, 'work'))).toEqual([]);

    // Running the action again finds the vault entry and sends the copy then.
    const retry = await run(okUpload, { actionId: 'act_3' });
    expect(retry.result).toMatchObject({ filesQuarantined: 0 });
    expect(copyOf(retry)).toMatchObject({ status: 'uploaded' });
  });

  it('does not send a copy over the size limit', async () => {
    const out = await run(okUpload, { maxBytes: 1000 });
    expect(out.result).toMatchObject({ filesQuarantined: 1 });
    expect(copyOf(out)).toEqual({ status: 'too_large', sizeBytes: CONTENT.length });
    expect(sent).toEqual([]);
  });
});
