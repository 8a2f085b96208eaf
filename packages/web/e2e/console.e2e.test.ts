import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_STATUSES } from '@quell/core';
import { loadConfig, startServer, type RunningServer } from '@quell/server';

// The console end to end: the built web app served by a real server with the demo data, driven in
// headless Chromium. Screenshots of each test's last page go to the OS temp dir, never the repo.

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const WEB_INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url));
const SHOTS = join(tmpdir(), 'quell-e2e');
const ADMIN = { email: 'admin@quell.test', password: 'e2e-correct-horse-battery' };
/** What "approved" may have become by the time we look: the dispatcher can move it along. */
const APPROVED_OR_LATER = ['queued', 'dispatched', 'running', 'succeeded', 'failed'];

if (!HAVE_CHROMIUM && !process.env.CI) {
  console.warn(
    `Skipping the browser tests: ${CHROMIUM} is missing. Run scripts/install-test-deps.sh to install it.`,
  );
}

/** RFC 4180: quoted cells may hold commas, doubled quotes and line breaks (comments are free text). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && (ch === '\n' || ch === '\r')) {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += ch;
    }
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('the web console in Chromium', () => {
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let token: string;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  /** Set by the approval test; the export test checks that the decision shows up in the CSV. */
  let approvedId: string | undefined;

  const api = async (path: string): Promise<any> => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, `GET ${path}`).toBe(200);
    return res.json();
  };

  /** A fresh browser context (no cookies), logged in through the login page. */
  async function loggedIn(): Promise<Page> {
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
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
      throw new Error(
        `${CHROMIUM} is missing: run scripts/install-test-deps.sh to install Chromium for the browser tests.`,
      );
    if (!existsSync(WEB_INDEX))
      throw new Error(`The console is not built (${WEB_INDEX} is missing): run \`npm run build\` first.`);
    process.env.QUELL_ADMIN_EMAIL = ADMIN.email;
    process.env.QUELL_ADMIN_PASSWORD = ADMIN.password;
    dataDir = await mkdtemp(join(tmpdir(), 'quell-e2e-data-'));
    server = await startServer(loadConfig(process.env, { dataDir, port: 0, logLevel: 'warn' }), {
      demo: true,
    });
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ADMIN, mode: 'token' }),
    });
    expect(login.status, 'API login').toBe(200);
    token = ((await login.json()) as { token: string }).token;
    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterEach(async (ctx) => {
    // Pass or fail, keep a picture of where the test ended.
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

  it('logs in, opens an incident and sees its attack story graph', async () => {
    const p = await loggedIn();
    const row = p.getByTestId('incident-row').first();
    await row.waitFor();
    expect(await p.getByTestId('incident-row').count()).toBeGreaterThan(1);
    const incidentId = await row.getAttribute('data-incident-id');
    expect(incidentId).toBeTruthy();
    await row.click();

    await p.waitForURL(`**/incidents/${encodeURIComponent(incidentId!)}`);
    const incident = await api(`/api/incidents/${encodeURIComponent(incidentId!)}`);
    const title = p.getByTestId('incident-title');
    await title.waitFor({ state: 'visible' });
    expect((await title.innerText()).trim()).toBe(incident.title);

    const story = p.getByTestId('attack-story');
    await story.locator('canvas').first().waitFor({ state: 'attached' });
    const box = await story.boundingBox();
    expect(box?.width).toBeGreaterThan(0);
    expect(box?.height).toBeGreaterThan(0);
    // Sized canvases are not enough: cytoscape must have drawn the story on one of them.
    const canvases = () =>
      story.evaluate((el) =>
        [...el.querySelectorAll('canvas')].map((c) => {
          const px =
            c.width > 0 && c.height > 0
              ? c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data
              : undefined;
          let painted = 0;
          for (let i = 3; i < (px?.length ?? 0); i += 4) if (px![i]! > 0) painted++;
          return { width: c.clientWidth, height: c.clientHeight, painted };
        }),
      );
    await expect
      .poll(async () => (await canvases()).some((c) => c.painted > 0), { timeout: 15_000 })
      .toBe(true);
    expect((await canvases()).some((c) => c.width > 0 && c.height > 0)).toBe(true);
  });

  it('approves a pending action in the Action Center', async () => {
    const p = await loggedIn();
    await p.goto(`${server.url}/actions`);
    await p.getByTestId('tab-pending').click();
    const row = p.locator('[data-testid="action-row"][data-status="pending_approval"]').first();
    await row.waitFor();
    const id = await row.getAttribute('data-action-id');
    expect(id).toBeTruthy();
    await row.click();

    await p.waitForURL(`**/actions/${encodeURIComponent(id!)}`);
    await p.locator('[data-testid="action-status"][data-status="pending_approval"]').waitFor();
    await p.getByTestId('action-approve').click();
    const confirm = p.getByTestId('action-approve-confirm');
    const decided = p.locator('[data-testid="action-status"]:not([data-status="pending_approval"])');
    await confirm.or(decided).first().waitFor();
    if (await confirm.isVisible()) await confirm.click();
    await decided.waitFor();
    await confirm.waitFor({ state: 'hidden' });
    expect(APPROVED_OR_LATER).toContain(await decided.getAttribute('data-status'));
    expect((await decided.innerText()).toLowerCase()).not.toContain('pending');

    const action = await api(`/api/actions/${encodeURIComponent(id!)}`);
    expect(APPROVED_OR_LATER).toContain(action.status);
    expect(action.decidedBy).toBe(ADMIN.email);
    approvedId = id!;
  });

  it('exports the Action Center as CSV with the rows of the view on screen', async () => {
    expect(approvedId, 'the approval test runs before the export test').toBeDefined();
    const p = await loggedIn();
    await p.goto(`${server.url}/actions`);
    // The approved action is Pending while it waits for its executor, History once it finished.
    const { status } = await api(`/api/actions/${encodeURIComponent(approvedId!)}`);
    const tab = (PENDING_STATUSES as readonly string[]).includes(status) ? 'pending' : 'history';
    await p.getByTestId(`tab-${tab}`).click();
    await p.locator(`[data-testid="action-row"][data-action-id="${approvedId}"]`).waitFor();
    const onScreen = await p
      .getByTestId('action-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action-id')));

    const href = await p.getByTestId('actions-export').getAttribute('href');
    expect(href).toContain(`view=${tab}`);
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      p.getByTestId('actions-export').click(),
    ]);
    const file = await download.path();
    const csv = await readFile(file, 'utf8');
    const [header, ...rows] = parseCsv(csv);
    expect(header?.join(',')).toMatch(/^id,createdAt/);
    const csvIds = rows.map((r) => r[0]);

    const apiIds: string[] = [];
    const query = new URL(href!, server.url).searchParams;
    let cursor: string | null = null;
    do {
      if (cursor) query.set('cursor', cursor);
      query.set('limit', '100');
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = await api(
        `/api/actions?${query.toString()}`,
      );
      apiIds.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);

    expect(csvIds).toEqual(apiIds);
    expect(csvIds).toEqual(onScreen);
    expect(csvIds).toContain(approvedId);
    // More than the one approved: demo actions whose executors are not installed wait there too.
    if (tab === 'pending') expect(csvIds.length).toBeGreaterThan(1);
    const approvedRow = rows.find((r) => r[0] === approvedId);
    expect(approvedRow?.[header!.indexOf('decidedBy')]).toBe(ADMIN.email);
  });
});
