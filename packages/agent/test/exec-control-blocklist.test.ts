import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanotifyExecControl, PackageTrustPolicy } from '../src/exec-control/index.js';
import { IndicatorStore, StoreHashBlocklist, type SyncIndicator } from '../src/indicators/index.js';
import type { ExecControlEvent } from '../src/ports.js';
import { indicator } from './support/indicators-fixtures.js';
import { cmd, requirements, ROOT } from './support/requirements.js';
import { createTestMount, type TestMount } from './support/test-mount.js';

/**
 * Block-by-hash with the real helper on a test mount, fed by a real indicator store: blocklist
 * mode on an unrestricted device, changes without a helper restart, SHA-1/MD5 indicators, the
 * precedence against restriction, and failing open.
 */
const NATIVE = fileURLToPath(new URL('../native', import.meta.url));
const missing = requirements([
  ROOT,
  cmd('gcc', 'gcc'),
  cmd('make', 'make'),
  cmd('dpkg', 'dpkg'),
  cmd('findmnt', 'util-linux'),
]);

function run(path: string): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/env', [path], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}
const DENIED = { code: 126, stderr: expect.stringMatching(/Operation not permitted/) };
const digest = (alg: string, p: string) => createHash(alg).update(readFileSync(p)).digest('hex');

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(missing.length)('FanotifyExecControl: blocklist mode', () => {
  let mnt: TestMount;
  let control: FanotifyExecControl;
  let store: IndicatorStore;
  let version = 1;
  let dropped: string;
  let other: string;
  let packaged: string;
  const events: ExecControlEvent[] = [];
  const delta = (upserts: SyncIndicator[], removals: string[] = []) => {
    store.applyDelta({ fromVersion: version, toVersion: version + 1, upserts, removals });
    version++;
  };

  beforeAll(() => {
    execFileSync('make', ['-s', '-C', NATIVE], { stdio: 'inherit' });
    mnt = createTestMount();
    dropped = join(mnt.writableDir, 'dropped-true');
    copyFileSync('/usr/bin/true', dropped);
    other = join(mnt.writableDir, 'other.sh');
    writeFileSync(other, '#!/bin/sh\nexit 0\n');
    chmodSync(other, 0o755);
    packaged = join(mnt.packageBinDir, 'true');
    store = new IndicatorStore();
    store.applySnapshot({ version, indicators: [] });
    control = new FanotifyExecControl({
      marks: mnt.marks,
      fsRoot: mnt.root,
      trust: new PackageTrustPolicy(),
      restartBackoffMs: { initial: 200, max: 1000 },
    });
    control.onEvent((e) => events.push(e));
  });
  afterAll(async () => {
    await control?.close();
    mnt?.cleanup();
  });

  it('denies only the blocked hash on an unrestricted device and names the indicator', async () => {
    delta([indicator('blk-true', { value: digest('sha256', dropped) })]);
    const st = await control.setBlocklist(new StoreHashBlocklist(store));
    expect(st).toMatchObject({ state: 'on', mode: 'blocklist', error: null });

    expect(await run(dropped)).toMatchObject(DENIED);
    // Same bytes at a package path: the indicator names the content, so it is denied too.
    expect(await run(packaged)).toMatchObject(DENIED);
    expect(await run(other)).toMatchObject({ code: 0 });
    expect(await run(join(mnt.packageBinDir, 'false'))).toMatchObject({ code: 1 });
    expect(events).toContainEqual({
      kind: 'denied',
      path: dropped,
      pid: expect.any(Number),
      sha256: digest('sha256', dropped),
      reason: 'blocked_indicator',
      indicatorId: 'blk-true',
      at: expect.any(Number),
    });
  });

  it('applies a store change to the next exec without restarting the helper', async () => {
    const pid = control.status().helperPid;
    delta([], ['blk-true']);
    expect(await run(dropped)).toMatchObject({ code: 0 });
    delta([indicator('blk-md5', { type: 'md5', value: digest('md5', other) })]);
    expect(await run(other)).toMatchObject(DENIED);
    delta([indicator('blk-sha1', { type: 'sha1', value: digest('sha1', dropped) })]);
    expect(await run(dropped)).toMatchObject(DENIED);
    // An allow on the SHA-256 beats the block on the SHA-1 (allow > block).
    delta([indicator('allow-true', { value: digest('sha256', dropped), action: 'allow' })]);
    expect(await run(dropped)).toMatchObject({ code: 0 });
    expect(control.status().helperPid).toBe(pid);
  });

  it('while restricted, denies blocked hashes and untrusted files; back to blocklist mode after', async () => {
    const pid = control.status().helperPid;
    delta([indicator('blk-false', { value: digest('sha256', join(mnt.packageBinDir, 'false')) })]);
    expect(await control.enable({ allowSha256: [] })).toMatchObject({ state: 'on', mode: 'restricted' });
    expect(await run(join(mnt.packageBinDir, 'false'))).toMatchObject(DENIED);
    expect(await run(packaged)).toMatchObject({ code: 0 });
    // Allowed by an indicator, but a restriction is not widened by indicators.
    expect(await run(dropped)).toMatchObject(DENIED);

    expect(await control.disable()).toMatchObject({ state: 'on', mode: 'blocklist' });
    expect(control.status().helperPid).toBe(pid);
    expect(await run(dropped)).toMatchObject({ code: 0 });
    expect(await run(join(mnt.packageBinDir, 'false'))).toMatchObject(DENIED);
  });

  it('fails open when the helper dies and enforces again after its restart', async () => {
    const pid = control.status().helperPid!;
    process.kill(pid, 'SIGKILL');
    await until(() => control.status().helperPid !== pid);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'helper_crashed' }));
    await until(() => control.status().state === 'on');
    expect(control.status().mode).toBe('blocklist');
    expect(await run(other)).toMatchObject(DENIED);
  });

  it('stops the helper when the blocklist is cleared on an unrestricted device', async () => {
    const pid = control.status().helperPid!;
    expect(await control.setBlocklist(null)).toEqual({
      state: 'off',
      mode: 'off',
      helperPid: null,
      error: null,
      denied: expect.any(Number),
    });
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(await run(other)).toMatchObject({ code: 0 });
  });
});
