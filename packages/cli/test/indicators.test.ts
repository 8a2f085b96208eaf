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
  });
});
