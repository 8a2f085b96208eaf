import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from './support/requirements.js';
import { AGENT_BIN, createStack, e2eMissing, eventually, type Stack } from './support/e2e-stack.js';
import { createTestMount, type TestMount } from './support/test-mount.js';

/**
 * Hash indicators enforced by a real agent on an unrestricted device (issue 4): a `block`
 * indicator added through the API stops a file on the test mount from executing within 5 s and
 * raises an `exec_denied` device event; removing it lets the file run again. A
 * `block_and_remediate` indicator quarantines a newly dropped copy within seconds (watcher) and
 * an existing copy at the next quick scan, into the vault a restore action reads.
 *
 * The agent runs in the `dev` network namespace but in the test's mount namespace (see
 * e2e-restriction.test.ts): fanotify marks and inotify watches must see the test's own writes.
 */
const missing = e2eMissing([cmd('gcc', 'gcc'), cmd('make', 'make'), cmd('nsenter', 'util-linux')]);
const NATIVE = fileURLToPath(new URL('../native', import.meta.url));
const PAYLOAD = '#!/bin/sh\n# quell e2e block-and-remediate payload\nexit 0\n';
const PAYLOAD_SHA = createHash('sha256').update(PAYLOAD).digest('hex');

function run(path: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/env', [path], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Device events the agent emitted, read from its log (the runtime logs each one at debug). */
function deviceEvents(log: string): Record<string, unknown>[] {
  return log
    .split('\n')
    .filter((l) => l.includes('"device event"'))
    .map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event);
}

describe.skipIf(missing.length)('e2e: hash indicators on a real, unrestricted agent', () => {
  let s: Stack;
  let mnt: TestMount;
  let agent: ChildProcess | null = null;
  let agentLog = '';
  let dropped: string;

  /** The agent in `dev`'s network namespace and the test's mount namespace. */
  const startAgent = (): void => {
    agent = spawn(
      'nsenter',
      [
        `--net=/run/netns/${s.lab.nsName('dev')}`,
        process.execPath,
        AGENT_BIN,
        'run',
        '--config',
        s.agent.config,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (d: Buffer) => (agentLog += d.toString()));
    agent.stderr?.on('data', (d: Buffer) => (agentLog += d.toString()));
  };
  const killAgent = async (): Promise<void> => {
    if (!agent || agent.exitCode !== null) return;
    const gone = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGKILL');
    await gone;
  };

  beforeAll(async () => {
    execFileSync('make', ['-s', '-C', NATIVE], { stdio: 'inherit' });
    s = await createStack();
    mnt = createTestMount();
    dropped = join(mnt.writableDir, 'dropped-tool');
    writeFileSync(dropped, '#!/bin/sh\n# some tool an attacker dropped\nexit 0\n');
    chmodSync(dropped, 0o755);
    await s.agent.stop();
    s.agent.patchConfig({
      fsRoot: mnt.root,
      execControl: { enabled: true, helperPath: join(NATIVE, 'build/quell-execd'), marks: mnt.marks },
      remediation: { watchPaths: ['/tmp'] },
    });
    startAgent();
    await s.waitOnline(20_000).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
  });
  afterAll(async () => {
    await killAgent();
    mnt?.cleanup();
    await s?.close();
  });

  it('a block indicator stops the file from executing within 5 s and raises exec_denied; removing it lets it run', async () => {
    expect((await run(dropped)).code).toBe(0);
    const sha = createHash('sha256').update(readFileSync(dropped)).digest('hex');
    const started = Date.now();
    const created = await s.server.ok('POST', '/api/indicators', {
      type: 'sha256',
      value: sha,
      action: 'block',
      title: 'e2e dropped tool',
    });
    expect(created.outcome).toBe('applied');
    const id = created.indicator.id as string;
    const denied = await eventually(
      () => run(dropped),
      (r) => r.code === 126,
      5000,
      'exec denied',
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(denied.stderr).toMatch(/Operation not permitted/);
    // Other files, and package-owned ones, still run: the device is not restricted.
    expect((await run(join(mnt.packageBinDir, 'true'))).code).toBe(0);
    expect((await s.device()).restriction.state).toBe('off');

    const events = await eventually(
      () => deviceEvents(agentLog).filter((e) => e.kind === 'exec_denied'),
      (e) => e.length > 0,
      2000,
      'exec_denied event',
    );
    // Reported as the device sees it: the path under the agent's filesystem root.
    expect(events[0]).toMatchObject({
      path: dropped.slice(mnt.root.replace(/\/+$/, '').length),
      sha256: sha,
      reason: 'blocked_indicator',
      indicatorId: id,
    });

    const removedAt = Date.now();
    await s.server.ok('DELETE', `/api/indicators/${id}`);
    await eventually(
      () => run(dropped),
      (r) => r.code === 0,
      5000,
      'exec allowed again',
    );
    expect(Date.now() - removedAt).toBeLessThan(5000);
  });

  it('block and remediate: a new copy is quarantined within seconds, an existing one by a quick scan', async () => {
    const existing = join(mnt.writableDir, 'existing-payload.sh');
    writeFileSync(existing, PAYLOAD);
    chmodSync(existing, 0o755);
    const created = await s.server.ok('POST', '/api/indicators', {
      type: 'sha256',
      value: PAYLOAD_SHA,
      action: 'block_and_remediate',
      title: 'e2e payload',
    });
    expect(created.outcome).toBe('applied');
    const id = created.indicator.id as string;
    // In force once executions of it are denied.
    await eventually(
      () => run(existing),
      (r) => r.code === 126,
      5000,
      'payload blocked',
    );

    const fresh = join(mnt.writableDir, 'fresh-drop.sh');
    const droppedAt = Date.now();
    copyFileSync(existing, fresh);
    await eventually(
      () => existsSync(fresh),
      (e) => !e,
      5000,
      'new copy quarantined',
    );
    expect(Date.now() - droppedAt).toBeLessThan(5000);
    const vault = join(s.stateDir, 'quarantine');
    const manifests = () =>
      readdirSync(vault).map(
        (d) => JSON.parse(readFileSync(join(vault, d, 'manifest.json'), 'utf8')) as Record<string, any>,
      );
    expect(manifests()).toContainEqual(
      expect.objectContaining({
        file: expect.objectContaining({ path: '/tmp/fresh-drop.sh', sha256: PAYLOAD_SHA }),
      }),
    );
    // The watcher reports new files only: the copy that was there before waits for a scan.
    expect(existsSync(existing)).toBe(true);

    const scan = await s.request('run_av_scan', { scope: 'quick' });
    const done = await s.waitAction(scan.id, ['succeeded', 'failed'], 60_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(existsSync(existing)).toBe(false);
    // The indicator is a scan signature too: the copy is a detection.
    expect(done.result.detections).toBeGreaterThanOrEqual(1);
    const remediated = deviceEvents(agentLog).filter((e) => e.kind === 'remediated');
    expect(remediated.map((e) => [e.path, e.outcome, e.indicatorId])).toEqual([
      ['/tmp/fresh-drop.sh', 'quarantined', id],
      ['/tmp/existing-payload.sh', 'quarantined', id],
    ]);

    // A responder restores from the vault once the indicator is gone.
    await s.server.ok('DELETE', `/api/indicators/${id}`);
    await eventually(
      () => agentLog.includes('no blocking hash indicator left'),
      (gone) => gone,
      5000,
      'removal reached the agent',
    );
    const restore = await s.server.ok('POST', '/api/actions', {
      type: 'restore_quarantined_file',
      target: { kind: 'file', id: PAYLOAD_SHA, deviceHostname: (await s.device()).hostname },
      params: { sha256: PAYLOAD_SHA },
    });
    const restored = await s.waitAction(restore.id, ['succeeded', 'failed'], 60_000);
    expect(restored.status, JSON.stringify(restored)).toBe('succeeded');
    expect(readFileSync(existing, 'utf8')).toBe(PAYLOAD);
    expect(readFileSync(fresh, 'utf8')).toBe(PAYLOAD);
  });

  it('a restarted agent blocks what it held before it can reach the server', async () => {
    const sha = createHash('sha256').update(readFileSync(dropped)).digest('hex');
    const created = await s.server.ok('POST', '/api/indicators', {
      type: 'sha256',
      value: sha,
      action: 'block',
      title: 'e2e dropped tool, again',
    });
    await eventually(
      () => run(dropped),
      (r) => r.code === 126,
      5000,
      'exec denied',
    );
    // The store is persisted at most every 30 s; a clean stop writes it.
    const stopped = new Promise((r) => agent!.once('exit', r));
    agent!.kill('SIGTERM');
    await stopped;
    await s.server.stop();
    expect((await run(dropped)).code).toBe(0);

    agentLog = '';
    startAgent();
    await eventually(
      () => run(dropped),
      (r) => r.code === 126,
      10_000,
      'exec denied after restart',
    );
    expect(agentLog).not.toContain('connected to the server');
    await s.server.start();
    await s.server.ok('DELETE', `/api/indicators/${created.indicator.id as string}`);
  });
});
