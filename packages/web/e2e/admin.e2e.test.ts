import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollmentToken } from '@quell/contracts';
import { ConsoleHarness, HAVE_CHROMIUM } from './support/console-harness.js';

// Issue 3 carry-overs in the console: enrollment tokens (create with group, tags and expiry, shown
// once, listed, revoked), revoking a device's agent from its page, and the YARA rules screen with
// the server's compile error shown.

const HOST = 'web-e2e01.e2e.test';
const VALID_RULE = 'rule e2e_miner {\n  strings:\n    $a = "stratum+tcp://"\n  condition:\n    $a\n}\n';
const BROKEN_RULE = 'rule e2e_broken {\n  strings:\n    $a = "x"\n  condition:\n    $b\n}\n';

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('administration screens in the console', () => {
  const h = new ConsoleHarness('admin');

  beforeAll(async () => {
    await h.start();
    await h.api('POST', '/api/device-groups', {
      name: 'Finance',
      rank: 10,
      rule: { namePattern: 'fin-*' },
      automationLevel: 'semi_all_folders',
    });
  });
  afterEach(async (ctx) => h.endTest(ctx.task.name));
  afterAll(async () => h.stop());

  it('creates an enrollment token with group, tags and expiry, shows it once, lists it and revokes it', async () => {
    const p = await h.loggedIn();
    await p.getByTestId('nav-enrollment-tokens').click();
    await p.getByTestId('enroll-tokens-empty').waitFor();

    await p.getByTestId('enroll-token-new').click();
    await p.getByTestId('enroll-label').fill('e2e branch office');
    await p.getByTestId('enroll-hours').fill('48');
    await p.getByTestId('enroll-group').click();
    await p.getByRole('option', { name: 'Finance' }).click();
    await p.getByTestId('enroll-tags').fill('branch');
    await p.keyboard.press('Enter');
    await p.getByTestId('enroll-tags').fill('e2e');
    await p.keyboard.press('Enter');
    await p.getByTestId('enroll-create').click();

    const token = (await p.getByTestId('enroll-token').innerText()).trim();
    expect(token.length).toBeGreaterThan(20);
    expect(await p.getByTestId('enroll-command').innerText()).toContain(`--token ${token}`);
    await p.getByTestId('enroll-done').click();

    const row = p.locator('[data-testid="enroll-token-row"][data-label="e2e branch office"]');
    await row.and(p.locator('[data-status="active"]')).waitFor();
    expect(await row.getByTestId('enroll-token-group').innerText()).toBe('Finance');
    expect(await row.getByTestId('enroll-token-tags').innerText()).toMatch(/^branch\s*e2e$/i);
    // The secret is shown once: it is nowhere on the list.
    expect(await p.content()).not.toContain(token);
    const listed = ((await h.api('GET', '/api/enrollment-tokens')) as { items: EnrollmentToken[] }).items;
    const created = listed.find((t) => t.label === 'e2e branch office')!;
    const hours = (Date.parse(created.expiresAt) - Date.parse(created.createdAt)) / 3_600_000;
    expect(Math.round(hours)).toBe(48);
    expect(created.tags).toEqual(['branch', 'e2e']);

    await row.getByTestId('enroll-token-revoke').click();
    await p.getByTestId('enroll-token-revoke-confirm').click();
    await row.and(p.locator('[data-status="revoked"]')).waitFor();
    expect(await row.getByTestId('enroll-token-revoke').count()).toBe(0);
  });

  it("revokes a device's agent from its page after typing the hostname, and the agent is cut off", async () => {
    const agent = await h.enrollFake(HOST);
    const p = await h.loggedIn();
    await p.goto(`${h.server.url}/devices/${HOST}`);
    await p.locator('[data-testid="device-health"][data-health="online"]').waitFor();

    await p.getByTestId('device-revoke').click();
    expect(await p.getByTestId('device-revoke-confirm').isDisabled()).toBe(true);
    await p.getByTestId('device-revoke-hostname').fill('wrong-host');
    expect(await p.getByTestId('device-revoke-confirm').isDisabled()).toBe(true);
    await p.getByTestId('device-revoke-hostname').fill(HOST);
    await p.getByTestId('device-revoke-comment').fill('e2e: laptop stolen');
    const closed = agent.closed();
    await p.getByTestId('device-revoke-confirm').click();

    await p.getByTestId('device-revoked').waitFor();
    await p.locator('[data-testid="device-health"][data-health="revoked"]').waitFor();
    expect(await p.getByTestId('device-revoke').count()).toBe(0);
    expect(typeof (await closed)).toBe('number');
    // Refused from then on.
    await expect(agent.connect()).rejects.toThrow(/closed with|refused|401|403/);
  });

  it('adds a YARA rule, shows the compiler error of a broken one, and deletes a rule', async () => {
    const p = await h.loggedIn();
    await p.getByTestId('nav-yara-rules').click();
    await p.getByTestId('yara-empty').waitFor();

    await p.getByTestId('yara-add').click();
    await p.getByTestId('yara-name').fill('e2e_broken');
    await p.getByTestId('yara-source').fill(BROKEN_RULE);
    await p.getByTestId('yara-create').click();
    const error = p.getByTestId('yara-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/does not compile: .*\$b/s);
    // Fix it in place and save.
    await p.getByTestId('yara-name').fill('e2e_miner');
    await p.getByTestId('yara-source').fill(VALID_RULE);
    await p.getByTestId('yara-create').click();
    await p.getByTestId('yara-create').waitFor({ state: 'hidden' });

    const row = p.locator('[data-testid="yara-row"][data-name="e2e_miner"]');
    await row.waitFor();
    expect(await row.innerText()).toContain('stratum+tcp://');
    expect(await p.getByTestId('yara-row').count()).toBe(1);

    await row.getByTestId('yara-delete').click();
    await p.getByRole('button', { name: 'Cancel' }).click();
    await row.waitFor();
    await row.getByTestId('yara-delete').click();
    await p.getByTestId('yara-delete-confirm').click();
    await p.getByTestId('yara-empty').waitFor();
    expect((await h.api('GET', '/api/yara-rules')).items).toEqual([]);
  });
});
