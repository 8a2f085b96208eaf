import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentState, Command, EnrollmentTokenCreated } from '@quell/contracts';
import { loadConfig, startServer, type RunningServer } from '@quell/server';
import { FakeAgent, agentKeyPair, enrollOverHttps, inventory } from '../../server/test/support/fake-agent.js';

// The device page end to end: a protocol-level fake agent (no OS effects) is enrolled and online;
// the browser isolates the device, sees the isolation the agent reports as verified, and releases it.

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const WEB_INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url));
const SHOTS = join(tmpdir(), 'quell-e2e');
const ADMIN = { email: 'admin@quell.test', password: 'e2e-correct-horse-battery' };
const HOST = 'fin-web01.e2e.test';
const HOST2 = 'fin-web02.e2e.test';

/** What the fake agent reads back after a command: the state a real agent would verify. */
function stateAfter(prev: AgentState, cmd: Command): AgentState {
  const p = cmd.params as {
    mode?: 'full' | 'selective';
    exclusions?: NonNullable<AgentState['isolation']['isolation']>['exclusions'];
    allowDns?: boolean;
    allowDhcp?: boolean;
  };
  const base = { checkedAt: Date.now(), actionId: cmd.actionId, error: null };
  if (cmd.type === 'isolate_device') {
    return {
      ...prev,
      isolation: {
        ...base,
        state: 'on',
        evidence: 'sha256:e2e0ruleset',
        isolation: {
          mode: p.mode ?? 'full',
          exclusions: p.exclusions ?? [],
          allowDns: p.allowDns ?? false,
          allowDhcp: p.allowDhcp ?? false,
        },
      },
    };
  }
  if (cmd.type === 'release_device') return { ...prev, isolation: { ...base, state: 'off', evidence: null } };
  return prev;
}

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('devices in the console', () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let token: string;
  let agent: FakeAgent | undefined;
  let second: FakeAgent | undefined;
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

  /** Enrolls a protocol-level fake agent for `host` and connects it. */
  async function enrollFake(host: string): Promise<FakeAgent> {
    const t = (await api('POST', '/api/enrollment-tokens', { label: host })) as EnrollmentTokenCreated;
    const keys = agentKeyPair();
    const enrolled = await enrollOverHttps(t.agentUrl, t.certSha256, {
      token: t.token,
      publicKey: keys.publicKeyB64,
      inventory: inventory(host),
    });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    const a: FakeAgent = new FakeAgent({
      agentUrl: t.agentUrl,
      certSha256: t.certSha256,
      deviceId: enrolled.body.deviceId,
      hostname: host,
      privateKey: keys.privateKey,
      serverPublicKey: enrolled.body.serverPublicKey,
      answer: (cmd) => {
        a.setState(stateAfter(a.state, cmd));
        return {
          status: 'succeeded',
          result:
            cmd.type === 'isolate_device'
              ? { verified: true, rulesetHash: 'e2e0ruleset' }
              : cmd.type === 'run_av_scan'
                ? { filesScanned: 3, filesSkipped: 0, detections: 0, engines: ['hash'], durationMs: 4 }
                : { verified: true },
        };
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

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh to install Chromium.`);
    if (!existsSync(WEB_INDEX))
      throw new Error(`The console is not built (${WEB_INDEX} is missing): run \`npm run build\` first.`);
    process.env.QUELL_ADMIN_EMAIL = ADMIN.email;
    process.env.QUELL_ADMIN_PASSWORD = ADMIN.password;
    dataDir = await mkdtemp(join(tmpdir(), 'quell-e2e-devices-'));
    server = await startServer(loadConfig(process.env, { dataDir, port: 0, agentPort: 0, logLevel: 'warn' }));
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ADMIN, mode: 'token' }),
    });
    token = ((await login.json()) as { token: string }).token;

    agent = await enrollFake(HOST);
    second = await enrollFake(HOST2);

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
    await agent?.disconnect();
    await second?.disconnect();
    await browser?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a browser test isolates a device from its page, sees it verified isolated, and releases it', async () => {
    const p = await loggedIn();
    await p.getByTestId('nav-devices').click();
    const row = p.locator(`[data-testid="device-row"][data-hostname="${HOST}"]`);
    await row.locator('[data-testid="device-health"][data-health="online"]').waitFor();
    await row.getByRole('link', { name: HOST }).click();

    await p.getByTestId('device-title').waitFor();
    expect((await p.getByTestId('device-title').innerText()).trim()).toBe(HOST);
    const isolation = p.getByTestId('isolation-state');
    await p.locator('[data-testid="isolation-state"][data-state="off"]').waitFor();

    await p.getByTestId('action-menu').click();
    await p.getByTestId('action-isolate').click();
    await p.getByText('Selective (keep exclusions)').click();
    await p.getByTestId('exclusion-add').click();
    // A hostname is not something the firewall can allow: the dialog says so and will not submit.
    await p.getByTestId('exclusion-remote').fill('intranet.example');
    await p.getByTestId('exclusions-invalid').waitFor();
    expect(await p.getByTestId('isolate-confirm').isDisabled()).toBe(true);
    await p.getByTestId('exclusion-remote').fill('10.20.0.0/16');
    await p.getByTestId('exclusion-port').fill('443');
    await p.getByTestId('exclusions-invalid').waitFor({ state: 'hidden' });
    await p.getByTestId('isolate-allow-dns').check();
    await p.getByTestId('device-action-comment').fill('e2e: contain the web server');
    await p.getByTestId('isolate-confirm').click();
    await p.getByTestId('isolate-confirm').waitFor({ state: 'hidden' });

    await p.locator('[data-testid="isolation-state"][data-state="on"]').waitFor();
    expect(await isolation.innerText()).toMatch(/verified/i);
    expect(await p.getByTestId('isolation-state-evidence').innerText()).toContain('sha256:e2e0ruleset');
    expect(await p.getByTestId('isolation-exclusions').innerText()).toContain('10.20.0.0/16');
    const isolate = p.locator('[data-testid="device-action-row"][data-action-type="isolate_device"]');
    await isolate.and(p.locator('[data-status="succeeded"]')).waitFor();

    const device = await api('GET', `/api/devices/${encodeURIComponent(HOST)}`);
    expect(device.isolation).toMatchObject({
      state: 'on',
      isolation: { mode: 'selective', allowDns: true, exclusions: [{ remote: '10.20.0.0/16', port: 443 }] },
    });

    await p.getByTestId('release-button').click();
    await p.getByTestId('release-confirm').click();
    await p.getByTestId('release-confirm').waitFor({ state: 'hidden' });
    await p.locator('[data-testid="isolation-state"][data-state="off"]').waitFor();
    await p
      .locator(
        '[data-testid="device-action-row"][data-action-type="release_device"][data-status="succeeded"]',
      )
      .waitFor();
    expect(agent!.commands().map((c) => c.command.type)).toEqual(['isolate_device', 'release_device']);
  });

  it('scans two selected devices with one batch and watches both succeed', async () => {
    const p = await loggedIn();
    await p.getByTestId('nav-devices').click();
    for (const host of [HOST, HOST2])
      await p
        .locator(
          `[data-testid="device-row"][data-hostname="${host}"] [data-testid="device-health"][data-health="online"]`,
        )
        .waitFor();
    await p.getByTestId('devices-select-all').check();
    await p.getByTestId('devices-selection').getByText('2 selected').waitFor();
    await p.getByTestId('action-menu').click();
    await p.getByTestId('action-scan').click();
    await p.getByTestId('device-action-comment').fill('e2e: sweep both');
    await p.getByTestId('scan-confirm').click();
    await p.getByTestId('scan-confirm').waitFor({ state: 'hidden' });

    const progress = p.getByTestId('batch-progress');
    await progress.waitFor();
    await p.getByTestId('batch-count-succeeded').filter({ hasText: 'Succeeded: 2' }).waitFor();
    const batchId = await progress.getAttribute('data-batch-id');
    const batch = await api('GET', `/api/action-batches/${batchId}`);
    expect(batch).toMatchObject({ type: 'run_av_scan', total: 2, requestComment: 'e2e: sweep both' });
    expect(batch.counts.succeeded).toBe(2);
    for (const a of [agent!, second!])
      expect(a.commands().filter((c) => c.command.type === 'run_av_scan')).toHaveLength(1);

    await progress.getByRole('link', { name: /Action Center/ }).click();
    await p.getByTestId('filter-batch').waitFor();
    expect(await p.getByTestId('filter-batch').inputValue()).toBe(batchId);
  });
});
