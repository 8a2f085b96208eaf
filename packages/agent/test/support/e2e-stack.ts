import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, startServer, type RunningServer } from '@quell/server';
import { createLab, ROOT as ROOT_NODE, type NetLab } from './netns.js';
import { cmd, ROOT, requirements } from './requirements.js';

/**
 * End-to-end stack for the agent e2e suites: a network lab (`dev`, `peer`), a real server in this
 * process (SQLite in a temp data dir, HTTP on 127.0.0.1, agent listener on the lab's root
 * address), and the real built `quell-agent` running as root inside `dev`.
 */

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const AGENT_BIN = join(REPO, 'packages/agent/bin/quell-agent.js');
const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery-staple' };
export const HEARTBEAT_MS = 1000;

export const e2eMissing = (extra: Parameters<typeof requirements>[0] = []): string[] =>
  requirements([ROOT, cmd('nft', 'nftables'), cmd('ip', 'iproute2'), ...extra]);

/** Builds the agent (and what it references) so the tests run the real bin. */
export function buildAgent(): void {
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-b', 'packages/agent'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the agent failed:\n${r.stdout}${r.stderr}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(
  fn: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms = 5000,
  what = 'condition',
  stepMs = 50,
): Promise<T> {
  const end = Date.now() + ms;
  let last = await fn();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms; last: ${JSON.stringify(last)}`);
    await sleep(stepMs);
    last = await fn();
  }
  return last;
}

/** A port nothing listens on right now at `host`. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A clock that runs with real time plus an offset the test may move (action TTLs). */
export class OffsetClock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

export interface ApiResult {
  status: number;
  body: any;
}

/** A server in this process, restartable on the same data dir and agent port. */
export class E2eServer {
  running: RunningServer | null = null;
  token = '';
  readonly clock = new OffsetClock();

  constructor(
    readonly dataDir: string,
    readonly agentHost: string,
    readonly agentPort: number,
  ) {}

  async start(): Promise<void> {
    const config = loadConfig(
      {
        QUELL_ADMIN_EMAIL: ADMIN.email,
        QUELL_ADMIN_PASSWORD: ADMIN.password,
        QUELL_LOGIN_RATE_LIMIT: '1000',
        QUELL_AGENT_HEARTBEAT_MS: String(HEARTBEAT_MS),
        QUELL_DISPATCH_INTERVAL_MS: '100',
      },
      {
        dataDir: this.dataDir,
        port: 0,
        host: '127.0.0.1',
        agentPort: this.agentPort,
        agentHost: this.agentHost,
        logLevel: 'silent',
      },
    );
    this.running = await startServer(config, { clock: this.clock });
    const login = await this.api('POST', '/api/auth/login', { ...ADMIN, mode: 'token' });
    if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
    this.token = login.body.token as string;
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = null;
    await r?.close();
  }

  get url(): string {
    if (!this.running) throw new Error('server not running');
    return this.running.url;
  }

  async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(this.token && { authorization: `Bearer ${this.token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  async api(method: string, path: string, body?: unknown): Promise<ApiResult> {
    const res = await this.fetch(method, path, body);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  }

  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.api(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

/** The real agent process in a lab node. */
export class E2eAgent {
  child: ChildProcess | null = null;
  log = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  startedAt = 0;

  constructor(
    private readonly lab: NetLab,
    readonly config: string,
    readonly node = 'dev',
  ) {}

  start(): void {
    if (this.child) throw new Error('agent already running');
    this.startedAt = Date.now();
    const child = this.lab.spawn(this.node, process.execPath, [AGENT_BIN, 'run', '--config', this.config]);
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        resolve({ code, signal });
      }),
    );
    this.child = child;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Kills the agent (SIGKILL by default) and waits for it to be gone. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exit;
  }

  patchConfig(patch: Record<string, unknown>): void {
    const cur = JSON.parse(readFileSync(this.config, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete cur[k];
      else cur[k] = v;
    }
    writeFileSync(this.config, JSON.stringify(cur, null, 2));
  }

  readConfig(): Record<string, unknown> {
    return JSON.parse(readFileSync(this.config, 'utf8')) as Record<string, unknown>;
  }
}

export interface Stack {
  lab: NetLab;
  server: E2eServer;
  agent: E2eAgent;
  deviceId: string;
  dir: string;
  fsRoot: string;
  stateDir: string;
  table: string;
  /** Runs nft in `dev`. */
  nft(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  tableExists(): Promise<boolean>;
  device(): Promise<any>;
  request(type: string, params?: Record<string, unknown>, extra?: Record<string, unknown>): Promise<any>;
  action(id: string): Promise<any>;
  waitAction(id: string, statuses: string[], ms?: number, stepMs?: number): Promise<any>;
  waitOnline(ms?: number): Promise<any>;
  /** Records in the agent's executed store for an action (0 or 1). */
  executedRecords(actionId: string): number;
  close(): Promise<void>;
}

/**
 * Builds the whole stack: lab, server, an enrollment token from the API, `quell-agent enroll`
 * run inside `dev`, the config completed for tests, and the agent started and online.
 */
export async function createStack(opts: { prepareFs?: (fsRoot: string) => void } = {}): Promise<Stack> {
  buildAgent();
  const dir = mkdtempSync(join(tmpdir(), 'quell-e2e-'));
  const fsRoot = join(dir, 'fsroot');
  mkdirSync(join(fsRoot, 'tmp'), { recursive: true });
  opts.prepareFs?.(fsRoot);
  const stateDir = join(dir, 'state');
  const cfg = join(dir, 'agent.json');
  let lab: NetLab | null = null;
  let server: E2eServer | null = null;
  let agent: E2eAgent | null = null;
  try {
    lab = await createLab({ nodes: ['dev', 'peer'], rootLink: true });
    const l = lab;
    const table = `quell_e2e_${lab.id}`;
    const rootIp = lab.ip(ROOT_NODE);
    server = new E2eServer(join(dir, 'data'), rootIp, await freePort(rootIp));
    await server.start();
    const s = server;
    const tok = await s.ok('POST', '/api/enrollment-tokens', { label: 'e2e' });
    const enroll = await l.exec('dev', process.execPath, [
      AGENT_BIN,
      'enroll',
      '--server',
      tok.agentUrl,
      '--token',
      tok.token,
      '--config',
      cfg,
      '--state-dir',
      stateDir,
    ]);
    if (enroll.code !== 0)
      throw new Error(`enroll failed (${enroll.code}): ${enroll.stdout}${enroll.stderr}`);
    agent = new E2eAgent(l, cfg);
    const a = agent;
    a.patchConfig({
      fsRoot,
      logLevel: 'debug',
      nft: { table },
      execControl: { enabled: false },
      scan: { clamdSocket: join(dir, 'no-clamd.sock'), cpuLimit: 4 },
    });
    const deviceId = a.readConfig().deviceId as string;
    const nft = (args: string[]) => l.exec('dev', 'nft', args);
    const stack: Stack = {
      lab: l,
      server: s,
      agent: a,
      deviceId,
      dir,
      fsRoot,
      stateDir,
      table,
      nft,
      tableExists: async () => (await nft(['list', 'table', 'inet', table])).code === 0,
      device: () => s.ok('GET', `/api/devices/${deviceId}`),
      request: (type, params = {}, extra = {}) =>
        s.ok('POST', '/api/actions', { type, target: { kind: 'device', id: deviceId }, params, ...extra }),
      action: (id) => s.ok('GET', `/api/actions/${id}`),
      waitAction: (id, statuses, ms = 20_000, stepMs = 50) =>
        eventually(
          () => s.ok('GET', `/api/actions/${id}`),
          (x) => statuses.includes(x.status),
          ms,
          `action ${id} in ${statuses.join('/')}`,
          stepMs,
        ),
      waitOnline: (ms = 15_000) =>
        eventually(
          () => s.ok('GET', `/api/devices/${deviceId}`),
          (d) => d.health === 'online' && d.isolation.checkedAt !== null,
          ms,
          'device online',
        ),
      executedRecords: (actionId) => {
        try {
          readFileSync(join(stateDir, 'executed', `a_${actionId}.json`));
          return 1;
        } catch {
          return 0;
        }
      },
      async close() {
        await a.stop().catch(() => undefined);
        await s.stop().catch(() => undefined);
        await nft(['delete', 'table', 'inet', table]).catch(() => undefined);
        await l.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    a.start();
    await stack.waitOnline(20_000).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${a.log}`);
    });
    return stack;
  } catch (e) {
    await agent?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await lab?.destroy().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
