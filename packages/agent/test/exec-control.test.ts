import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanotifyExecControl, PackageTrustPolicy } from '../src/exec-control/index.js';
import type { ExecControlEvent } from '../src/ports.js';
import { cmd, requirements, ROOT } from './support/requirements.js';
import { createTestMount, type TestMount } from './support/test-mount.js';

// "Restrict app execution" end to end: the real helper, real fanotify marks on a test mount,
// the host's real dpkg database deciding what is package-owned.
const NATIVE = fileURLToPath(new URL('../native', import.meta.url));
const missing = requirements([
  ROOT,
  cmd('gcc', 'gcc'),
  cmd('make', 'make'),
  cmd('dpkg', 'dpkg'),
  cmd('findmnt', 'util-linux'),
]);

interface Run {
  code: number | null;
  stderr: string;
  ms: number;
}

/**
 * Runs a file the way a user's shell would: from a process other than the agent (env), so the
 * exec is checked, and asynchronously, because the agent's loop has to answer the helper.
 */
function run(path: string, args: string[] = []): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/env', [path, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 20_000,
    });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}

const DENIED = { code: 126, stderr: expect.stringMatching(/Operation not permitted/) };
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(missing.length)('FanotifyExecControl', () => {
  let mnt: TestMount;
  let control: FanotifyExecControl;
  let droppedBinary: string;
  let droppedScript: string;
  const events: ExecControlEvent[] = [];
  const statusAtEvent: ReturnType<FanotifyExecControl['status']>[] = [];

  beforeAll(() => {
    execFileSync('make', ['-s', '-C', NATIVE], { stdio: 'inherit' });
    mnt = createTestMount();
    // Same bytes as the package's /usr/bin/true, but not at a path dpkg owns.
    droppedBinary = join(mnt.writableDir, 'mytrue');
    copyFileSync('/usr/bin/true', droppedBinary);
    droppedScript = join(mnt.writableDir, 'dropped.sh');
    writeFileSync(droppedScript, '#!/bin/sh\nexit 0\n');
    chmodSync(droppedScript, 0o755);
    control = new FanotifyExecControl({
      marks: mnt.marks,
      fsRoot: mnt.root,
      trust: new PackageTrustPolicy(),
      restartBackoffMs: { initial: 200, max: 1000 },
    });
    control.onEvent((e) => {
      events.push(e);
      statusAtEvent.push(control.status());
    });
  });
  afterAll(async () => {
    await control?.close();
    mnt?.cleanup();
  });

  it('runs everything while restriction is off', async () => {
    expect(control.status()).toEqual({ state: 'off', mode: 'off', helperPid: null, error: null, denied: 0 });
    expect(await run(droppedBinary)).toMatchObject({ code: 0 });
  });

  it('denies a dropped binary and a dropped script, and reports the binary with its hash', async () => {
    const status = await control.enable({ allowSha256: [] });
    expect(status).toMatchObject({ state: 'on', mode: 'restricted', error: null, denied: 0 });
    expect(status.helperPid).toBeGreaterThan(0);

    expect(await run(droppedBinary)).toMatchObject(DENIED);
    expect(await run(droppedScript)).toMatchObject(DENIED);
    expect(control.status().denied).toBe(2);
    expect(events).toContainEqual({
      kind: 'denied',
      path: droppedBinary,
      pid: expect.any(Number),
      sha256: sha256('/usr/bin/true'),
      reason: 'untrusted',
      indicatorId: null,
      at: expect.any(Number),
    });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'denied', path: droppedScript }));
  });

  it('runs package-owned files whose checksum matches dpkg, including scripts listed under /bin', async () => {
    expect(await run(join(mnt.packageBinDir, 'true'))).toMatchObject({ code: 0 });
    // gzip ships zcat as a shell script that dpkg lists as /bin/zcat (usr-merge).
    expect(await run(join(mnt.packageBinDir, 'zcat'), ['--version'])).toMatchObject({ code: 0 });
  });

  it('reports a loop of denied execs once, while counting them all', async () => {
    const before = events.length;
    const denied = control.status().denied;
    for (let i = 0; i < 10; i++) expect(await run(droppedBinary)).toMatchObject(DENIED);
    expect(control.status().denied).toBe(denied + 10);
    expect(events.length).toBe(before);
  });

  it('runs a dropped binary once its SHA-256 is on the allow list', async () => {
    await control.enable({ allowSha256: [sha256(droppedBinary)] });
    expect(await run(droppedBinary)).toMatchObject({ code: 0 });
    expect(await run(droppedScript)).toMatchObject(DENIED);
  });

  it('fails open and alerts when the helper dies, then restarts and enforces again', async () => {
    await control.enable({ allowSha256: [] });
    const pid = control.status().helperPid!;
    process.kill(pid, 'SIGKILL');
    await until(() => control.status().state !== 'on' || control.status().helperPid !== pid);
    const crash = events.findIndex((e) => e.kind === 'helper_crashed');
    expect(events[crash]).toMatchObject({ error: expect.stringMatching(/SIGKILL/) });
    expect(statusAtEvent[crash]).toMatchObject({
      state: 'failed',
      helperPid: null,
      error: expect.any(String),
    });

    const r = await run(droppedBinary);
    expect(r.ms).toBeLessThan(2_000);

    await until(() => control.status().state === 'on');
    expect(control.status().helperPid).not.toBe(pid);
    expect(control.status().error).toBeNull();
    expect(await run(droppedBinary)).toMatchObject(DENIED);
  });

  it('runs everything again after disable, with no helper left behind', async () => {
    const pid = control.status().helperPid!;
    expect(await control.disable()).toEqual({
      state: 'off',
      mode: 'off',
      helperPid: null,
      error: null,
      denied: expect.any(Number),
    });
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(await run(droppedBinary)).toMatchObject({ code: 0 });
    expect(await run(droppedScript)).toMatchObject({ code: 0 });
  });

  it('keeps alerting, with growing delays, while the helper keeps crashing', async () => {
    const flaky = join(mnt.writableDir, 'flaky-helper');
    writeFileSync(flaky, '#!/bin/sh\necho ready\nexit 3\n');
    chmodSync(flaky, 0o755);
    const c = new FanotifyExecControl({
      helperPath: flaky,
      marks: mnt.marks,
      restartBackoffMs: { initial: 50, max: 400 },
    });
    const crashes: number[] = [];
    c.onEvent((e) => e.kind === 'helper_crashed' && crashes.push(e.at));
    await c.enable({ allowSha256: [] });
    await until(() => crashes.length >= 4);
    await c.close();
    const gaps = crashes.slice(1).map((t, i) => t - crashes[i]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    const after = crashes.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(crashes.length).toBe(after);
    expect(c.status().state).toBe('off');
  });

  it('refuses to enable, saying how to fix it, when the helper is missing', async () => {
    const broken = new FanotifyExecControl({ helperPath: join(mnt.root, 'no-helper'), marks: mnt.marks });
    await expect(broken.enable({ allowSha256: [] })).rejects.toThrow(/exec helper not found .*build:native/);
    expect(broken.status()).toMatchObject({ state: 'off', helperPid: null });
  });
});
