import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from './support/requirements.js';
import { AGENT_BIN, createStack, e2eMissing, eventually, type Stack } from './support/e2e-stack.js';
import { createTestMount, type TestMount } from './support/test-mount.js';

/**
 * Device events end to end (issue 4): a real agent on a test mount reports what it sees and
 * denies, and the server shows it. A process started from the mount shows up on its file's page
 * as an executed image on the device; an execution the restricted agent denies (run in a loop)
 * becomes one alert on the file's page.
 *
 * Like the restriction e2e, the agent runs in the `dev` network namespace but the test's mount
 * namespace (`nsenter --net`), so the fanotify mark covers the mount the test executes from.
 */
const missing = e2eMissing([cmd('gcc', 'gcc'), cmd('make', 'make'), cmd('nsenter', 'util-linux')]);
const NATIVE = fileURLToPath(new URL('../native', import.meta.url));

/** Copies a binary with a trailing marker, so its SHA-256 is this test's alone (ELF ignores it). */
function uniqueCopy(from: string, to: string, marker: string): string {
  copyFileSync(from, to);
  appendFileSync(to, `\nquell-e2e-events:${marker}\n`);
  chmodSync(to, 0o755);
  return createHash('sha256').update(readFileSync(to)).digest('hex');
}

function run(path: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/env', [path], { stdio: 'ignore', timeout: 20_000 });
    c.on('error', reject);
    c.on('close', (code) => resolve(code));
  });
}

describe.skipIf(missing.length)('e2e: device events from a real agent', () => {
  let s: Stack;
  let mnt: TestMount;
  let agent: ChildProcess | null = null;
  let sleeper: ChildProcess | null = null;
  let agentLog = '';

  beforeAll(async () => {
    execFileSync('make', ['-s', '-C', NATIVE], { stdio: 'inherit' });
    s = await createStack();
    mnt = createTestMount();
    await s.agent.stop();
    s.agent.patchConfig({
      fsRoot: mnt.root,
      execControl: { enabled: true, helperPath: join(NATIVE, 'build/quell-execd'), marks: mnt.marks },
      observe: { execIntervalMs: 500 },
    });
    startAgent();
    await s.waitOnline(20_000).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
  });
  afterAll(async () => {
    if (sleeper?.exitCode === null) sleeper.kill('SIGKILL');
    await killAgent();
    mnt?.cleanup();
    await s?.close();
  });

  function startAgent(): void {
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
  }
  async function killAgent(): Promise<void> {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await gone;
    }
  }
  const outboxed = () => {
    try {
      return readdirSync(join(s.stateDir, 'events-outbox')).filter((f) => f.endsWith('.json')).length;
    } catch {
      return 0;
    }
  };
  const filePage = (sha: string) => s.server.api('GET', `/api/files/${sha}`);

  it('shows a process started from the test mount on its file page, seen executed on the device', async () => {
    const sha = uniqueCopy('/usr/bin/sleep', join(mnt.writableDir, 'observed-sleep'), `${process.pid}-obs`);
    expect((await filePage(sha)).status).toBe(404);
    sleeper = spawn(join(mnt.writableDir, 'observed-sleep'), ['60'], { stdio: 'ignore' });
    const page = await eventually(
      () => filePage(sha),
      (r) => r.status === 200 && r.body.devices.length === 1,
      20_000,
      'file page with the device',
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
    const dev = await s.device();
    expect(page.body.file).toMatchObject({ sha256: sha, deviceCount: 1, names: ['observed-sleep'] });
    expect(page.body.devices[0]).toMatchObject({
      hostname: dev.hostname,
      paths: ['/tmp/observed-sleep'],
      sources: ['executed'],
    });
    expect(page.body.paths).toEqual(['/tmp/observed-sleep']);
    sleeper.kill('SIGKILL');
  });

  it('turns executions denied in a loop by the restricted agent into one alert on the file page', async () => {
    const dropped = join(mnt.writableDir, 'dropped-true');
    const sha = uniqueCopy('/usr/bin/true', dropped, `${process.pid}-denied`);
    const restrict = await s.request('restrict_app_execution', { comment: 'e2e events' });
    const done = await s.waitAction(restrict.id, ['succeeded', 'failed'], 30_000);
    expect(done.status, `${done.error}\n${agentLog}`).toBe('succeeded');

    for (let i = 0; i < 5; i++) expect(await run(dropped)).toBe(126);
    const page = await eventually(
      () => filePage(sha),
      (r) => r.status === 200 && r.body.alerts.length > 0,
      20_000,
      'an alert on the file page',
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
    expect(page.body.alerts).toHaveLength(1);
    expect(page.body.alerts[0]).toMatchObject({
      title: 'Blocked execution of dropped-true',
      severity: 'medium',
    });
    const alert = await s.server.ok('GET', `/api/alerts/${page.body.alerts[0].alertId}`);
    expect(alert.detectionSource).toBe('quell-agent');
    const dev = await s.device();
    expect(alert.entities.map((e: { kind: string; label: string }) => e.kind).sort()).toEqual([
      'device',
      'file',
    ]);
    expect(JSON.stringify(alert.entities)).toContain(dev.hostname);
    expect(page.body.devices[0]).toMatchObject({ hostname: dev.hostname, paths: ['/tmp/dropped-true'] });

    // More denials of the same file on the same device stay in that one alert.
    for (let i = 0; i < 3; i++) expect(await run(dropped)).toBe(126);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await filePage(sha)).body.alerts).toHaveLength(1);

    const undo = await s.server.ok('POST', `/api/actions/${restrict.id}/undo`, { comment: 'e2e done' });
    const undone = await s.waitAction(undo.id, ['succeeded', 'failed'], 30_000);
    expect(undone.status, `${undone.error}\n${agentLog}`).toBe('succeeded');
  });

  it('keeps a denial made while the server is down across an agent restart, and raises its alert when the server is back', async () => {
    const dropped = join(mnt.writableDir, 'offline-true');
    const sha = uniqueCopy('/usr/bin/true', dropped, `${process.pid}-offline`);
    const restrict = await s.request('restrict_app_execution', { comment: 'e2e events offline' });
    const done = await s.waitAction(restrict.id, ['succeeded', 'failed'], 30_000);
    expect(done.status, `${done.error}\n${agentLog}`).toBe('succeeded');

    await s.server.stop();
    expect(await run(dropped)).toBe(126);
    // The denial waits on disk for the server's acknowledgement.
    await eventually(outboxed, (n) => n >= 1, 10_000, 'the denial in the events outbox');
    await killAgent();
    startAgent();
    await s.server.start();
    await s.waitOnline(20_000).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
    const page = await eventually(
      () => filePage(sha),
      (r) => r.status === 200 && r.body.alerts.length > 0,
      20_000,
      'the offline denial as an alert',
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
    expect(page.body.alerts[0]).toMatchObject({ title: 'Blocked execution of offline-true' });
    await eventually(outboxed, (n) => n === 0, 10_000, 'an empty events outbox once acknowledged');

    const undo = await s.server.ok('POST', `/api/actions/${restrict.id}/undo`, { comment: 'e2e done' });
    const undone = await s.waitAction(undo.id, ['succeeded', 'failed'], 30_000);
    expect(undone.status, `${undone.error}\n${agentLog}`).toBe('succeeded');
  });
});
