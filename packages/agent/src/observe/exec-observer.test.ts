import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../events/agent-events.js';
import { FsRoot } from '../quarantine/fs-root.js';
import { ExecObserver } from './exec-observer.js';
import { parsePasswd } from './passwd.js';

describe('ExecObserver (real /proc, a temp root)', () => {
  let root: string;
  let child: ChildProcess | null = null;
  let now = 1_000_000;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'quell-observe-'));
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(root, 'opt'));
  });
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  async function runFromRoot(): Promise<string> {
    const bin = join(root, 'opt', 'sleeper');
    copyFileSync('/bin/sleep', bin);
    chmodSync(bin, 0o755);
    child = spawn(bin, ['30'], { stdio: 'ignore' });
    await new Promise((r) => child!.once('spawn', r));
    return createHash('sha256').update(readFileSync(bin)).digest('hex');
  }

  it('reports a process started from under the root once per window, with its hash, device path and user', async () => {
    const me = userInfo();
    writeFileSync(
      join(root, 'etc/passwd'),
      `daemon:x:1:1::/:/bin/sh\ntester:x:${me.uid}:${me.gid}::/h:/bin/sh\n`,
    );
    const sha = await runFromRoot();
    const seen: AgentEvent[] = [];
    const o = new ExecObserver({
      sink: { emit: (e) => seen.push(e) },
      root: await FsRoot.open(root),
      now: () => now,
      reportEveryMs: 60_000,
    });
    await o.pass();
    // Only the image under the root: the test runner's own node and everything else are outside.
    expect(seen).toEqual([
      {
        kind: 'file_observed',
        source: 'exec',
        path: '/opt/sleeper',
        sha256: sha,
        sha1: null,
        md5: null,
        size: readFileSync(join(root, 'opt/sleeper')).length,
        user: 'tester',
        at: now,
      },
    ]);
    await o.pass();
    expect(seen).toHaveLength(1);
    now += 60_000;
    await o.pass();
    expect(seen).toHaveLength(2);
  });

  it('parses passwd, skipping malformed lines', () => {
    expect([...parsePasswd('root:x:0:0::/:/bin/sh\nbad\nbob:x:1000:1000::/h:/bin/sh\n#x:y:z\n')]).toEqual([
      [0, 'root'],
      [1000, 'bob'],
    ]);
  });
});
