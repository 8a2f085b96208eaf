import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer } from './harness.js';
import type { ApiToken, ApiTokenCreated, AuditEntry, DeviceGroup, Settings, User } from './types.js';

describe('quell device-groups, devices, users, tokens, settings and audit', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('creates a device group, previews which group a device falls into, updates and deletes it', async () => {
    const g = json<DeviceGroup>(
      await t.run([
        'device-groups',
        'create',
        '--name',
        'Web',
        '--rank',
        '5',
        '--name-pattern',
        'web*',
        '--tag',
        'dmz',
        '--automation',
        'full',
        '--json',
      ]),
    );
    expect(g).toMatchObject({
      name: 'Web',
      rank: 5,
      rule: { namePattern: 'web*', tags: ['dmz'] },
      automationLevel: 'full',
    });

    const inGroup = json<DeviceGroup>(
      await t.run(['device-groups', 'preview', '--hostname', 'web01', '--tag', 'dmz', '--json']),
    );
    expect(inGroup.id).toBe(g.id);
    const outside = await t.run(['device-groups', 'preview', '--hostname', 'db01']);
    expect(outside.stdout).toContain('Ungrouped devices');

    const updated = json<DeviceGroup>(
      await t.run(['device-groups', 'update', g.id, '--automation', 'none', '--json']),
    );
    expect(updated.automationLevel).toBe('none');
    const list = await t.run(['device-groups', 'list']);
    expect(list.stdout).toMatch(/Web +│ name web\*, tags dmz +│ none/);

    expect((await t.run(['device-groups', 'delete', g.id])).stdout).toContain(`device group ${g.id} deleted`);
    const items = json<{ items: DeviceGroup[] }>(await t.run(['device-groups', 'list', '--json'])).items;
    expect(items.map((x) => x.id)).toEqual(['ungrouped']);

    const missingField = await t.run(['device-groups', 'create', '--name', 'NoRank', '--automation', 'full']);
    expect(missingField.code).toBe(2);
    expect(missingField.stderr).toContain("required option '--rank <n>' not specified");
  });

  it('lists the devices seen in alerts with their group', async () => {
    await t.run(['alerts', 'ingest', '-'], {
      input: JSON.stringify({
        title: 'Seen device',
        severity: 'low',
        category: 'Discovery',
        detectionSource: 'cli-test',
        firstActivityAt: '2026-06-01T08:00:00Z',
        entities: [{ kind: 'device', hostname: 'seen01.example', os: 'Debian 12' }],
      }),
    });
    const r = await t.run(['devices', 'list']);
    expect(r.stdout).toMatch(/seen01\.example +│ Debian 12/);
  });

  it('creates users, changes their role and disables them', async () => {
    const u = json<User>(
      await t.run([
        'users',
        'create',
        '--email',
        'ana@example.com',
        '--role',
        'analyst',
        '--password',
        'long-enough-password',
        '--name',
        'Ana',
        '--json',
      ]),
    );
    expect(u).toMatchObject({ email: 'ana@example.com', role: 'analyst', disabled: false });
    const changed = json<User>(
      await t.run(['users', 'update', u.id, '--role', 'responder', '--disable', '--json']),
    );
    expect(changed).toMatchObject({ role: 'responder', disabled: true });
    const login = await t.runBare(
      ['login', '--url', t.url, '--email', 'ana@example.com', '--password', 'long-enough-password'],
      {
        env: { QUELL_CONFIG: `${t.dir}/ana.json` },
      },
    );
    expect(login.code).toBe(1);
    expect((await t.run(['users', 'list'])).stdout).toMatch(
      /ana@example\.com +│ Ana +│ responder +│ all groups +│ disabled/,
    );

    const short = await t.run([
      'users',
      'create',
      '--email',
      'bo@example.com',
      '--role',
      'viewer',
      '--password',
      'short',
    ]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password');
    expect(short.stderr).toContain('(QUELL_E_INPUT)');
  });

  it('creates an API token whose secret is printed once and works until it is revoked', async () => {
    const created = await t.run([
      'tokens',
      'create',
      '--name',
      'siem',
      '--role',
      'analyst',
      '--expires-days',
      '30',
    ]);
    expect(created.code).toBe(0);
    const secret = created.stdout.split('\n')[1]!;
    expect(secret).toMatch(/^qt_/);
    expect(created.stderr).toContain('shown only once');

    const asToken = await t.runBare(['incidents', 'list', '--json'], {
      env: { QUELL_URL: t.url, QUELL_TOKEN: secret },
    });
    expect(asToken.code).toBe(0);
    const tokens = json<{ items: ApiToken[] }>(await t.run(['tokens', 'list', '--json'])).items;
    const siem = tokens.find((x) => x.name === 'siem')!;
    expect(JSON.stringify(tokens)).not.toContain(secret);

    expect((await t.run(['tokens', 'revoke', siem.id])).code).toBe(0);
    const revoked = await t.runBare(['incidents', 'list'], {
      env: { QUELL_URL: t.url, QUELL_TOKEN: secret },
    });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('(QUELL_E_UNAUTHENTICATED)');

    const viewer = json<ApiTokenCreated>(
      await t.run(['tokens', 'create', '--name', 'ro', '--role', 'viewer', '--json']),
    );
    const denied = await t.runBare(['users', 'list'], {
      env: { QUELL_URL: t.url, QUELL_TOKEN: viewer.secret },
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('(QUELL_E_NOT_ALLOWED)');
  });

  it('shows and changes settings', async () => {
    const set = json<Settings>(
      await t.run([
        'settings',
        'set',
        '--approval-timeout-hours',
        '48',
        '--two-person-rule',
        'off',
        '--json',
      ]),
    );
    expect(set).toMatchObject({ approvalTimeoutHours: 48, twoPersonRule: false });
    const shown = await t.run(['settings', 'show']);
    expect(shown.stdout).toMatch(/approval timeout +│ 48 h/);
    const bad = await t.run(['settings', 'set', '--two-person-rule', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be on or off');
    const nothing = await t.run(['settings', 'set']);
    expect([nothing.code, nothing.stderr]).toEqual([
      1,
      'error: nothing to change: give at least one option (see --help) (QUELL_E_INPUT)\n',
    ]);
  });

  it('lists the audit log and reports it intact', async () => {
    const entries = json<{ items: AuditEntry[] }>(
      await t.run(['audit', 'list', '--limit', '5', '--json']),
    ).items;
    expect(entries).toHaveLength(5);
    expect(entries[0]!.seq).toBeGreaterThan(entries[4]!.seq);
    const v = await t.run(['audit', 'verify']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^audit log intact \(\d+ entries checked\)\n$/);
  });

  // Last: it leaves the chain broken.
  it('exits 1 naming the first bad sequence number when the audit log was tampered with', async () => {
    await t.server.services.ctx.store.db
      .updateTable('audit_log')
      .set({ actor: 'mallory' })
      .where('seq', '=', 3)
      .execute();
    const v = await t.run(['audit', 'verify']);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^error: audit log broken at sequence 3\b.*\(QUELL_E_AUDIT_BROKEN\)\n$/);
  });
});
