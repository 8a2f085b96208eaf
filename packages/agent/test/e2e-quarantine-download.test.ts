import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from './support/requirements.js';
import { createStack, e2eMissing, type Stack } from './support/e2e-stack.js';

/**
 * A quarantined file is downloadable: after stop-and-quarantine on a real agent, the server holds
 * the original bytes (sent from the vault), and the file's download API returns an AES zip whose
 * content has the file's SHA-256. A second quarantine of the same hash does not send it again.
 */
const missing = e2eMissing([cmd('7z', '7zip')]);
// Bytes no scanner knows and no shell runs; large enough for several upload chunks.
const CONTENT = Buffer.concat([
  Buffer.from('quell e2e quarantine download sample\n'),
  createHash('sha512').update('seed').digest(),
  Buffer.alloc(700 * 1024, 0x5a),
]);
const SHA = createHash('sha256').update(CONTENT).digest('hex');
const PASSWORD = 'correct horse battery staple';

describe.skipIf(missing.length)(
  'e2e: a quarantined file can be downloaded as a password-protected zip',
  () => {
    let s: Stack;
    beforeAll(async () => {
      s = await createStack({
        prepareFs: (root) => {
          writeFileSync(join(root, 'tmp/dropper.bin'), CONTENT, { mode: 0o644 });
          writeFileSync(join(root, 'tmp/dropper-copy.bin'), CONTENT, { mode: 0o644 });
          mkdirSync(join(root, 'etc'), { recursive: true });
          writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
        },
      });
    });
    afterAll(async () => {
      await s?.close();
    });

    /** The agent's evidence, as the server keeps it on the action's timeline. */
    const evidence = (action: any): string =>
      (action.timeline as { reason: string | null }[]).map((e) => e.reason ?? '').join('\n');
    const quarantine = async (path: string) => {
      const q = await s.server.ok('POST', '/api/actions', {
        type: 'stop_and_quarantine_file',
        target: { kind: 'file', id: SHA, deviceHostname: (await s.device()).hostname },
        params: { sha256: SHA, path },
      });
      return s.waitAction(q.id, ['succeeded', 'failed'], 60_000);
    };

    it('uploads the vaulted copy once per hash, and the download yields the original bytes', async () => {
      const before = await s.server.api('POST', `/api/files/${SHA}/download`, {
        password: PASSWORD,
        reason: 'e2e',
      });
      expect(before.status).toBe(404);

      const done = await quarantine('/tmp/dropper.bin');
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      expect(done.result).toMatchObject({ filesQuarantined: 1 });
      expect(evidence(done)).toContain(
        `"copy":{"status":"uploaded","sizeBytes":${CONTENT.length},"blobSha256":"${SHA}"}`,
      );

      const res = await s.server.fetch('POST', `/api/files/${SHA}/download`, {
        password: PASSWORD,
        reason: 'e2e',
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/zip');
      const zip = join(s.dir, 'download.zip');
      writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
      const out = join(s.dir, 'unzipped');
      mkdirSync(out);
      execFileSync('7z', ['x', '-y', `-o${out}`, `-p${PASSWORD}`, zip], { stdio: 'ignore' });
      const [name] = readdirSync(out);
      const got = createHash('sha256')
        .update(readFileSync(join(out, name!)))
        .digest('hex');
      expect(got).toBe(SHA);
      // The zip is really encrypted: the wrong password opens nothing.
      expect(() => execFileSync('7z', ['t', '-pwrong-password-here', zip], { stdio: 'ignore' })).toThrow();

      const again = await quarantine('/tmp/dropper-copy.bin');
      expect(again.status, JSON.stringify(again)).toBe('succeeded');
      expect(again.result).toMatchObject({ filesQuarantined: 1 });
      expect(evidence(again)).toContain('"copy":{"status":"already_uploaded"}');
      // Nothing decoded is left behind in the agent's work directory.
      const work = join(s.stateDir, 'work');
      const left = (() => {
        try {
          return readdirSync(work).filter((f) => f.startsWith('quarantine-'));
        } catch {
          return [];
        }
      })();
      expect(left).toEqual([]);
    });
  },
);
