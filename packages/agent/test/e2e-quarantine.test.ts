import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStack, e2eMissing, eventually, type Stack } from './support/e2e-stack.js';

/**
 * Stop and quarantine end to end: the server asks, the real agent (in its network namespace,
 * inspecting a temp root) kills the running "malware", moves it into its vault and removes the
 * cron entry that starts it; the undo through the API puts the file back bit-identical with its
 * mode and mtime, and the cron entry with it.
 */
const missing = e2eMissing();
const SCRIPT = '#!/bin/sh\n# quell e2e test malware\nwhile :; do sleep 1; done\n';
const SHA = createHash('sha256').update(SCRIPT).digest('hex');
const CRON = `*/5 * * * * root /tmp/evil.sh\n`;
const MTIME = new Date('2026-03-04T05:06:07Z');

function prepareFs(root: string): void {
  const script = join(root, 'tmp/evil.sh');
  writeFileSync(script, SCRIPT);
  chmodSync(script, 0o750);
  utimesSync(script, MTIME, MTIME);
  mkdirSync(join(root, 'etc/cron.d'), { recursive: true });
  writeFileSync(join(root, 'etc/cron.d/evil'), `# keeps it running\n${CRON}`);
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  // A package-owned binary at the path dpkg records for it (the agent reads the host's dpkg database).
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  copyFileSync('/usr/bin/dash', join(root, 'usr/bin/dash'));
}

describe.skipIf(missing.length)('e2e: stop and quarantine a file with a real agent, and undo it', () => {
  let s: Stack;
  let malware: ChildProcess;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    const wait = () => (malware ? malware.once('exit', (_c, sig) => resolve(sig)) : setTimeout(wait, 20));
    wait();
  });

  beforeAll(async () => {
    s = await createStack({ prepareFs });
    malware = spawn(join(s.fsRoot, 'tmp/evil.sh'), [], { stdio: 'ignore', cwd: join(s.fsRoot, 'tmp') });
    await eventually(
      () =>
        existsSync(`/proc/${malware.pid}/cmdline`) && readFileSync(`/proc/${malware.pid}/cmdline`, 'utf8'),
      (c) => typeof c === 'string' && c.includes('evil.sh'),
      5000,
    );
  });
  afterAll(async () => {
    if (malware && malware.exitCode === null && malware.signalCode === null) malware.kill('SIGKILL');
    await s?.close();
  });

  const fileTarget = async () => ({ kind: 'file', id: SHA, deviceHostname: (await s.device()).hostname });

  it('kills the process, vaults the file and removes its cron entry; undo restores both exactly', async () => {
    const q = await s.server.ok('POST', '/api/actions', {
      type: 'stop_and_quarantine_file',
      target: await fileTarget(),
      params: { sha256: SHA, path: '/tmp/evil.sh' },
    });
    const done = await s.waitAction(q.id, ['succeeded', 'failed'], 60_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.result).toMatchObject({ filesQuarantined: 1, persistenceRemoved: 1 });
    expect(done.result.processesKilled).toBeGreaterThanOrEqual(1);
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(join(s.fsRoot, 'tmp/evil.sh'))).toBe(false);
    expect(readFileSync(join(s.fsRoot, 'etc/cron.d/evil'), 'utf8')).not.toContain('/tmp/evil.sh');

    const undo = await s.server.ok('POST', `/api/actions/${q.id}/undo`, { comment: 'false positive' });
    const restored = await s.waitAction(undo.id, ['succeeded', 'failed'], 60_000);
    expect(restored.status, JSON.stringify(restored)).toBe('succeeded');
    const back = join(s.fsRoot, 'tmp/evil.sh');
    expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(SHA);
    const st = statSync(back);
    expect(st.mode & 0o7777).toBe(0o750);
    expect(st.mtime.toISOString()).toBe(MTIME.toISOString());
    expect(readFileSync(join(s.fsRoot, 'etc/cron.d/evil'), 'utf8')).toBe(`# keeps it running\n${CRON}`);
    expect((await s.action(q.id)).status).toBe('undone');
  });

  it('refuses to quarantine a file the OS package database owns, changing nothing', async () => {
    const dash = join(s.fsRoot, 'usr/bin/dash');
    const sha = createHash('sha256').update(readFileSync(dash)).digest('hex');
    const q = await s.server.ok('POST', '/api/actions', {
      type: 'stop_and_quarantine_file',
      target: { ...(await fileTarget()), id: sha },
      params: { sha256: sha, path: '/usr/bin/dash' },
    });
    const done = await s.waitAction(q.id, ['succeeded', 'failed'], 60_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/package/i);
    expect(createHash('sha256').update(readFileSync(dash)).digest('hex')).toBe(sha);
  });
});
