import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, IncidentSummary } from './types.js';
import { ADMIN, json, startTestServer, type TestServer } from './harness.js';

describe('quell login, logout and connection settings', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('stores the server and a token in a file only its owner can read, and later commands use it', async () => {
    const config = join(t.dir, 'login-1.json');
    const login = await t.runBare(
      ['login', '--url', t.url, '--email', ADMIN.email, '--password', ADMIN.password],
      {
        env: { QUELL_CONFIG: config },
      },
    );
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`logged in to ${t.url} as ${ADMIN.email} (admin)`);
    const stored = JSON.parse(readFileSync(config, 'utf8')) as { url: string; token: string };
    expect(stored.url).toBe(t.url);
    expect(stored.token.length).toBeGreaterThan(20);
    expect(statSync(config).mode & 0o777).toBe(0o600);

    const list = await t.runBare(['incidents', 'list', '--json'], { env: { QUELL_CONFIG: config } });
    expect(json<Page<IncidentSummary>>(list).items).toEqual([]);
  });

  it('keeps the login under XDG_CONFIG_HOME when QUELL_CONFIG is not set', async () => {
    const xdg = join(t.dir, 'xdg');
    const login = await t.runBare(
      ['login', '--url', t.url, '--email', ADMIN.email, '--password', ADMIN.password],
      {
        env: { XDG_CONFIG_HOME: xdg },
      },
    );
    expect(login.code).toBe(0);
    expect(existsSync(join(xdg, 'quell', 'cli.json'))).toBe(true);
  });

  it('refuses a wrong password with the API’s message and code', async () => {
    const r = await t.runBare(
      ['login', '--url', t.url, '--email', ADMIN.email, '--password', 'not-the-password'],
      {
        env: { QUELL_CONFIG: join(t.dir, 'login-bad.json') },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .+ \(QUELL_E_UNAUTHENTICATED\)\n$/);
    expect(existsSync(join(t.dir, 'login-bad.json'))).toBe(false);
  });

  it('tells how to log in when there is no login', async () => {
    const r = await t.runBare(['incidents', 'list'], { env: { QUELL_CONFIG: join(t.dir, 'nowhere.json') } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('run `quell login` or set QUELL_URL and QUELL_TOKEN');
  });

  it('lets QUELL_URL and QUELL_TOKEN win over the stored login', async () => {
    const config = join(t.dir, 'login-stale.json');
    const r = await t.runBare(['incidents', 'list', '--json'], {
      env: { QUELL_CONFIG: config, QUELL_URL: t.url, QUELL_TOKEN: t.adminToken },
    });
    expect(r.code).toBe(0);
    const bad = await t.runBare(['incidents', 'list'], {
      env: { QUELL_URL: t.url, QUELL_TOKEN: 'qs_not-a-real-token' },
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('(QUELL_E_UNAUTHENTICATED)');
  });

  it('logout ends the session on the server and forgets the stored login', async () => {
    const config = join(t.dir, 'login-2.json');
    await t.runBare(['login', '--url', t.url, '--email', ADMIN.email, '--password', ADMIN.password], {
      env: { QUELL_CONFIG: config },
    });
    const { token } = JSON.parse(readFileSync(config, 'utf8')) as { token: string };
    const out = await t.runBare(['logout'], { env: { QUELL_CONFIG: config } });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`logged out of ${t.url}`);
    expect(existsSync(config)).toBe(false);
    const reuse = await t.runBare(['incidents', 'list'], { env: { QUELL_URL: t.url, QUELL_TOKEN: token } });
    expect(reuse.code).toBe(1);
    expect(reuse.stderr).toContain('(QUELL_E_UNAUTHENTICATED)');
  });

  it('says the server cannot be reached instead of printing a stack trace', async () => {
    const r = await t.runBare(['incidents', 'list'], {
      env: { QUELL_URL: 'http://127.0.0.1:1', QUELL_TOKEN: 'x' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: cannot reach the Quell server at http:\/\/127\.0\.0\.1:1 .*\(QUELL_E_UNREACHABLE\)\n$/,
    );
  });

  it.each([
    [['incidents', 'list', '--bogus'], "unknown option '--bogus'"],
    [
      ['incidents', 'list', '--status', 'sleeping'],
      'Allowed choices are active, in_progress, resolved, redirected',
    ],
    [['incidents', 'list', '--limit', 'lots'], 'must be a whole number from 1 to 500'],
    [['incidents', 'frobnicate'], "unknown command 'frobnicate'"],
    [['actions', 'reject', 'action_x'], "required option '--comment <text>' not specified"],
  ])('treats %j as a usage error: exit 2 with commander’s message', async (args, message) => {
    const r = await t.run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('prints its version and help', async () => {
    const v = await t.runBare(['--version']);
    expect([v.code, v.stdout.trim()]).toEqual([0, '0.1.0']);
    const h = await t.runBare(['help', 'incidents']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('assign');
  });
});
