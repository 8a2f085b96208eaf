// Shared by the agent benchmarks: the server child process, /proc sampling, HTTP helpers, stats.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks.

/** Starts bench/agents/server-child.mjs with `env`; resolves once it listens. */
export function startServerChild(env) {
  const child = fork(join(here, 'server-child.mjs'), [], {
    env: { ...process.env, ...env },
    // QUELL_BENCH_SERVER_NODE_ARGS passes flags to the server's node only, e.g. "--cpu-prof".
    execArgv: (process.env.QUELL_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    if (m.type === 'ready') return;
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.type === 'error') w.reject(new Error(m.message));
    else w.resolve(m);
  });
  const ready = new Promise((resolve, reject) => {
    child.once('message', (m) => (m.type === 'ready' ? resolve(m) : reject(new Error(JSON.stringify(m)))));
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
  return ready.then((info) => ({
    ...info,
    child,
    /** n enrollment tokens, created in the server process through services.enrollment.createToken. */
    async tokens(n) {
      const id = ++seq;
      const p = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
      child.send({ type: 'tokens', id, n });
      return (await p).tokens;
    },
    /** Starts or stops (writing `file`) a CPU profile of the server process. */
    async profile(action, file) {
      const id = ++seq;
      const p = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
      child.send({ type: 'profile', id, action, file });
      await p;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  }));
}

/** CPU seconds (user+system) and RSS/peak RSS (bytes) of a process, from /proc. */
export function procSample(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": field 3 is f[0]; utime is field 14, stime 15.
  const cpuSec = (Number(f[11]) + Number(f[12])) / CLK_TCK;
  // cutime + cstime: children it has waited for (the agent's nft runs).
  const childCpuSec = (Number(f[13]) + Number(f[14])) / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { at: performance.now(), cpuSec, childCpuSec, rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Samples a process every second for `seconds`; CPU % of one core over the window, RSS max/mean/end. */
export async function measureIdle(pid, seconds) {
  const first = procSample(pid);
  const rss = [];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    rss.push(procSample(pid).rss);
  }
  const last = procSample(pid);
  const secs = (last.at - first.at) / 1000;
  const cpuPct = ((last.cpuSec - first.cpuSec) / secs) * 100;
  return {
    childCpuSec: last.childCpuSec - first.childCpuSec,
    childCpuPct: ((last.childCpuSec - first.childCpuSec) / secs) * 100,
    seconds: (last.at - first.at) / 1000,
    cpuSec: last.cpuSec - first.cpuSec,
    cpuPct,
    rssMax: Math.max(...rss),
    rssMean: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssEnd: last.rss,
    hwm: last.hwm,
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });

/** JSON over the console HTTP API with an API token. */
export function api(base, token, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        agent: httpAgent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload !== undefined && { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode, body: json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
export const ms = (v) => `${v.toFixed(1)} ms`;
export const verdict = (ok) => (ok ? 'PASS' : 'FAIL');

/** Open-files limit of this process (soft, hard). */
export function nofile() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line.split(/\s+/).slice(3, 5);
  return { soft: Number(soft) || Infinity, hard: Number(hard) || Infinity };
}

// --- what every simulated agent sends --------------------------------------------------------------
const offVerified = { state: 'off', checkedAt: 0, actionId: null, evidence: null, error: null };
/** A device with nothing enforced, as its agent reports it. */
export const OFF_STATE = { isolation: offVerified, restriction: offVerified, issues: [] };

/** A simulated device's inventory. */
export const inventory = (hostname) => ({
  hostname,
  os: 'Debian GNU/Linux',
  osVersion: '12',
  kernel: '6.1.0-sim',
  arch: 'x86_64',
  addresses: ['10.0.0.5'],
  agentVersion: '0.1.0-sim',
  machineId: `mid-${hostname}`,
  capabilities: ['nftables', 'yara'],
});

/** `POST /agent/v1/enroll` over HTTPS through `httpsAgent` (keep-alive, certificate not checked: the bench pins it). */
export function enroll(httpsAgent, agentUrl, body) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${agentUrl}/agent/v1/enroll`,
      { method: 'POST', agent: httpsAgent, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`enroll ${res.statusCode}: ${text}`));
          resolve(JSON.parse(text));
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
