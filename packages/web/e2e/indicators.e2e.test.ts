import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startServer, type RunningServer } from '@quell/server';

// The indicators page end to end: create one, import a CSV with a bad row (the good rows land and
// the bad one is reported with its line), filter, and remove.

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const WEB_INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url));
const SHOTS = join(tmpdir(), 'quell-e2e');
const ADMIN = { email: 'admin@quell.test', password: 'e2e-correct-horse-battery' };
const SHA = 'ab'.repeat(32);
const CSV = [
  'type,value,action,title,severity',
  'domain,evil.e2e.example,block,C2 domain,high',
  'ipv4,203.0.113.0/24,audit,Scanner range,low',
  'ipv4,not-an-address,block,Broken,medium',
].join('\n');

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('indicators in the console', () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let page: Page | undefined;

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

  const row = (p: Page, value: string) => p.locator(`[data-testid="indicator-row"][data-value="${value}"]`);

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh to install Chromium.`);
    if (!existsSync(WEB_INDEX))
      throw new Error(`The console is not built (${WEB_INDEX} is missing): run \`npm run build\` first.`);
    process.env.QUELL_ADMIN_EMAIL = ADMIN.email;
    process.env.QUELL_ADMIN_PASSWORD = ADMIN.password;
    dataDir = await mkdtemp(join(tmpdir(), 'quell-e2e-indicators-'));
    server = await startServer(loadConfig(process.env, { dataDir, port: 0, agentPort: 0, logLevel: 'warn' }));
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
    await browser?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('creates an indicator, imports a CSV reporting its bad row, filters and removes', async () => {
    const p = await loggedIn();
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
});
