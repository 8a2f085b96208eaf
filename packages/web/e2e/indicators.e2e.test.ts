import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Indicator, TaxiiFeed } from '@quell/contracts';
import { startTaxiiServer, type TaxiiTestServer } from '../../server/test/support/taxii-server.js';
import { ConsoleHarness, HAVE_CHROMIUM } from './support/console-harness.js';

// The indicators page end to end: create one, import a CSV with a bad row (the good rows land and
// the bad one is reported with its line), filter, remove; edit one in place and change its scope
// (one PATCH, no add/remove actions);
// TAXII feeds against a real TAXII 2.1 server: add, pull now (and a failing pull), remove.

const SHA = 'ab'.repeat(32);
const CSV = [
  'type,value,action,title,severity',
  'domain,evil.e2e.example,block,C2 domain,high',
  'ipv4,203.0.113.0/24,audit,Scanner range,low',
  'ipv4,not-an-address,block,Broken,medium',
].join('\n');
const TAXII_USER = 'e2e-reader';
const TAXII_PASSWORD = 'e2e-taxii-password';
const SECRET_ENV = 'QUELL_E2E_TAXII_PASSWORD';
const FEED_DOMAIN = 'taxii-c2.e2e.example';

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('indicators in the console', () => {
  const h = new ConsoleHarness('indicators');
  let taxii: TaxiiTestServer;
  let financeId: string;

  const row = (p: import('playwright-core').Page, value: string) =>
    p.locator(`[data-testid="indicator-row"][data-value="${value}"]`);

  beforeAll(async () => {
    // The feed names this variable; the server reads the password from its environment.
    process.env[SECRET_ENV] = TAXII_PASSWORD;
    await h.start();
    financeId = (
      await h.api('POST', '/api/device-groups', {
        name: 'Finance',
        rank: 10,
        rule: { namePattern: 'fin-*' },
        automationLevel: 'semi_all_folders',
      })
    ).id;
    taxii = await startTaxiiServer({
      username: TAXII_USER,
      password: TAXII_PASSWORD,
      pageSize: 50,
      collections: [
        {
          id: 'e2e-collection',
          title: 'e2e',
          paging: 'next',
          objects: [
            {
              dateAdded: '2030-05-01T00:00:00.000Z',
              object: {
                type: 'indicator',
                spec_version: '2.1',
                id: 'indicator--00000000-0000-4000-8000-0000000000e2',
                created: '2030-01-01T00:00:00.000Z',
                modified: '2030-01-01T00:00:00.000Z',
                name: 'Feed C2',
                pattern: `[domain-name:value = '${FEED_DOMAIN}']`,
                pattern_type: 'stix',
                valid_from: '2030-01-01T00:00:00.000Z',
              },
            },
          ],
        },
      ],
    });
  });
  afterEach(async (ctx) => h.endTest(ctx.task.name));
  afterAll(async () => {
    await taxii?.close();
    await h.stop();
  });

  it('creates an indicator, imports a CSV reporting its bad row, filters and removes', async () => {
    const p = await h.loggedIn();
    await p.getByTestId('nav-indicators').click();
    await p.getByTestId('indicators-empty').waitFor();

    await p.getByTestId('indicator-add').click();
    await p.getByTestId('indicator-value').fill(SHA.toUpperCase());
    await p.getByTestId('indicator-title').fill('e2e dropper');
    await p.getByTestId('indicator-create-confirm').click();
    await p.getByTestId('indicator-create-confirm').waitFor({ state: 'hidden' });
    // The server keeps the canonical (lower-case) form.
    await row(p, SHA).and(p.locator('[data-action="block"]')).waitFor();

    await p.getByTestId('indicators-import').click();
    await p
      .locator('input[type="file"]')
      .setInputFiles({ name: 'iocs.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await p.getByTestId('indicator-import-confirm').click();
    await p.getByTestId('indicator-import-result').waitFor();
    expect(await p.getByTestId('indicator-import-counts').innerText()).toMatch(/^2 new,.* 1 rejected$/);
    const rejections = p.getByTestId('indicator-import-rejection');
    expect(await rejections.count()).toBe(1);
    expect(await rejections.innerText()).toMatch(/^Line 4 \(not-an-address\): /);
    await p.keyboard.press('Escape');

    await row(p, 'evil.e2e.example').waitFor();
    await row(p, '203.0.113.0/24').and(p.locator('[data-action="audit"]')).waitFor();
    expect(await p.getByTestId('indicator-row').count()).toBe(3);

    await p.getByTestId('indicators-q').fill('evil');
    await p.waitForURL(/q=evil/);
    await row(p, SHA).waitFor({ state: 'detached' });
    // The filtered list may still be loading once the old rows are gone.
    await row(p, 'evil.e2e.example').waitFor();
    expect(await p.getByTestId('indicator-row').count()).toBe(1);

    await row(p, 'evil.e2e.example').getByTestId('indicator-remove').click();
    await p.getByTestId('indicator-remove-confirm').click();
    await p.getByTestId('indicators-empty').waitFor();
  });

  it('edits an indicator in place, then changes its scope to a device group', async () => {
    const value = 'edit-me.e2e.example';
    await h.api('POST', '/api/indicators', { type: 'domain', value, action: 'block', title: 'To edit' });
    const p = await h.loggedIn();
    await p.goto(`${h.server.url}/indicators?q=edit-me`);
    const r = row(p, value);
    await r.and(p.locator('[data-action="block"]')).waitFor();

    await r.getByTestId('indicator-edit').click();
    await p.getByTestId('indicator-edit-action').click();
    await p.getByRole('option', { name: 'Audit' }).click();
    await p.getByTestId('indicator-edit-severity').click();
    await p.getByRole('option', { name: 'High' }).click();
    await p.getByTestId('indicator-edit-title').fill('');
    await p.getByTestId('indicator-edit-confirm').click();
    // A blank title is refused before anything is sent, saying what to do.
    expect(await p.getByTestId('indicator-edit-error').innerText()).toMatch(/title is needed/);
    await p.getByTestId('indicator-edit-title').fill('Watched C2');
    await p.getByTestId('indicator-edit-description').fill('e2e: downgraded to audit while we look');
    await p.getByTestId('indicator-edit-expires').fill('2031-06-01T12:00');
    await p.getByTestId('indicator-edit-alert').click();
    await p.getByTestId('indicator-edit-confirm').click();
    await p.getByTestId('indicator-edit-confirm').waitFor({ state: 'hidden' });

    await r.and(p.locator('[data-action="audit"]')).waitFor();
    await r.locator('[data-testid="indicator-severity"][data-severity="high"]').waitFor();
    expect(await r.getByTestId('indicator-title-cell').innerText()).toBe('Watched C2');
    const [edited] = (await h.api('GET', `/api/indicators?q=edit-me`)).items as Indicator[];
    expect(edited).toMatchObject({
      action: 'audit',
      severity: 'high',
      title: 'Watched C2',
      description: 'e2e: downgraded to audit while we look',
      generateAlert: false,
      deviceGroupIds: [],
    });
    expect(new Date(edited!.expiresAt!).getFullYear()).toBe(2031);

    await r.getByTestId('indicator-edit').click();
    await p.getByTestId('indicator-edit-scope').click();
    await p.getByRole('option', { name: 'Finance' }).click();
    // Leaving the field closes the list of groups, which covers the buttons.
    await p.getByTestId('indicator-edit-scope').press('Tab');
    await p.getByTestId('indicator-edit-confirm').click();
    await p.getByTestId('indicator-edit-confirm').waitFor({ state: 'hidden' });
    await r.getByTestId('indicator-scope').filter({ hasText: 'Finance' }).waitFor();
    // Re-scoped by one PATCH: one indicator under a new id, the edited fields kept, no
    // add/remove actions, the move audited with both ids.
    const after = (await h.api('GET', `/api/indicators?q=edit-me`)).items as Indicator[];
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      action: 'audit',
      title: 'Watched C2',
      deviceGroupIds: [financeId],
    });
    expect(after[0]!.id).not.toBe(edited!.id);
    expect(await p.getByTestId('indicator-row').count()).toBe(1);
    const audit = (await h.api('GET', `/api/audit?subject=${edited!.id}`)).items as Array<{
      event: string;
      data: { to?: { id: string } };
    }>;
    expect(audit.find((e) => e.event === 'indicator.rescoped')?.data.to?.id).toBe(after[0]!.id);
    const removals = (await h.api('GET', `/api/actions?type=remove_indicator&entity=${value}`))
      .items as unknown[];
    expect(removals).toHaveLength(0);

    // Back to all devices by clearing the groups.
    await r.getByTestId('indicator-edit').click();
    await p.getByTestId('indicator-edit-scope').click();
    await p.getByTestId('indicator-edit-scope').press('Backspace');
    await p.getByTestId('indicator-edit-scope').press('Tab');
    await p.getByTestId('indicator-edit-confirm').click();
    await p.getByTestId('indicator-edit-confirm').waitFor({ state: 'hidden' });
    await r.getByTestId('indicator-scope').filter({ hasText: 'All devices' }).waitFor();
    const everywhere = (await h.api('GET', `/api/indicators?q=edit-me`)).items as Indicator[];
    expect(everywhere).toHaveLength(1);
    expect(everywhere[0]).toMatchObject({ title: 'Watched C2', deviceGroupIds: [] });
  });

  it('adds a TAXII feed, pulls it now, shows a failing pull, and removes a feed', async () => {
    const p = await h.loggedIn();
    await p.getByTestId('nav-indicators').click();
    await p.getByTestId('taxii-feeds-empty').waitFor();

    await p.getByTestId('taxii-feed-add').click();
    await p.getByTestId('taxii-feed-name').fill('e2e feed');
    await p.getByTestId('taxii-feed-url').fill(taxii.apiRootUrl);
    await p.getByTestId('taxii-feed-collection').fill('e2e-collection');
    await p.getByTestId('taxii-feed-auth').click();
    await p.getByRole('option', { name: /^Basic/ }).click();
    await p.getByTestId('taxii-feed-username').fill(TAXII_USER);
    await p.getByTestId('taxii-feed-secret-env').fill('not a name');
    await p.getByTestId('taxii-feed-create').click();
    // The server validates the settings and the console shows why it refused.
    await p.getByTestId('taxii-feed-error').waitFor();
    await p.getByTestId('taxii-feed-secret-env').fill(SECRET_ENV);
    await p.getByTestId('taxii-feed-create').click();
    await p.getByTestId('taxii-feed-create').waitFor({ state: 'hidden' });

    const feed = p.locator('[data-testid="taxii-feed-row"][data-name="e2e feed"]');
    await feed.locator('[data-testid="taxii-feed-status"][data-state="never"]').waitFor();
    await feed.getByTestId('taxii-feed-pull').click();
    await feed.locator('[data-testid="taxii-feed-status"][data-state="ok"]').waitFor();
    expect(await feed.getByTestId('taxii-feed-counts').innerText()).toMatch(/^1 new, 0 updated/);
    await row(p, FEED_DOMAIN).waitFor();

    // A feed whose collection does not exist: the pull fails and the row says why.
    const broken = (await h.api('POST', '/api/indicators/feeds', {
      name: 'e2e broken',
      apiRootUrl: taxii.apiRootUrl,
      collectionId: 'no-such-collection',
      authKind: 'basic',
      username: TAXII_USER,
      secretEnv: SECRET_ENV,
    })) as TaxiiFeed;
    await p.reload();
    const brokenRow = p.locator('[data-testid="taxii-feed-row"][data-name="e2e broken"]');
    await brokenRow.getByTestId('taxii-feed-pull').click();
    await brokenRow.locator('[data-testid="taxii-feed-status"][data-state="error"]').waitFor();
    expect(await brokenRow.getByTestId('taxii-feed-error').innerText()).toMatch(/\S/);
    // The refusal is also a toast naming the feed and what to check; the user closes it.
    const note = p.getByTestId('note-error');
    expect(await note.innerText()).toMatch(/Pulling e2e broken failed; check its URL and credentials/);
    await note.getByRole('button').click();

    await brokenRow.getByTestId('taxii-feed-remove').click();
    await p.getByTestId('taxii-feed-remove-confirm').click();
    await brokenRow.waitFor({ state: 'detached' });
    const left = ((await h.api('GET', '/api/indicators/feeds')) as { items: TaxiiFeed[] }).items;
    expect(left.map((f) => f.name)).toEqual(['e2e feed']);
    expect(left.some((f) => f.id === broken.id)).toBe(false);
    // The feed's indicators stay.
    await row(p, FEED_DOMAIN).waitFor();
  });
});
