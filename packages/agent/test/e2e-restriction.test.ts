import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from './support/requirements.js';
import { AGENT_BIN, createStack, e2eMissing, type Stack } from './support/e2e-stack.js';
import { createTestMount, type TestMount } from './support/test-mount.js';

/**
 * "Restrict app execution" end to end: the action requested through the API, carried out by the
 * real agent with its fanotify helper on a test mount, verified, and undone.
 *
 * The agent runs in the `dev` network namespace but in the test's own mount namespace
 * (`nsenter --net`, not `ip netns exec`, which would give it a private copy of the mounts): a
 * fanotify mount mark covers one mount object, and the test's executions must go through the one
 * the agent marked.
 */
const missing = e2eMissing([cmd('gcc', 'gcc'), cmd('make', 'make'), cmd('nsenter', 'util-linux')]);
const NATIVE = fileURLToPath(new URL('../native', import.meta.url));

/** Runs a file as a user's shell would (through env, from a process that is not the agent). */
function run(path: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/env', [path], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(missing.length)('e2e: restrict app execution with a real agent', () => {
  let s: Stack;
  let mnt: TestMount;
  let agent: ChildProcess | null = null;
  let agentLog = '';
  let dropped: string;
  let packaged: string;

  beforeAll(async () => {
    execFileSync('make', ['-s', '-C', NATIVE], { stdio: 'inherit' });
    s = await createStack();
    mnt = createTestMount();
    dropped = join(mnt.writableDir, 'dropped-true');
    copyFileSync('/usr/bin/true', dropped);
    const script = join(mnt.writableDir, 'dropped.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o755);
    packaged = join(mnt.packageBinDir, 'true');
    await s.agent.stop();
    s.agent.patchConfig({
      fsRoot: mnt.root,
      execControl: { enabled: true, helperPath: join(NATIVE, 'build/quell-execd'), marks: mnt.marks },
    });
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
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    agent.stdout?.on('data', (d: Buffer) => (agentLog += d.toString()));
    agent.stderr?.on('data', (d: Buffer) => (agentLog += d.toString()));
    await s.waitOnline(20_000).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${agentLog}`);
    });
  });
  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await gone;
    }
    mnt?.cleanup();
    await s?.close();
  });

  it('denies a dropped executable while restricted, runs package-owned ones, and both after the undo', async () => {
    expect((await run(dropped)).code).toBe(0);

    const restrict = await s.request('restrict_app_execution', { comment: 'e2e' });
    const done = await s.waitAction(restrict.id, ['succeeded', 'failed'], 30_000);
    expect(done.status, `${done.error}\n${agentLog}`).toBe('succeeded');
    expect(done.result).toMatchObject({ verified: true });
    const dev = await s.device();
    expect(dev.restriction.state).toBe('on');

    const denied = await run(dropped);
    expect(denied.code).toBe(126);
    expect(denied.stderr).toMatch(/Operation not permitted/);
    expect((await run(join(mnt.writableDir, 'dropped.sh'))).code).toBe(126);
    expect(await run(packaged)).toEqual({ code: 0, stderr: '' });

    const undo = await s.server.ok('POST', `/api/actions/${restrict.id}/undo`, { comment: 'e2e done' });
    expect(undo.type).toBe('remove_app_restriction');
    const undone = await s.waitAction(undo.id, ['succeeded', 'failed'], 30_000);
    expect(undone.status, `${undone.error}\n${agentLog}`).toBe('succeeded');
    expect((await s.device()).restriction.state).toBe('off');
    expect((await run(dropped)).code).toBe(0);
    expect((await run(packaged)).code).toBe(0);
  });
});
