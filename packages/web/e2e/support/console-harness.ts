import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { EnrollmentTokenCreated } from '@quell/contracts';
import { loadConfig, startServer, type RunningServer } from '@quell/server';
import {
  FakeAgent,
  agentKeyPair,
  enrollOverHttps,
  inventory,
  type FakeAgentOptions,
} from '../../../server/test/support/fake-agent.js';

/** Where the browser tests find Chromium (Debian `chromium`). */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const WEB_INDEX = fileURLToPath(new URL('../../dist/index.html', import.meta.url));
const SHOTS = join(tmpdir(), 'quell-e2e');
export const ADMIN = { email: 'admin@quell.test', password: 'e2e-correct-horse-battery' };

/**
 * A real Quell server in a temp data directory, real headless Chromium, an admin API token for
 * seeding, and protocol-level fake agents for devices (the same as the other console tests).
 */
export class ConsoleHarness {
  server!: RunningServer;
  browser!: Browser;
  token = '';
  private dataDir = '';
  private context: BrowserContext | undefined;
  private page: Page | undefined;
  readonly agents: FakeAgent[] = [];

  constructor(private readonly name: string) {}

  async start(): Promise<void> {
    if (!HAVE_CHROMIUM)
      throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh to install Chromium.`);
    if (!existsSync(WEB_INDEX))
      throw new Error(`The console is not built (${WEB_INDEX} is missing): run \`npm run build\` first.`);
    process.env.QUELL_ADMIN_EMAIL = ADMIN.email;
    process.env.QUELL_ADMIN_PASSWORD = ADMIN.password;
    this.dataDir = await mkdtemp(join(tmpdir(), `quell-e2e-${this.name}-`));
    this.server = await startServer(
      loadConfig(process.env, { dataDir: this.dataDir, port: 0, agentPort: 0, logLevel: 'warn' }),
    );
    const login = await fetch(`${this.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ADMIN, mode: 'token' }),
    });
    this.token = ((await login.json()) as { token: string }).token;
    await mkdir(SHOTS, { recursive: true });
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }

  /** A JSON API call as the admin token; fails the test on a non-2xx answer. */
  async api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`).toBe(true);
    return res.json();
  }

  /** Enrolls a fake agent for `host` over the real HTTPS enrollment and connects it. */
  async enrollFake(host: string, answer?: FakeAgentOptions['answer']): Promise<FakeAgent> {
    const t = (await this.api('POST', '/api/enrollment-tokens', { label: host })) as EnrollmentTokenCreated;
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
      ...(answer && { answer }),
    });
    await a.connect();
    this.agents.push(a);
    return a;
  }

  /** A fresh browser context, logged in as the admin. */
  async loggedIn(): Promise<Page> {
    this.context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await this.context.newPage();
    p.setDefaultTimeout(20_000);
    this.page = p;
    await p.goto(this.server.url);
    await p.getByTestId('login-email').fill(ADMIN.email);
    await p.getByTestId('login-password').fill(ADMIN.password);
    await p.getByTestId('login-submit').click();
    await p.getByTestId('me-name').waitFor();
    return p;
  }

  /** Keeps a screenshot of the test's last page (in the temp dir) and closes its context. */
  async endTest(testName: string): Promise<void> {
    const name = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    await this.page?.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }).catch(() => undefined);
    await this.context?.close();
    this.context = undefined;
    this.page = undefined;
  }

  async stop(): Promise<void> {
    for (const a of this.agents) await a.disconnect().catch(() => undefined);
    await this.browser?.close();
    await this.server?.close();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}
