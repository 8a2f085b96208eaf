import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cmd, requirements, ROOT } from './support/requirements.js';
import { createTestMount, type TestMount } from './support/test-mount.js';

// The native helper on its own, speaking its line protocol: what happens to an exec when the
// agent answers, when it does not, and when it goes away.
const NATIVE = fileURLToPath(new URL('../native', import.meta.url));
const HELPER = join(NATIVE, 'build', 'quell-execd');
const missing = requirements([ROOT, cmd('gcc', 'gcc'), cmd('make', 'make'), cmd('findmnt', 'util-linux')]);

interface Run {
  code: number | null;
  stderr: string;
  ms: number;
}

/** Runs `path` as a grandchild (via env), so the helper asks about it; never blocks this loop. */
function run(path: string, timeoutMs = 20_000): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/env', [path], { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}

/** A running helper with its stdout split into lines. */
function startHelper(marks: string[], timeoutMs: number) {
  const child = spawn(HELPER, [
    '--timeout-ms',
    String(timeoutMs),
    ...marks,
  ]) as ChildProcessWithoutNullStreams;
  const lines: string[] = [];
  let stderr = '';
  const waiters: (() => void)[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const nextLine = async (): Promise<string> => {
    while (!lines.length) await new Promise<void>((r) => waiters.push(r));
    return lines.shift()!;
  };
  return { child, nextLine, exited, stderr: () => stderr };
}

describe.skipIf(missing.length)('quell-execd (fanotify helper)', () => {
  let mnt: TestMount;
  let dropped: string;
  const helpers: ChildProcessWithoutNullStreams[] = [];

  beforeAll(() => {
    execFileSync('make', ['-s', '-C', NATIVE], { stdio: 'inherit' });
    mnt = createTestMount();
    dropped = join(mnt.writableDir, 'dropped');
    copyFileSync('/usr/bin/true', dropped);
  });
  afterEach(() => {
    for (const h of helpers.splice(0)) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
  });
  afterAll(() => mnt?.cleanup());

  async function ready(timeoutMs: number) {
    const h = startHelper(mnt.marks, timeoutMs);
    helpers.push(h.child);
    expect(await h.nextLine()).toBe('ready');
    return h;
  }

  it('reports each exec with its file identity and blocks it until the agent answers deny', async () => {
    const h = await ready(30_000);
    const pending = run(dropped);
    const [id, pid, fd, , , size, , , path] = (await h.nextLine()).split('\t');
    expect(path).toBe(dropped);
    expect(Number(pid)).toBeGreaterThan(1);
    expect(Number(size)).toBeGreaterThan(0);
    // The agent hashes the exact inode through the helper's fd.
    expect(execFileSync('cmp', [`/proc/${h.child.pid}/fd/${fd}`, '/usr/bin/true']).length).toBe(0);
    h.child.stdin.write(`${id}\tdeny\n`);
    const r = await pending;
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/Operation not permitted/);
  });

  it('allows an exec nobody answers once the deadline passes, and says so on stderr', async () => {
    const h = await ready(600);
    const r = await run(dropped);
    expect(await h.nextLine()).toMatch(/\tdropped$|\/dropped$/);
    expect(r.code).toBe(0);
    expect(r.ms).toBeGreaterThanOrEqual(500);
    expect(h.stderr()).toMatch(/timeout: no answer for event \d+, allowed/);
  });

  it('exits when the agent goes away, and the kernel then lets the waiting exec run', async () => {
    // A 60 s deadline: if the exec completes quickly, it was the kernel releasing it, not the deadline.
    const h = await ready(60_000);
    const pending = run(dropped);
    await h.nextLine();
    h.child.stdin.end();
    expect(await h.exited).toBe(0);
    const r = await pending;
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(5_000);
  });

  it("lets the agent's own children start without asking (the agent's loop is blocked in spawn meanwhile)", async () => {
    const h = await ready(60_000);
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => spawn(dropped).on('close', resolve));
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    h.child.stdin.end();
    await h.exited;
  });

  it('refuses to start, saying why, when a mark cannot be placed', async () => {
    const h = startHelper([join(mnt.root, 'does-not-exist')], 1000);
    helpers.push(h.child);
    expect(await h.exited).toBe(1);
    expect(h.stderr()).toMatch(/fanotify_mark .*does-not-exist: No such file or directory/);
  });
});
