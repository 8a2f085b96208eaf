import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Analysis } from '@quell/contracts';
import type { FakeAgent } from '../../server/test/support/fake-agent.js';
import { ConsoleHarness, HAVE_CHROMIUM } from './support/console-harness.js';

// Response on files from the console: quarantine on the devices that saw a file within N days or
// on devices picked by hand, the device page's quarantined files with Restore; and deep analysis
// submitted from /analyses (an upload, then the stored copy by hash), a resubmit and the queue,
// detonated for real in the sandbox (bubblewrap + strace).

const HOST1 = 'fin-ws01.e2e.test';
const HOST2 = 'fin-ws02.e2e.test';
const SAMPLE = Buffer.from('#!/bin/sh\n# e2e dropper\nsleep 3600\n');
const SHA256 = createHash('sha256').update(SAMPLE).digest('hex');
const DAY = 24 * 3600 * 1000;

const answer: ConstructorParameters<typeof FakeAgent>[0]['answer'] = (cmd) => ({
  status: 'succeeded',
  result:
    cmd.type === 'stop_and_quarantine_file'
      ? { processesKilled: 1, filesQuarantined: 1, persistenceRemoved: 0 }
      : cmd.type === 'restore_quarantined_file'
        ? { filesRestored: 1 }
        : {},
});

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('file response in the console', () => {
  const h = new ConsoleHarness('response');
  let a1: FakeAgent;
  let a2: FakeAgent;

  beforeAll(async () => {
    await h.start();
    a1 = await h.enrollFake(HOST1, answer);
    a2 = await h.enrollFake(HOST2, answer);
    const now = Date.now();
    await h.server.services.files.record([
      {
        sha256: SHA256,
        device: HOST1,
        path: '/tmp/drop.sh',
        source: 'executed',
        at: new Date(now - 10 * DAY).toISOString(),
      },
      {
        sha256: SHA256,
        device: HOST2,
        path: '/var/tmp/drop.sh',
        source: 'executed',
        at: new Date(now).toISOString(),
      },
    ]);
  });
  afterEach(async (ctx) => h.endTest(ctx.task.name));
  afterAll(async () => h.stop());

  const stateOn = (p: Page, host: string, state: string) =>
    p.locator(
      `[data-testid="file-device-row"][data-hostname="${host}"] [data-testid="file-quarantine-state"][data-state="${state}"]`,
    );
  const types = (a: FakeAgent) => a.commands().map((c) => c.command.type);

  it('quarantines on the devices seen within N days, then on a picked device, and restores from the device page', async () => {
    const p = await h.loggedIn();
    await p.goto(`${h.server.url}/files/${SHA256}`);
    await p.getByTestId('file-sha256').filter({ hasText: SHA256 }).waitFor();

    // Seen within 5 days: only HOST2 (HOST1 saw it 10 days ago).
    await p.getByTestId('file-quarantine').click();
    await p.getByTestId('file-quarantine-days').fill('5');
    await p.getByTestId('file-quarantine-comment').fill('e2e: recent sightings only');
    await p.getByTestId('file-quarantine-confirm').click();
    await p.getByTestId('file-quarantine-confirm').waitFor({ state: 'hidden' });
    await p.getByTestId('batch-count-succeeded').filter({ hasText: 'Succeeded: 1' }).waitFor();
    await stateOn(p, HOST2, 'quarantined').waitFor();
    await stateOn(p, HOST1, 'none').waitFor();
    expect(types(a2)).toEqual(['stop_and_quarantine_file']);
    expect(types(a1)).toEqual([]);

    // Picking devices: none picked is refused in the dialog; then HOST1 alone.
    await p.getByTestId('file-quarantine').click();
    await p.getByTestId('file-quarantine-scope').getByText('Pick devices').click();
    await p.getByTestId('file-quarantine-confirm').click();
    expect(await p.getByTestId('file-quarantine-error').innerText()).toBe('Pick at least one device.');
    await p.locator(`[data-testid="file-quarantine-device"][data-hostname="${HOST1}"]`).check();
    await p.getByTestId('file-quarantine-confirm').click();
    await p.getByTestId('file-quarantine-confirm').waitFor({ state: 'hidden' });
    await stateOn(p, HOST1, 'quarantined').waitFor();
    expect(types(a1)).toEqual(['stop_and_quarantine_file']);
    expect(types(a2)).toEqual(['stop_and_quarantine_file']);

    // HOST1's page lists the file in its vault; Restore asks first.
    await p
      .locator(`[data-testid="file-device-row"][data-hostname="${HOST1}"]`)
      .getByRole('link', { name: HOST1 })
      .click();
    await p.getByTestId('device-title').filter({ hasText: HOST1 }).waitFor();
    const vault = p.locator(`[data-testid="device-quarantine-row"][data-sha256="${SHA256}"]`);
    await vault.and(p.locator('[data-state="quarantined"]')).waitFor();
    expect(await vault.innerText()).toContain('/tmp/drop.sh');
    await vault.getByTestId('device-quarantine-restore').click();
    await p.getByRole('button', { name: 'Cancel' }).click();
    expect(types(a1)).toEqual(['stop_and_quarantine_file']);
    await vault.getByTestId('device-quarantine-restore').click();
    await p.getByTestId('device-quarantine-restore-confirm').click();
    await p.getByTestId('device-quarantine-empty').waitFor();
    expect(types(a1)).toEqual(['stop_and_quarantine_file', 'restore_quarantined_file']);

    // The file page agrees: restored on HOST1, still quarantined on HOST2.
    await p.goto(`${h.server.url}/files/${SHA256}`);
    await stateOn(p, HOST1, 'restored').waitFor();
    await stateOn(p, HOST2, 'quarantined').waitFor();
    expect(types(a2)).toEqual(['stop_and_quarantine_file']);
  });

  it('submits an upload and a stored copy by hash from /analyses, resubmits one, and shows the queue', async () => {
    const p = await h.loggedIn();
    await p.getByTestId('nav-analyses').click();
    await p.getByTestId('analyses-queue').waitFor();

    await p.getByTestId('analysis-submit').click();
    await p.locator('input[type="file"]').setInputFiles({
      name: 'e2e-upload.sh',
      mimeType: 'application/x-sh',
      buffer: Buffer.from('#!/bin/sh\necho e2e-upload > /tmp/e2e-upload.txt\n'),
    });
    await p.getByTestId('analysis-submit-comment').fill('e2e: from the console');
    await p.getByTestId('analysis-submit-confirm').click();
    await p.getByTestId('analysis-title').filter({ hasText: 'e2e-upload.sh' }).waitFor();
    const uploadedId = decodeURIComponent(new URL(p.url()).pathname.split('/').pop()!);
    await p.locator('[data-testid="analysis-status"][data-status="completed"]').waitFor({ timeout: 90_000 });

    // By hash: a malformed one is refused in the form; one the server does not hold, by the server.
    await p.getByTestId('nav-analyses').click();
    await p.getByTestId('analysis-submit').click();
    await p.getByTestId('analysis-submit-source').getByText('A stored copy, by SHA-256').click();
    await p.getByTestId('analysis-submit-sha256').fill('1234');
    expect(await p.getByTestId('analysis-submit-confirm').isDisabled()).toBe(true);
    await p.getByTestId('analysis-submit-sha256').fill('c'.repeat(64));
    await p.getByTestId('analysis-submit-confirm').click();
    const refused = p.getByTestId('analysis-submit-error');
    await refused.waitFor();
    expect(await refused.innerText()).toMatch(/\S/);

    const uploaded = (await h.api('GET', `/api/analyses/${uploadedId}`)) as Analysis;
    await p.getByTestId('analysis-submit-sha256').fill(uploaded.sha256.toUpperCase());
    await p.getByTestId('analysis-submit-confirm').click();
    await p.getByTestId('analysis-title').filter({ hasText: 'e2e-upload.sh' }).waitFor();
    const byHashId = decodeURIComponent(new URL(p.url()).pathname.split('/').pop()!);
    expect(byHashId).not.toBe(uploadedId);

    // Resubmit from the list, on the finished upload.
    await p.getByTestId('nav-analyses').click();
    const first = p.locator(`[data-testid="analysis-row"][data-analysis-id="${uploadedId}"]`);
    await first.getByTestId('analysis-resubmit-row').click();
    await p.waitForURL((u) => !u.pathname.endsWith(uploadedId) && u.pathname.startsWith('/analyses/'));
    const resubmittedId = decodeURIComponent(new URL(p.url()).pathname.split('/').pop()!);
    expect([uploadedId, byHashId]).not.toContain(resubmittedId);

    // The queue drains: every run listed finishes and the counts read zero.
    await p.getByTestId('nav-analyses').click();
    for (const id of [uploadedId, byHashId, resubmittedId])
      await p.locator(`[data-testid="analysis-row"][data-analysis-id="${id}"]`).waitFor();
    await p.getByTestId('analyses-queued').filter({ hasText: /^0$/ }).waitFor({ timeout: 120_000 });
    await p.getByTestId('analyses-running').filter({ hasText: /^0$/ }).waitFor({ timeout: 120_000 });
    const list = (await h.api('GET', '/api/analyses?limit=10')).items as Analysis[];
    expect(
      list.filter((a) => [uploadedId, byHashId, resubmittedId].includes(a.id)).map((a) => a.status),
    ).toEqual(['completed', 'completed', 'completed']);
  });
});
