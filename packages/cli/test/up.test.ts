import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, buildCli, cleanEnv, json, runCli } from './harness.js';
import type { IncidentSummary, Page } from './types.js';

interface Up {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `quell up` and waits until it says where it listens. */
async function up(args: string[], env: NodeJS.ProcessEnv): Promise<Up & { url: string }> {
  const child = spawn(process.execPath, [BIN, 'up', ...args], { cwd: ROOT, env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const started = Date.now();
  while (!/Press Ctrl-C to stop/.test(out)) {
    if (child.exitCode !== null || Date.now() - started > 30_000)
      throw new Error(`quell up did not start:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /Quell is running: (http:\/\/\S+)/.exec(out)![1]!;
  return { child, url, stdout: () => out, exited };
}

describe('quell up and quell demo', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    await buildCli();
    dir = mkdtempSync(join(tmpdir(), 'quell-up-'));
    mkdirSync(join(dir, 'home'));
    env = { ...cleanEnv(join(dir, 'home')), QUELL_LOG_LEVEL: 'silent', QUELL_CONFIG: join(dir, 'cli.json') };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a server, prints generated admin credentials on first start only, and stops cleanly on SIGTERM', async () => {
    const first = await up(['--data-dir', join(dir, 'data'), '--port', '0'], env);
    const email = /email: +(\S+)/.exec(first.stdout())?.[1];
    const password = /password: +(\S+)/.exec(first.stdout())?.[1];
    expect(email).toBeTruthy();
    expect(password!.length).toBeGreaterThanOrEqual(12);
    expect(first.stdout()).toContain('shown only once');

    const login = await runCli(
      ['login', '--url', first.url, '--email', email!, '--password', password!],
      env,
    );
    expect(login.code).toBe(0);

    // `quell demo` fills the instance through the API, with the server's demo story.
    const demo = await runCli(['demo'], env);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(
      /^demo: \d+ alerts in \d+ incidents, \d+ actions requested, device group "Finance servers" created\n/,
    );
    const listed = json<Page<IncidentSummary>>(await runCli(['incidents', 'list', '--json'], env));
    expect(listed.items.length).toBeGreaterThan(1);
    const again = await runCli(['demo'], env);
    expect(again.stdout).toContain('demo data is already there');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.stdout()).toContain('Quell stopped.');

    const second = await up(['--data-dir', join(dir, 'data'), '--port', '0'], env);
    expect(second.stdout()).not.toContain('password');
    // The stored login was issued by the first server (another port): its token is not sent here.
    const elsewhere = await runCli(['incidents', 'list'], env, { env: { QUELL_URL: second.url } });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`not logged in to ${second.url}`);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('reports every bad setting at once and exits 1', async () => {
    const r = await runCli(['up', '--data-dir', join(dir, 'bad')], {
      ...env,
      QUELL_DATABASE_URL: 'mysql://nope',
      QUELL_SESSION_HOURS: 'forever',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('QUELL_DATABASE_URL must be a postgres:// URL');
    expect(r.stderr).toContain('QUELL_SESSION_HOURS="forever"');
    expect(r.stderr).toMatch(/\(QUELL_E_CONFIG\)\n$/);
  });

  it('rejects a port that is not a number as a usage error', async () => {
    const r = await runCli(['up', '--port', 'eighty'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must be a whole number from 0 to 65535');
  });
});
