// Footprint of the REAL agent (packages/agent/bin/quell-agent.js run) connected and idle: RSS and
// CPU % of one core over QUELL_BENCH_IDLE_SECONDS (60). Target: ≤ 64 MB RSS, < 0.5% CPU.
//   node bench/agent-footprint.bench.mjs          (needs root: it makes a network namespace)
//   QUELL_BENCH_AGENT_VIA=quell node bench/agent-footprint.bench.mjs   (as `quell agent run`)
//
// By default it starts the agent the way the systemd unit does, through its own bin
// (packages/agent/bin/quell-agent.js); with QUELL_BENCH_AGENT_VIA=quell, through the `quell` CLI
// (packages/cli/bin/quell.js agent run), which loads its own commands first.
//
// The agent runs inside a throwaway network namespace (`ip netns add qbench-<id>`, a veth pair
// to reach the server in the root namespace, a /30 from 10.251.0.0/16) with its own nft table
// name, exec control disabled and no isolation desired, so nothing it does to nftables (the
// reconcile reads, the start-up delete of an undesired table) reaches the host's firewall. The
// server runs as a child process (bench/agents/server-child.mjs, SQLite in a temp dir) bound
// to the root end of the veth. Everything is removed at the end.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, mb, measureIdle, procSample, sleep, startServerChild, verdict } from './agents/lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const AGENT_BIN = join(here, '..', 'packages', 'agent', 'bin', 'quell-agent.js');
const QUELL_BIN = join(here, '..', 'packages', 'cli', 'bin', 'quell.js');
const VIA = process.env.QUELL_BENCH_AGENT_VIA || 'quell-agent';
if (VIA !== 'quell-agent' && VIA !== 'quell')
  throw new Error(`QUELL_BENCH_AGENT_VIA must be quell-agent or quell, not "${VIA}".`);
const RUN_ARGV = VIA === 'quell' ? [QUELL_BIN, 'agent', 'run'] : [AGENT_BIN, 'run'];
const IDLE_SECONDS = Number(process.env.QUELL_BENCH_IDLE_SECONDS || 60);
const SETTLE_SECONDS = 10;
const TARGET_RSS = 64 * 1024 * 1024;
const TARGET_CPU_PCT = 0.5;

const id = randomBytes(3).toString('hex');
const ns = `qbench-${id}`;
const vethRoot = `qbr${id}`;
const vethNs = `qbn${id}`;
const routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
let subnet;
do subnet = `10.251.${randomInt(0, 256)}`;
while (routes.includes(`${subnet}.`));
const rootIp = `${subnet}.1`;
const nsIp = `${subnet}.2`;
const sh = (...argv) =>
  execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (...argv) => sh('ip', 'netns', 'exec', ns, ...argv);

const dir = mkdtempSync(join(process.env.QUELL_BENCH_DIR || tmpdir(), 'quell-footprint-'));
let srv = null;
let agent = null;
let nsMade = false;
try {
  if (process.getuid?.() !== 0) throw new Error('needs root (ip netns).');
  // The namespace and its link to the root namespace.
  sh('ip', 'netns', 'add', ns);
  nsMade = true;
  sh('ip', 'link', 'add', vethRoot, 'type', 'veth', 'peer', 'name', vethNs);
  sh('ip', 'link', 'set', vethNs, 'netns', ns);
  sh('ip', 'addr', 'add', `${rootIp}/30`, 'dev', vethRoot);
  sh('ip', 'link', 'set', vethRoot, 'up');
  inNs('ip', 'addr', 'add', `${nsIp}/30`, 'dev', vethNs);
  inNs('ip', 'link', 'set', vethNs, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  console.log(`Namespace ${ns}: ${nsIp} ↔ ${rootIp} (root, ${vethRoot})`);

  srv = await startServerChild({
    QUELL_DATA_DIR: join(dir, 'server'),
    QUELL_AGENT_HOST: rootIp,
    QUELL_DISPATCH_INTERVAL_MS: '50',
    QUELL_LOG_LEVEL: 'silent',
  });
  console.log(`Server pid ${srv.pid}: agents at ${srv.agentUrl}`);
  const [token] = await srv.tokens(1);

  // Config first (the keys enroll does not write), then enroll inside the namespace.
  const config = join(dir, 'agent.json');
  const stateDir = join(dir, 'agent-state');
  writeFileSync(
    config,
    JSON.stringify(
      { logLevel: 'warn', nft: { table: `qbench_${id}` }, execControl: { enabled: false } },
      null,
      2,
    ),
  );
  const enrolled = inNs(
    process.execPath,
    AGENT_BIN,
    'enroll',
    '--server',
    srv.agentUrl,
    '--token',
    token,
    '--config',
    config,
    '--state-dir',
    stateDir,
  );
  console.log(enrolled.trim());
  const cfg = JSON.parse(readFileSync(config, 'utf8'));
  if (cfg.execControl?.enabled !== false || cfg.nft?.table !== `qbench_${id}`)
    throw new Error(`enroll dropped the bench keys from the config: ${JSON.stringify(cfg)}`);
  const deviceId = cfg.deviceId;

  // Run it; `ip netns exec` execs node in place, so the child's pid is the agent's.
  const log = openSync(join(dir, 'agent.log'), 'a');
  agent = spawn('ip', ['netns', 'exec', ns, process.execPath, ...RUN_ARGV, '--config', config], {
    stdio: ['ignore', log, log],
  });
  const pid = agent.pid;
  let connected = false;
  for (let i = 0; i < 100 && !connected; i++) {
    await sleep(200);
    const d = await api(srv.url, srv.apiToken, 'GET', `/api/devices/${deviceId}`);
    connected = d.status === 200 && d.body.connectedAt !== null && d.body.health === 'online';
  }
  const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  if (!connected)
    throw new Error(`the agent did not connect; log:\n${readFileSync(join(dir, 'agent.log'), 'utf8')}`);
  console.log(
    `Agent pid ${pid} (${comm}, started as \`${VIA === 'quell' ? 'quell agent run' : 'quell-agent run'}\`) connected as ${deviceId}; exec control off, no isolation desired, nft table qbench_${id} in ${ns}`,
  );
  console.log(`Settling ${SETTLE_SECONDS} s, then sampling /proc/${pid} every second for ${IDLE_SECONDS} s`);
  await sleep(SETTLE_SECONDS * 1000);
  const idle = await measureIdle(pid, IDLE_SECONDS);
  const d = await api(srv.url, srv.apiToken, 'GET', `/api/devices/${deviceId}`);
  const cpuPass = idle.cpuPct < TARGET_CPU_PCT;
  const rssPass = idle.rssMax <= TARGET_RSS;
  console.log(
    `  CPU ${idle.cpuPct.toFixed(2)}% of one core (${idle.cpuSec.toFixed(2)} CPU-s over ${idle.seconds.toFixed(1)} s), target < ${TARGET_CPU_PCT}%: ${verdict(cpuPass)}`,
  );
  console.log(
    `  (its child processes, the nft read-backs of its reconcile loop: ${idle.childCpuPct.toFixed(2)}% more, ${idle.childCpuSec.toFixed(2)} CPU-s)`,
  );
  console.log(
    `  RSS max ${mb(idle.rssMax)}, mean ${mb(idle.rssMean)}, end ${mb(idle.rssEnd)}, peak since start ${mb(idle.hwm)}; target ≤ 64 MB: ${verdict(rssPass)}`,
  );
  console.log(
    `  device at the end: health ${d.body.health}, isolation ${d.body.isolation.state}, issues ${JSON.stringify(d.body.issues)}`,
  );
  const warnings = readFileSync(join(dir, 'agent.log'), 'utf8').trim();
  if (warnings)
    console.log(
      `  agent log (warn and above):\n${warnings
        .split('\n')
        .slice(-10)
        .map((l) => `    ${l}`)
        .join('\n')}`,
    );
  console.log(
    `SUMMARY agent-footprint${VIA === 'quell' ? ' (quell agent run)' : ''}: RSS max ${mb(idle.rssMax)}, mean ${mb(idle.rssMean)}, CPU ${idle.cpuPct.toFixed(2)}% over ${IDLE_SECONDS} s — ${verdict(cpuPass && rssPass)}`,
  );
} catch (e) {
  console.log(`SUMMARY agent-footprint: ERROR ${e.message}`);
  console.error(e);
} finally {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    const t = setTimeout(() => agent.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  await srv?.stop().catch(() => undefined);
  if (nsMade) {
    try {
      sh('ip', 'link', 'del', vethRoot);
    } catch {
      // Gone with the namespace already.
    }
    sh('ip', 'netns', 'del', ns);
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
