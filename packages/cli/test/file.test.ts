import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action as WireAction, FilePage, FileRestoreResult } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { BaseExecutor } from '@quell/server';
import { agentKeyPair, inventory } from '../../server/test/support/fake-agent.js';
import { json, startTestServer, type TestServer } from './harness.js';
import type { Action } from './types.js';

const have7z = existsSync('/usr/bin/7z');
const SAMPLE = Buffer.from('#!/bin/sh\n# quell CLI test sample, harmless\nexit 0\n');
const SHA = createHash('sha256').update(SAMPLE).digest('hex');
const PASSWORD = 'a zip password for the test';

/** Stands in for the agents: quarantines and restores at once, so the CLI sees them succeed. */
class InstantFileActions extends BaseExecutor {
  readonly kind = 'agent' as const;
  readonly name = 'test file executor';
  protected readonly types = ['stop_and_quarantine_file', 'restore_quarantined_file'] as const;
  protected run(action: WireAction): Promise<Record<string, unknown>> {
    return Promise.resolve(
      action.type === 'stop_and_quarantine_file'
        ? { processesKilled: 1, filesQuarantined: 1, persistenceRemoved: 0 }
        : { filesRestored: 1 },
    );
  }
}

describe('quell file', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
    const s = t.server.services;
    s.executors.register(new InstantFileActions());
    for (const host of ['ws1.files.test', 'ws2.files.test', 'ws3.files.test']) {
      const tok = await s.enrollment.createToken(SYSTEM_PRINCIPAL, { label: host });
      await s.enrollment.enroll({
        token: tok.token,
        publicKey: agentKeyPair().publicKeyB64,
        inventory: inventory(host),
      });
    }
    const now = Date.now();
    await s.files.record([
      {
        sha256: SHA,
        device: 'ws1.files.test',
        path: '/tmp/.x/dropper.sh',
        source: 'executed',
        at: new Date(now).toISOString(),
      },
      {
        sha256: SHA,
        device: 'ws2.files.test',
        path: '/home/bob/dropper.sh',
        source: 'scan',
        at: new Date(now).toISOString(),
      },
    ]);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('shows the file page', async () => {
    const r = await t.run(['file', 'show', SHA]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(SHA);
    expect(r.stdout).toMatch(/ws1\.files\.test.*\/tmp\/\.x\/dropper\.sh/);
    expect(r.stdout).toMatch(/quell file collect/);
    const p = json<FilePage>(await t.run(['file', 'show', SHA, '--json']));
    expect(p.file.deviceCount).toBe(2);
    const listed = await t.run(['file', 'list', '--q', 'dropper']);
    expect(listed.stdout).toContain(SHA);
  });

  it('refuses a fleet-wide quarantine over the cap, then quarantines everywhere (--wait) and restores one device', async () => {
    const capped = await t.run(['file', 'quarantine', SHA, '--cap', '1']);
    expect(capped.code).toBe(1);
    expect(capped.stderr).toMatch(/2 devices saw .* more than the cap of 1/);

    const r = await t.run([
      'file',
      'quarantine',
      SHA,
      '--comment',
      'dropper',
      '--wait',
      '--wait-timeout',
      '30',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/batch \S+ stop_and_quarantine_file: 2 device\(s\) — 2 succeeded/);
    const p = json<FilePage>(await t.run(['file', 'show', SHA, '--json']));
    expect(p.quarantine.map((q) => [q.hostname, q.state])).toEqual([
      ['ws1.files.test', 'quarantined'],
      ['ws2.files.test', 'quarantined'],
    ]);

    const restored = json<FileRestoreResult>(
      await t.run(['file', 'restore', SHA, '--device', 'ws1.files.test', '--json']),
    );
    expect(restored.actions.map((a) => [a.type, a.target.deviceHostname])).toEqual([
      ['restore_quarantined_file', 'ws1.files.test'],
    ]);
    const shown = await t.run(['file', 'show', SHA]);
    // The instant executor restores at once, so ws1 reads restored and ws2 is still quarantined.
    expect(shown.stdout).toMatch(/ws1\.files\.test\s*│\s*restored/);
    expect(shown.stdout).toMatch(/ws2\.files\.test\s*│\s*quarantined/);
  });

  it('lists a device’s quarantine vault and restores a file on that device only', async () => {
    // After the test above: ws1's copy was restored, ws2's is still in quarantine.
    const vault = await t.run(['device', 'quarantined', 'ws2.files.test']);
    expect(vault.code, vault.stderr).toBe(0);
    expect(vault.stdout).toMatch(new RegExp(`${SHA}\\s*│\\s*/home/bob/dropper\\.sh\\s*│\\s*quarantined`));
    expect(vault.stderr).toContain('quell device quarantined ws2.files.test --restore <sha256>');
    const none = await t.run(['device', 'quarantined', 'ws1.files.test']);
    expect(none.stdout).toContain('(no files in quarantine on this device)');

    const bad = await t.run(['device', 'quarantined', 'ws2.files.test', '--restore', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /--restore needs the file's SHA-256 .*quell device quarantined ws2\.files\.test/,
    );
    const unknown = await t.run(['device', 'quarantined', 'nope.files.test']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nope\.files\.test/);

    const restored = await t.run(['device', 'quarantined', 'ws2.files.test', '--restore', SHA.toUpperCase()]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^restore action \S+ on ws2\.files\.test: /);
    for (let i = 0; i < 100; i++) {
      const left = json<{ items: unknown[] }>(
        await t.run(['device', 'quarantined', 'ws2.files.test', '--json']),
      );
      if (!left.items.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      json<{ items: unknown[] }>(await t.run(['device', 'quarantined', 'ws2.files.test', '--json'])).items,
    ).toEqual([]);
    const all = json<{ items: Array<{ sha256: string; state: string }> }>(
      await t.run(['device', 'quarantined', 'ws2.files.test', '--all', '--json']),
    );
    expect(all.items.map((f) => [f.sha256, f.state])).toEqual([[SHA, 'restored']]);
  });

  it('collects from a device', async () => {
    const a = json<Action>(await t.run(['file', 'collect', SHA, '--device', 'ws2.files.test', '--json']));
    expect(a).toMatchObject({ type: 'collect_file', target: { id: SHA, deviceHostname: 'ws2.files.test' } });
  });

  it.skipIf(!have7z && !process.env.CI)(
    'downloads the stored copy as a zip that 7-Zip opens with the password from a file or QUELL_ZIP_PASSWORD',
    async () => {
      const none = await t.run(['file', 'download', SHA, '--reason', 'triage', '-o', join(t.dir, 'x.zip')], {
        env: { QUELL_ZIP_PASSWORD: PASSWORD },
      });
      expect([none.code, none.stderr]).toEqual([1, expect.stringMatching(/quell file collect/)]);
      await t.server.services.blobs.put(SAMPLE, { expectedSha256: SHA });

      const pwFile = join(t.dir, 'zip-password');
      writeFileSync(pwFile, `${PASSWORD}\n`);
      const out = join(t.dir, 'sample.zip');
      const r = await t.run([
        'file',
        'download',
        SHA,
        '--reason',
        'malware team',
        '--password-file',
        pwFile,
        '-o',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      execFileSync('7z', ['x', '-y', `-o${join(t.dir, 'out')}`, `-p${PASSWORD}`, out], { stdio: 'ignore' });
      const back = readFileSync(join(t.dir, 'out', 'dropper.sh'));
      expect(createHash('sha256').update(back).digest('hex')).toBe(SHA);

      const viaEnv = await t.run(['file', 'download', SHA, '--reason', 'again', '-o', join(t.dir, 'b.zip')], {
        env: { QUELL_ZIP_PASSWORD: PASSWORD },
      });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      const noPassword = await t.run(['file', 'download', SHA, '--reason', 'x', '-o', join(t.dir, 'c.zip')]);
      expect([noPassword.code, noPassword.stderr]).toEqual([
        1,
        expect.stringMatching(/choose a zip password/),
      ]);
      const short = await t.run(['file', 'download', SHA, '--reason', 'x', '-o', join(t.dir, 'c.zip')], {
        env: { QUELL_ZIP_PASSWORD: 'short' },
      });
      expect([short.code, short.stderr]).toEqual([1, expect.stringMatching(/10 to 256 characters/)]);
      expect(existsSync(join(t.dir, 'c.zip'))).toBe(false);
    },
  );
});
