import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TaxiiFeed } from '@quell/contracts';
import { startTaxiiServer, type TaxiiTestServer } from '../../server/test/support/taxii-server.js';
import { ConsoleHarness, HAVE_CHROMIUM } from './support/console-harness.js';

// Editing a TAXII feed in the console: a feed added against an address nothing answers on is
// pointed at a real TAXII 2.1 server by editing every setting; a bad interval is refused with the
// API's reason and changes nothing; the edit shows after a reload and through the API, and a pull
// uses the new settings (credentials from the named variable, the new default action and severity).

const TAXII_USER = 'e2e-editor';
const TAXII_PASSWORD = 'e2e-taxii-edit-password';
const SECRET_ENV = 'QUELL_E2E_TAXII_EDIT_PASSWORD';
const FEED_DOMAIN = 'edited-feed-c2.e2e.example';
// Port 9 (discard): nothing answers, so the feed as first added never pulls anything.
const DEAD_DISCOVERY_URL = 'http://127.0.0.1:9/taxii2/';

/** The settings of a feed, without what its pulls record (a scheduled pull may run meanwhile). */
const settings = (f: TaxiiFeed) => ({
  name: f.name,
  discoveryUrl: f.discoveryUrl,
  apiRootUrl: f.apiRootUrl,
  collectionId: f.collectionId,
  authKind: f.authKind,
  username: f.username,
  secretEnv: f.secretEnv,
  defaultAction: f.defaultAction,
  defaultSeverity: f.defaultSeverity,
  intervalMinutes: f.intervalMinutes,
  enabled: f.enabled,
});

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('editing a TAXII feed in the console', () => {
  const h = new ConsoleHarness('taxii-feed-edit');
  let taxii: TaxiiTestServer;

  const feedRow = (p: Page, name: string) => p.locator(`[data-testid="taxii-feed-row"][data-name="${name}"]`);
  const feeds = async () => ((await h.api('GET', '/api/indicators/feeds')) as { items: TaxiiFeed[] }).items;
  const choose = async (p: Page, testId: string, option: string | RegExp) => {
    await p.getByTestId(testId).click();
    await p.getByRole('option', { name: option }).click();
  };

  beforeAll(async () => {
    process.env[SECRET_ENV] = TAXII_PASSWORD;
    await h.start();
    taxii = await startTaxiiServer({
      username: TAXII_USER,
      password: TAXII_PASSWORD,
      pageSize: 50,
      collections: [
        {
          id: 'e2e-edit-collection',
          title: 'e2e edit',
          paging: 'next',
          objects: [
            {
              dateAdded: '2030-05-01T00:00:00.000Z',
              object: {
                type: 'indicator',
                spec_version: '2.1',
                id: 'indicator--00000000-0000-4000-8000-0000000000ed',
                created: '2030-01-01T00:00:00.000Z',
                modified: '2030-01-01T00:00:00.000Z',
                name: 'Edited feed C2',
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
    delete process.env[SECRET_ENV];
  });

  it('edits every setting, refuses a bad interval with the API reason, and keeps the edit', async () => {
    const p = await h.loggedIn();
    await p.getByTestId('nav-indicators').click();
    await p.getByTestId('taxii-feeds-empty').waitFor();

    // Added with the shared form: discovery URL, no authentication, the defaults.
    await p.getByTestId('taxii-feed-add').click();
    await p.getByTestId('taxii-feed-name').fill('e2e draft');
    await choose(p, 'taxii-feed-url-kind', 'Discovery');
    await p.getByTestId('taxii-feed-url').fill(DEAD_DISCOVERY_URL);
    await p.getByTestId('taxii-feed-collection').fill('wrong-collection');
    await p.getByTestId('taxii-feed-create').click();
    await p.getByTestId('taxii-feed-create').waitFor({ state: 'hidden' });
    await feedRow(p, 'e2e draft').waitFor();
    const [added] = await feeds();
    const before = settings(added!);
    expect(before).toEqual({
      name: 'e2e draft',
      discoveryUrl: DEAD_DISCOVERY_URL,
      apiRootUrl: null,
      collectionId: 'wrong-collection',
      authKind: 'none',
      username: null,
      secretEnv: null,
      defaultAction: 'block',
      defaultSeverity: 'medium',
      intervalMinutes: 60,
      enabled: true,
    });

    // The edit dialog opens on the feed as it is.
    await feedRow(p, 'e2e draft').getByTestId('taxii-feed-edit').click();
    expect(await p.getByTestId('taxii-feed-name').inputValue()).toBe('e2e draft');
    expect(await p.getByTestId('taxii-feed-url-kind').inputValue()).toBe('Discovery');
    expect(await p.getByTestId('taxii-feed-url').inputValue()).toBe(DEAD_DISCOVERY_URL);
    expect(await p.getByTestId('taxii-feed-interval').inputValue()).toBe('60');
    expect(await p.getByTestId('taxii-feed-enabled').isChecked()).toBe(true);
    // Nothing changed yet: nothing to save.
    expect(await p.getByTestId('taxii-feed-save').isDisabled()).toBe(true);

    // A new name with a bad interval: the API refuses the whole PATCH and the dialog says why.
    await p.getByTestId('taxii-feed-name').fill('e2e refused');
    await p.getByTestId('taxii-feed-interval').fill('0');
    await p.getByTestId('taxii-feed-save').click();
    const refusal = p.getByTestId('taxii-feed-edit-error');
    expect(await refusal.innerText()).toMatch(/Not saved[\s\S]*body\.intervalMinutes must be >= 5/);
    expect(await p.getByTestId('taxii-feed-interval').getAttribute('aria-invalid')).toBe('true');
    expect(settings((await feeds())[0]!)).toEqual(before);
    const audited = (await h.api('GET', `/api/audit?subject=${added!.id}`)).items as Array<{ event: string }>;
    expect(audited.map((e) => e.event)).not.toContain('indicator_feed.changed');

    // Every setting, in the same dialog.
    await p.getByTestId('taxii-feed-name').fill('e2e edited');
    await choose(p, 'taxii-feed-url-kind', 'API root');
    await p.getByTestId('taxii-feed-url').fill(taxii.apiRootUrl);
    await p.getByTestId('taxii-feed-collection').fill('e2e-edit-collection');
    await choose(p, 'taxii-feed-auth', /^Basic/);
    await p.getByTestId('taxii-feed-username').fill(TAXII_USER);
    await p.getByTestId('taxii-feed-secret-env').fill(SECRET_ENV);
    await choose(p, 'taxii-feed-default-action', 'Audit');
    await choose(p, 'taxii-feed-default-severity', 'High');
    await p.getByTestId('taxii-feed-interval').fill('15');
    // Changing the field takes its mark away; the refusal stays until the next save.
    expect(await p.getByTestId('taxii-feed-interval').getAttribute('aria-invalid')).toBe('false');
    await p.getByTestId('taxii-feed-enabled').click();
    // The form asks for the variable's name only: there is nowhere to type a secret.
    expect(await p.getByRole('dialog').locator('input[type="password"]').count()).toBe(0);
    await p.getByTestId('taxii-feed-save').click();
    await p.getByTestId('taxii-feed-save').waitFor({ state: 'hidden' });

    const want = {
      name: 'e2e edited',
      discoveryUrl: null,
      apiRootUrl: taxii.apiRootUrl,
      collectionId: 'e2e-edit-collection',
      authKind: 'basic',
      username: TAXII_USER,
      secretEnv: SECRET_ENV,
      defaultAction: 'audit',
      defaultSeverity: 'high',
      intervalMinutes: 15,
      enabled: false,
    };
    const all = await feeds();
    expect(all).toHaveLength(1);
    expect(all[0]!.id).toBe(added!.id);
    expect(settings(all[0]!)).toEqual(want);

    // After a reload the list and the dialog show the edit.
    await p.reload();
    const edited = feedRow(p, 'e2e edited');
    await edited.waitFor();
    expect(await feedRow(p, 'e2e draft').count()).toBe(0);
    expect(await edited.getByTestId('taxii-feed-every').innerText()).toBe('15 min');
    await edited.getByTestId('taxii-feed-paused').waitFor();
    expect(await edited.innerText()).toContain('e2e-edit-collection');
    await edited.getByTestId('taxii-feed-edit').click();
    expect(await p.getByTestId('taxii-feed-url-kind').inputValue()).toBe('API root');
    expect(await p.getByTestId('taxii-feed-url').inputValue()).toBe(taxii.apiRootUrl);
    expect(await p.getByTestId('taxii-feed-auth').inputValue()).toMatch(/^Basic/);
    expect(await p.getByTestId('taxii-feed-username').inputValue()).toBe(TAXII_USER);
    expect(await p.getByTestId('taxii-feed-secret-env').inputValue()).toBe(SECRET_ENV);
    expect(await p.getByTestId('taxii-feed-default-action').inputValue()).toBe('Audit');
    expect(await p.getByTestId('taxii-feed-default-severity').inputValue()).toBe('High');
    expect(await p.getByTestId('taxii-feed-interval').inputValue()).toBe('15');
    expect(await p.getByTestId('taxii-feed-enabled').isChecked()).toBe(false);
    await p.keyboard.press('Escape');
    await p.getByTestId('taxii-feed-save').waitFor({ state: 'hidden' });

    // A pull uses the new settings: it reaches the real server with the password of the named
    // variable and gives the indicator the new default action and severity.
    await edited.getByTestId('taxii-feed-pull').click();
    await edited.locator('[data-testid="taxii-feed-status"][data-state="ok"]').waitFor();
    const indicator = p.locator(`[data-testid="indicator-row"][data-value="${FEED_DOMAIN}"]`);
    await indicator.and(p.locator('[data-action="audit"]')).waitFor();
    await indicator.locator('[data-testid="indicator-severity"][data-severity="high"]').waitFor();
  });

  it('clears the credentials the chosen authentication hides, resumes the schedule, resets the cursor', async () => {
    const created = (await h.api('POST', '/api/indicators/feeds', {
      name: 'e2e basic',
      apiRootUrl: taxii.apiRootUrl,
      collectionId: 'e2e-edit-collection',
      authKind: 'basic',
      username: TAXII_USER,
      secretEnv: SECRET_ENV,
      enabled: false,
    })) as TaxiiFeed;
    // One pull moves the cursor on, so the reset below has something to reset.
    await h.api('POST', `/api/indicators/feeds/${created.id}/pull`);
    const feed = (await feeds()).find((f) => f.id === created.id)!;
    expect(feed.addedAfter).not.toBeNull();

    const p = await h.loggedIn();
    await p.getByTestId('nav-indicators').click();
    const r = feedRow(p, 'e2e basic');
    await r.getByTestId('taxii-feed-paused').waitFor();
    await r.getByTestId('taxii-feed-edit').click();
    await choose(p, 'taxii-feed-auth', 'None');
    await p.getByTestId('taxii-feed-enabled').click();
    await p.getByTestId('taxii-feed-reset-cursor').click();
    await p.getByTestId('taxii-feed-save').click();
    await p.getByTestId('taxii-feed-save').waitFor({ state: 'hidden' });
    await r.getByTestId('taxii-feed-paused').waitFor({ state: 'detached' });

    const after = (await feeds()).find((f) => f.id === created.id)!;
    expect(settings(after)).toEqual({
      ...settings(feed),
      authKind: 'none',
      username: null,
      secretEnv: null,
      enabled: true,
    });
    expect(after.addedAfter).toBeNull();
    // Only what changed was sent, and audited.
    const audited = (await h.api('GET', `/api/audit?subject=${created.id}`)).items as Array<{
      event: string;
      data: Record<string, unknown>;
    }>;
    expect(audited.filter((e) => e.event === 'indicator_feed.changed').map((e) => e.data)).toEqual([
      { authKind: 'none', username: null, secretEnv: null, enabled: true, resetCursor: true },
    ]);
  });
});
