import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, startServer, type RunningServer } from '@quell/server';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'packages/cli/bin/quell.js');
export const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery-staple' };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra environment; `undefined` removes a variable the harness would set. */
  env?: Record<string, string | undefined>;
  /** Written to the CLI's stdin. */
  input?: string;
  /** Milliseconds before the child is killed. */
  timeoutMs?: number;
}

const LOCK = join(tmpdir(), 'quell-cli-build.lock');

/**
 * Builds the CLI (and what it references) so the tests run the real `bin/quell.js`. Test files run
 * in parallel workers; a lock directory keeps two of them from writing dist/ at once.
 */
export async function buildCli(): Promise<void> {
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a crashed run must not block forever.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 120_000)
        rmSync(LOCK, { recursive: true, force: true });
      if (waited > 180_000) throw new Error(`waited 3 minutes for ${LOCK}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const res = spawnSync(process.execPath, [tsc, '-b', 'packages/cli'], { cwd: ROOT, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`building the CLI failed:\n${res.stdout}${res.stderr}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Runs `node bin/quell.js ...args` as a child process (never blocking this process's server). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, opts: RunOptions = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...env };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** The environment a CLI child starts from: ours without any QUELL_* setting, and a private home. */
export function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('QUELL_')) env[k] = v;
  return { ...env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1' };
}

export interface TestServer {
  server: RunningServer;
  url: string;
  dir: string;
  /** Token of the admin's CLI session, from a real `quell login`. */
  adminToken: string;
  /** Runs the CLI as the admin (QUELL_URL + QUELL_TOKEN). */
  run(args: string[], opts?: RunOptions): Promise<CliResult>;
  /** Runs the CLI with no server settings at all: only what `opts.env` gives it. */
  runBare(args: string[], opts?: RunOptions): Promise<CliResult>;
  stop(): Promise<void>;
}

/** A real server in this process on a free port, over a fresh SQLite directory, and a logged-in admin. */
export async function startTestServer(): Promise<TestServer> {
  await buildCli();
  const dir = mkdtempSync(join(tmpdir(), 'quell-cli-'));
  process.env.QUELL_ADMIN_EMAIL = ADMIN.email;
  process.env.QUELL_ADMIN_PASSWORD = ADMIN.password;
  const config = loadConfig(
    { QUELL_ADMIN_EMAIL: ADMIN.email, QUELL_ADMIN_PASSWORD: ADMIN.password, QUELL_LOGIN_RATE_LIMIT: '1000' },
    { dataDir: join(dir, 'data'), port: 0, agentPort: 0, logLevel: 'silent' },
  );
  const server = await startServer(config);
  const home = join(dir, 'home');
  mkdirSync(home);
  const base = cleanEnv(home);
  const adminConfig = join(dir, 'admin-cli.json');
  const login = await runCli(
    ['login', '--url', server.url, '--email', ADMIN.email, '--password', ADMIN.password],
    {
      ...base,
      QUELL_CONFIG: adminConfig,
    },
  );
  if (login.code !== 0) throw new Error(`admin login failed: ${login.stderr}`);
  const adminToken = (JSON.parse(readFileSync(adminConfig, 'utf8')) as { token: string }).token;
  return {
    server,
    url: server.url,
    dir,
    adminToken,
    run: (args, opts) => runCli(args, { ...base, QUELL_URL: server.url, QUELL_TOKEN: adminToken }, opts),
    runBare: (args, opts) => runCli(args, base, opts),
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses the stdout of a `--json` run, failing with the CLI's stderr when it did not succeed. */
export function json<T>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`CLI exited ${String(r.code)}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A valid alert in Quell's schema; `n` keeps ids and titles apart. */
export function alert(n: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `cli-test-${n}`,
    title: `Suspicious activity ${n}`,
    severity: 'medium',
    category: 'Execution',
    detectionSource: 'cli-test',
    firstActivityAt: '2026-06-01T08:00:00.000Z',
    entities: [{ kind: 'device', hostname: `host${n}.example` }],
    ...over,
  };
}
