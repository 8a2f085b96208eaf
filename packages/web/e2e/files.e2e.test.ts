import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollmentTokenCreated, FilePage } from '@quell/contracts';
import { loadConfig, startServer, type RunningServer } from '@quell/server';
import { FakeAgent, agentKeyPair, enrollOverHttps, inventory } from '../../server/test/support/fake-agent.js';

// The file page end to end (issue 4, done-when 7): two protocol-level fake agents saw a file; the
// browser quarantines it everywhere from its page, watches the batch's per-device counts reach
// succeeded, undoes one device's quarantine from the Action Center, and sees that device restored.
// Then a real sandbox detonation (bubblewrap + strace) of an uploaded script, read on its report page.

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const WEB_INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url));
const SHOTS = join(tmpdir(), 'quell-e2e');
const ADMIN = { email: 'admin@quell.test', password: 'e2e-correct-horse-battery' };
const HOST = 'fin-db01.e2e.test';
const HOST2 = 'fin-db02.e2e.test';
/** The "malware" the devices saw; a collect uploads these bytes, so the hash must be theirs. */
const SAMPLE = Buffer.from('#!/bin/sh\n# e2e miner\nsleep 3600\n');
const SHA256 = createHash('sha256').update(SAMPLE).digest('hex');
const PATHS: Record<string, string> = { [HOST]: '/tmp/.x/miner.sh', [HOST2]: '/var/tmp/miner.sh' };

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('files in the console', () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let token: string;
  const agents: FakeAgent[] = [];
  let context: BrowserContext | undefined;
  let page: Page | undefined;

  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
    return res.json();
  };

  /** A fake agent that quarantines and restores as a real one reports it (no OS effects). */
  async function enrollFake(host: string): Promise<FakeAgent> {
    const t = (await api('POST', '/api/enrollment-tokens', { label: host })) as EnrollmentTokenCreated;
    const keys = agentKeyPair();
    const enrolled = await enrollOverHttps(t.agentUrl, t.certSha256, {
      token: t.token,
      publicKey: keys.publicKeyB64,
      inventory: inventory(host),
    });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    const a = new FakeAgent({
      agentUrl: t.agentUrl,
      certSha256: t.certSha256,
      deviceId: enrolled.body.deviceId,
      hostname: host,
      privateKey: keys.privateKey,
      serverPublicKey: enrolled.body.serverPublicKey,
      answer: (cmd) =>
        cmd.type === 'collect_file'
          ? {
              status: 'succeeded',
              result: { blobSha256: SHA256, sizeBytes: SAMPLE.length },
              upload: SAMPLE,
            }
          : {
              status: 'succeeded',
              result:
                cmd.type === 'stop_and_quarantine_file'
                  ? { processesKilled: 1, filesQuarantined: 1, persistenceRemoved: 2 }
                  : cmd.type === 'restore_quarantined_file'
                    ? { filesRestored: 1 }
                    : {},
            },
    });
    await a.connect();
    return a;
  }

  async function loggedIn(): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await context.newPage();
    p.setDefaultTimeout(20_000);
    page = p;
    await p.goto(server.url);
    await p.getByTestId('login-email').fill(ADMIN.email);
    await p.getByTestId('login-password').fill(ADMIN.password);
    await p.getByTestId('login-submit').click();
    await p.getByTestId('me-name').waitFor();
    return p;
  }

  const deviceRow = (p: Page, host: string) =>
    p.locator(`[data-testid="file-device-row"][data-hostname="${host}"]`);
  const stateOf = (p: Page, host: string, state: string) =>
    deviceRow(p, host).locator(`[data-testid="file-quarantine-state"][data-state="${state}"]`);

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh to install Chromium.`);
    if (!existsSync(WEB_INDEX))
      throw new Error(`The console is not built (${WEB_INDEX} is missing): run \`npm run build\` first.`);
    process.env.QUELL_ADMIN_EMAIL = ADMIN.email;
    process.env.QUELL_ADMIN_PASSWORD = ADMIN.password;
    dataDir = await mkdtemp(join(tmpdir(), 'quell-e2e-files-'));
    server = await startServer(loadConfig(process.env, { dataDir, port: 0, agentPort: 0, logLevel: 'warn' }));
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ADMIN, mode: 'token' }),
    });
    token = ((await login.json()) as { token: string }).token;

    for (const host of [HOST, HOST2]) agents.push(await enrollFake(host));
    // What the agents' execution reports would have told the server: each device ran the file.
    const at = new Date().toISOString();
    await server.services.files.record(
      [HOST, HOST2].map((device) => ({
        sha256: SHA256,
        device,
        path: PATHS[device]!,
        source: 'executed',
        at,
      })),
    );

    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterEach(async (ctx) => {
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    await page?.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }).catch(() => undefined);
    await context?.close();
    context = undefined;
    page = undefined;
  });

  afterAll(async () => {
    for (const a of agents) await a.disconnect();
    await browser?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('quarantines a file everywhere from its page, then restores one device from the Action Center', async () => {
    const p = await loggedIn();
    await p.getByTestId('nav-files').click();
    await p.getByTestId('files-search').fill(SHA256.slice(0, 8));
    const listed = p.locator(`[data-testid="file-row"][data-sha256="${SHA256}"]`);
    await listed.getByRole('link', { name: 'miner.sh' }).click();

    await p.getByTestId('file-sha256').filter({ hasText: SHA256 }).waitFor();
    expect(await p.getByTestId('file-prevalence').innerText()).toMatch(/^2 devices/);
    for (const host of [HOST, HOST2]) {
      expect(await deviceRow(p, host).innerText()).toContain(PATHS[host]);
      await stateOf(p, host, 'none').waitFor();
    }

    await p.getByTestId('file-quarantine').click();
    await p.getByTestId('file-quarantine-comment').fill('e2e: miner on the database servers');
    await p.getByTestId('file-quarantine-confirm').click();
    await p.getByTestId('file-quarantine-confirm').waitFor({ state: 'hidden' });

    const progress = p.getByTestId('batch-progress');
    await progress.waitFor();
    await p.getByTestId('batch-count-succeeded').filter({ hasText: 'Succeeded: 2' }).waitFor();
    for (const host of [HOST, HOST2]) await stateOf(p, host, 'quarantined').waitFor();
    for (const a of agents)
      expect(a.commands().filter((c) => c.command.type === 'stop_and_quarantine_file')).toHaveLength(1);

    // The quarantine of the second device, undone from its Action Center page.
    const file = (await api('GET', `/api/files/${SHA256}`)) as FilePage;
    const target = file.quarantine.find((q) => q.hostname === HOST2)!.actionId;
    await progress.getByRole('link', { name: /Action Center/ }).click();
    await p.getByTestId('tab-history').click();
    await p
      .locator(`[data-testid="action-row"][data-action-id="${target}"][data-status="succeeded"]`)
      .click();
    await p.getByTestId('action-undo').click();
    await p.getByTestId('decision-comment').fill('e2e: false positive on db02');
    await p.getByTestId('action-undo-confirm').click();
    await p.getByTestId('action-undo-confirm').waitFor({ state: 'hidden' });

    await p.getByTestId('nav-files').click();
    await listed.getByRole('link', { name: 'miner.sh' }).click();
    await stateOf(p, HOST2, 'restored').waitFor();
    await stateOf(p, HOST, 'quarantined').waitFor();
    await p
      .locator(
        '[data-testid="file-action-row"][data-action-type="restore_quarantined_file"][data-status="succeeded"]',
      )
      .waitFor();
    expect(agents[1]!.commands().map((c) => c.command.type)).toEqual([
      'stop_and_quarantine_file',
      'restore_quarantined_file',
    ]);
    expect(agents[0]!.commands().map((c) => c.command.type)).toEqual(['stop_and_quarantine_file']);
  });
  it('collects a copy from a device and downloads it as a password-protected zip', async () => {
    const p = await loggedIn();
    await p.goto(`${server.url}/files/${SHA256}`);
    await p.getByTestId('file-sha256').filter({ hasText: SHA256 }).waitFor();
    expect(await p.getByTestId('file-download').isDisabled()).toBe(true);

    await p.getByTestId('file-collect').click();
    await p.getByTestId('file-collect-confirm').click();
    await p.getByTestId('file-collect-confirm').waitFor({ state: 'hidden' });
    await p.locator('[data-testid="file-download"]:not([disabled])').waitFor();

    await p.getByTestId('file-download').click();
    await p.getByTestId('file-download-password').fill('too-short');
    await p.getByTestId('file-download-reason').fill('e2e: send to the malware team');
    expect(await p.getByTestId('file-download-confirm').isDisabled()).toBe(true);
    await p.getByTestId('file-download-password').fill('e2e-zip-password-42');
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      p.getByTestId('file-download-confirm').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${SHA256}.zip`);
    const zip = await readFile((await download.path())!);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    // AES-encrypted: the sample's bytes must not be readable in the archive.
    expect(zip.includes(SAMPLE)).toBe(false);
  });

  it('shows a deep-analysis report: verdict, cron persistence as T1053.003, the process tree', async () => {
    // A real detonation (bubblewrap + strace) of a script that installs a cron entry.
    const sample = '#!/bin/sh\necho "* * * * * root /tmp/e2e-miner" >> /etc/crontab\n';
    const res = await fetch(`${server.url}/api/analyses/upload?name=e2e-cron.sh&timeoutSeconds=20`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: sample,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };

    const p = await loggedIn();
    await p.getByTestId('nav-analyses').click();
    await p.locator(`[data-testid="analysis-row"][data-analysis-id="${id}"]`).getByRole('link').click();
    await p.getByTestId('analysis-title').filter({ hasText: 'e2e-cron.sh' }).waitFor();
    await p.locator('[data-testid="analysis-status"][data-status="completed"]').waitFor({ timeout: 60_000 });
    await p.locator('[data-testid="analysis-behaviour"][data-technique="T1053.003"]').waitFor();
    expect(await p.getByTestId('analysis-verdict').getAttribute('data-verdict')).toMatch(
      /suspicious|malicious/,
    );
    expect(await p.getByTestId('analysis-process').first().innerText()).toMatch(/e2e-cron\.sh/);
    expect(await p.getByTestId('analysis-persistence').innerText()).toContain('/etc/crontab');
  });
});
