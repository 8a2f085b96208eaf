// The REAL agent for benchmarks: a throwaway network namespace (`qbench-<id>`, a veth pair to the
// root namespace, a /30 from 10.251.0.0/16), the server as a child process bound to the root end
// (bench/agents/server-child.mjs, SQLite in a temp dir), and the built agent
// (packages/agent/bin/quell-agent.js) enrolled and run inside the namespace with its own nft table
// name and exec control off, so nothing it does reaches the host's firewall, and with the
// environment of the shipped systemd unit (AGENT_UNIT_ENV). Needs root.
// Like bench/agent-footprint.bench.mjs, which keeps its own copy of these steps.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, sleep, startServerChild } from '../agents/lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_BIN = join(here, '..', '..', 'packages', 'agent', 'bin', 'quell-agent.js');
const AGENT_UNIT = join(here, '..', '..', 'packages', 'agent', 'systemd', 'quell-agent.service');

/**
 * The `Environment=` settings of the shipped systemd unit (glibc malloc tuning), so the agent
 * runs here as it runs when installed.
 */
export const AGENT_UNIT_ENV = Object.fromEntries(
  readFileSync(AGENT_UNIT, 'utf8')
    .split('\n')
    .map((l) => /^Environment=([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s*$/.exec(l.trim()))
    .filter((m) => m !== null)
    .map((m) => [m[1], m[2]]),
);

const sh = (...argv) =>
  execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Builds the namespace and starts the server. `serverEnv` adds to the server child's env.
 * Returns the stack; call `startAgent()` to enroll and run the agent, `close()` to tear it all down.
 */
export async function createRealAgentStack({ serverEnv = {}, agentConfig = {}, name = 'bench' } = {}) {
  if (process.getuid?.() !== 0) throw new Error('needs root (ip netns).');
  const id = randomBytes(3).toString('hex');
  const ns = `qbench-${id}`;
  const vethRoot = `qbr${id}`;
  const vethNs = `qbn${id}`;
  const routes = sh('ip', '-4', 'route');
  let subnet;
  do subnet = `10.251.${randomInt(0, 256)}`;
  while (routes.includes(`${subnet}.`));
  const rootIp = `${subnet}.1`;
  const nsIp = `${subnet}.2`;
  const inNs = (...argv) => sh('ip', 'netns', 'exec', ns, ...argv);
  const dir = mkdtempSync(join(process.env.QUELL_BENCH_DIR || tmpdir(), `quell-${name}-`));
  const fsRoot = join(dir, 'fsroot');
  mkdirSync(join(fsRoot, 'tmp'), { recursive: true });
  const stateDir = join(dir, 'agent-state');
  const configPath = join(dir, 'agent.json');
  const logPath = join(dir, 'agent.log');
  let nsMade = false;
  let srv = null;
  let agent = null;

  const stack = {
    ns,
    dir,
    fsRoot,
    stateDir,
    logPath,
    srv: null,
    deviceId: null,
    pid: null,
    /** Enrolls the agent (first call) and runs it; resolves once the server shows it online. */
    async startAgent() {
      if (!stack.deviceId) {
        const [token] = await srv.tokens(1);
        writeFileSync(
          configPath,
          JSON.stringify(
            {
              logLevel: 'info',
              nft: { table: `qbench_${id}` },
              execControl: { enabled: false },
              fsRoot,
              ...agentConfig,
            },
            null,
            2,
          ),
        );
        inNs(
          process.execPath,
          AGENT_BIN,
          'enroll',
          '--server',
          srv.agentUrl,
          '--token',
          token,
          '--config',
          configPath,
          '--state-dir',
          stateDir,
        );
        stack.deviceId = JSON.parse(readFileSync(configPath, 'utf8')).deviceId;
      }
      const log = openSync(logPath, 'a');
      // `ip netns exec` execs node in place, so the child's pid is the agent's.
      // QUELL_BENCH_AGENT_NODE_ARGS passes flags to the agent's node only, e.g. "--cpu-prof".
      const nodeArgs = (process.env.QUELL_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
      agent = spawn(
        'ip',
        ['netns', 'exec', ns, process.execPath, ...nodeArgs, AGENT_BIN, 'run', '--config', configPath],
        {
          stdio: ['ignore', log, log],
          env: { ...process.env, ...AGENT_UNIT_ENV },
        },
      );
      stack.pid = agent.pid;
      stack.startedAt = performance.now();
      for (let i = 0; i < 300; i++) {
        await sleep(100);
        const d = await api(srv.url, srv.apiToken, 'GET', `/api/devices/${stack.deviceId}`);
        if (d.status === 200 && d.body.connectedAt !== null && d.body.health === 'online') return;
        if (agent.exitCode !== null) break;
      }
      throw new Error(`the agent did not connect; log:\n${stack.log().slice(-4000)}`);
    },
    log: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
    api: (method, path, body) => api(srv.url, srv.apiToken, method, path, body),
    async stopAgent() {
      if (!agent || agent.exitCode !== null) return;
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      const t = setTimeout(() => agent.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    async close() {
      await stack.stopAgent().catch(() => undefined);
      await srv?.stop().catch(() => undefined);
      if (nsMade) {
        try {
          sh('ip', 'link', 'del', vethRoot);
        } catch {
          // Gone with the namespace already.
        }
        try {
          sh('ip', 'netns', 'del', ns);
        } catch {
          // Already gone.
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    sh('ip', 'netns', 'add', ns);
    nsMade = true;
    sh('ip', 'link', 'add', vethRoot, 'type', 'veth', 'peer', 'name', vethNs);
    sh('ip', 'link', 'set', vethNs, 'netns', ns);
    sh('ip', 'addr', 'add', `${rootIp}/30`, 'dev', vethRoot);
    sh('ip', 'link', 'set', vethRoot, 'up');
    inNs('ip', 'addr', 'add', `${nsIp}/30`, 'dev', vethNs);
    inNs('ip', 'link', 'set', vethNs, 'up');
    inNs('ip', 'link', 'set', 'lo', 'up');
    srv = await startServerChild({
      QUELL_DATA_DIR: join(dir, 'server'),
      QUELL_AGENT_HOST: rootIp,
      QUELL_DISPATCH_INTERVAL_MS: '50',
      QUELL_LOG_LEVEL: 'silent',
      ...serverEnv,
    });
    stack.srv = srv;
    return stack;
  } catch (e) {
    await stack.close();
    throw e;
  }
}
