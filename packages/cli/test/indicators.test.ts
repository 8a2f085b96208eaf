import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Indicator, IndicatorActionResult, IndicatorImportResult } from '@quell/contracts';
import { json, startTestServer, type TestServer } from './harness.js';
import type { Page } from './types.js';

const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('quell indicators', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('adds an indicator, shows and lists it, and removes it', async () => {
    const added = await t.run([
      'indicators',
      'add',
      'domain',
      'Evil.Example',
      '--action',
      'block',
      '--comment',
      'C2',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /^indicator (ioc_\S+) added: domain evil\.example → block \(all devices\)\n$/,
    );
    const id = /^indicator (ioc_\S+)/.exec(added.stdout)![1]!;

    const shown = await t.run(['indicators', 'show', id]);
    expect(shown.stdout).toMatch(/value\s+│?\s*evil\.example/);
    const listed = json<Page<Indicator>>(await t.run(['indicators', 'list', '--type', 'domain', '--json']));
    expect(listed.items.map((i) => i.id)).toEqual([id]);

    const dup = await t.run(['indicators', 'add', 'domain', 'evil.example']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(new RegExp(`exists already: ${id}.*upsert.*\\(QUELL_E_CONFLICT\\)`));

    const removed = json<IndicatorActionResult>(
      await t.run(['indicators', 'remove', id, '--comment', 'fp', '--json']),
    );
    expect(removed).toMatchObject({
      outcome: 'applied',
      action: { type: 'remove_indicator', status: 'succeeded' },
    });
    const gone = await t.run(['indicators', 'show', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No indicator .*quell indicators list.*\(QUELL_E_NOT_FOUND\)/);
  });

  it('edits an indicator, moves it to device groups and back to all devices, and refuses empty or unknown edits', async () => {
    const g = await fetch(`${t.url}/api/device-groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Servers',
        rank: 1,
        rule: { namePattern: 'srv*' },
        automationLevel: 'full',
      }),
    });
    expect(g.status).toBe(201);
    const group = ((await g.json()) as { id: string }).id;
    const added = json<IndicatorActionResult>(
      await t.run([
        'indicators',
        'add',
        'domain',
        'edit.example',
        '--expires',
        '2031-01-01T00:00:00Z',
        '--json',
      ]),
    );
    const id = added.indicator!.id;

    const edited = await t.run([
      'indicators',
      'edit',
      id,
      '--title',
      'Watched',
      '--severity',
      'high',
      '--action',
      'audit',
      '--no-expiry',
      '--no-alert',
    ]);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(new RegExp(`^indicator ${id} updated\n`));
    const now = json<Indicator>(await t.run(['indicators', 'show', id, '--json']));
    expect(now).toMatchObject({
      title: 'Watched',
      severity: 'high',
      action: 'audit',
      expiresAt: null,
      generateAlert: false,
      deviceGroupIds: [],
    });

    const moved = await t.run(['indicators', 'edit', id, '--groups', group]);
    expect(moved.code, moved.stderr).toBe(0);
    const newId = new RegExp(
      `^indicator ${id} now applies to ${group} as (ioc_\\S+) \\(the old id is retired\\)`,
    ).exec(moved.stdout)?.[1];
    expect(newId, moved.stdout).toBeDefined();
    expect(json<Indicator>(await t.run(['indicators', 'show', newId!, '--json']))).toMatchObject({
      title: 'Watched',
      deviceGroupIds: [group],
    });
    expect((await t.run(['indicators', 'show', id])).code).toBe(1);

    const back = json<Indicator>(
      await t.run(['indicators', 'edit', newId!, '--scope', 'all', '--alert', '--json']),
    );
    expect(back).toMatchObject({ deviceGroupIds: [], generateAlert: true, title: 'Watched' });

    const nothing = await t.run(['indicators', 'edit', back.id]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/nothing to change; give at least one of --title/);
    const both = await t.run(['indicators', 'edit', back.id, '--scope', 'all', '--groups', group]);
    expect(both.stderr).toMatch(/--scope all or --groups <ids>, not both/);
    const unknown = await t.run(['indicators', 'edit', back.id, '--groups', 'grp_nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No device group grp_nope.*quell groups list.*\(QUELL_E_NOT_FOUND\)/);
  });

  it('says what is wrong with a value, and nothing is added', async () => {
    const bad = await t.run(['indicators', 'add', 'sha256', 'abc123']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a valid sha256 indicator.*\(QUELL_E_INPUT\)/);
    const unknownType = await t.run(['indicators', 'add', 'ip', '10.0.0.1']);
    expect(unknownType.code).toBe(1);
    expect(unknownType.stderr).toMatch(/unknown indicator type "ip"; use one of sha256, sha1, md5, ipv4/);
  });

  it('imports a CSV file (dry run first), reports bad rows by line, and exports CSV and STIX', async () => {
    const file = join(t.dir, 'iocs.csv');
    writeFileSync(
      file,
      `type,value,action,title\nsha256,${SHA},block,Dropper\nipv4,198.51.100.0/24,audit,Scanner\nmd5,nothex,block,Bad\n`,
    );
    const dry = json<IndicatorImportResult>(
      await t.run(['indicators', 'import', file, '--dry-run', '--json']),
    );
    expect(dry).toMatchObject({ dryRun: true, imported: 2, rejected: [{ row: 4, value: 'nothex' }] });
    const real = await t.run(['indicators', 'import', file]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^imported 2 new, 0 updated, 0 withdrawn, 1 rejected\n {2}line 4 nothex: /);

    const out = join(t.dir, 'export.csv');
    const exported = await t.run(['indicators', 'export', '--type', 'sha256', '-o', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain(`sha256,${SHA},block,Dropper`);
    const stix = await t.run(['indicators', 'export', '--format', 'stix']);
    const bundle = JSON.parse(stix.stdout) as { type: string; objects: Array<{ pattern: string }> };
    expect(bundle.type).toBe('bundle');
    expect(bundle.objects.map((o) => o.pattern)).toContain("[ipv4-addr:value = '198.51.100.0/24']");

    const stixFile = join(t.dir, 'bundle.json');
    writeFileSync(stixFile, stix.stdout);
    const back = json<IndicatorImportResult>(
      await t.run(['indicators', 'import', stixFile, '--dry-run', '--json']),
    );
    expect(back).toMatchObject({ imported: 0, rejected: [] });
    const noFormat = await t.run(['indicators', 'import', join(t.dir, 'iocs.txt')]);
    expect(noFormat.stderr).toMatch(/cannot tell the format .* add --format csv or --format stix/);
  });

  it('adds a TAXII feed and explains a pull whose secret variable is not set', async () => {
    const added = await t.run([
      'indicators',
      'feeds',
      'add',
      'partner',
      '--api-root',
      'http://127.0.0.1:9/taxii/api1/',
      '--collection',
      'iocs',
      '--auth',
      'bearer',
      '--secret-env',
      'QUELL_CLI_TEST_TAXII_TOKEN',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const id = /TAXII feed (feed_\S+)/.exec(added.stdout)![1]!;
    const pulled = await t.run(['indicators', 'feeds', 'pull', id]);
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toMatch(/QUELL_CLI_TEST_TAXII_TOKEN, which is not set on the server/);
    const listed = await t.run(['indicators', 'feeds', 'list']);
    expect(listed.stdout).toContain('partner');
    expect(listed.stdout).toContain('bearer ($QUELL_CLI_TEST_TAXII_TOKEN)');

    const edited = await t.run([
      'indicators',
      'feeds',
      'edit',
      id,
      '--every',
      '30',
      '--disable',
      '--name',
      'partner-2',
    ]);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/TAXII feed \S+ \(partner-2\) changed/);
    expect(edited.stdout).toMatch(/30 min\s*│\s*no/);
    const noop = await t.run(['indicators', 'feeds', 'edit', id]);
    expect(noop.code).toBe(1);
    expect(noop.stderr).toMatch(/nothing to change/);
  });
});
