// Indicator time to effect across a simulated fleet (issue 4): N simulated agents (default
// 10,000; bench/agents/sim-fleet.mjs, the real protocol and the real agent's sync logic, no OS
// effects) connected to a Quell server in its own process; then, QUELL_BENCH_ROUNDS times, one
// new block indicator through the API, timed from just before `POST /api/indicators` to the
// moment each agent has applied the delta that carries it. Target: every online agent within 5 s.
//   node bench/agents/sim-indicators.mjs
// Env: QUELL_BENCH_AGENTS (10000), QUELL_BENCH_ROUNDS (5), QUELL_BENCH_SETTLE_SECONDS (15),
// QUELL_BENCH_SEED, QUELL_BENCH_DIR (temp dir). Build first: npx tsc -b tsconfig.build.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRandom } from '../lib/prng.mjs';
import { api, mb, ms, nofile, percentile, procSample, sleep, startServerChild, verdict } from './lib.mjs';
import { fleetCounters, startFleet } from './sim-fleet.mjs';

const int = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not "${v}".`);
  return n;
};
const N = int('QUELL_BENCH_AGENTS', 10_000);
const ROUNDS = int('QUELL_BENCH_ROUNDS', 5);
const SETTLE_SECONDS = int('QUELL_BENCH_SETTLE_SECONDS', 15);
const SEED = int('QUELL_BENCH_SEED', 20_260_601);
const WINDOW_MS = 5000;
const TARGET_PCT = 99;
const ROUND_TIMEOUT_MS = 60_000;

// Every socket is a descriptor, in this process and in the server's.
if (!process.env.QUELL_BENCH_REEXEC && nofile().soft < N + 2000) {
  const want = 200_000;
  const ok = spawnSync('prlimit', [`--nofile=${want}:${want}`, 'true']).status === 0;
  const limit = ok ? want : nofile().hard;
  if (limit > nofile().soft) {
    const child = spawn(
      'prlimit',
      [`--nofile=${limit}:${limit}`, process.execPath, ...process.argv.slice(1)],
      {
        stdio: 'inherit',
        env: { ...process.env, QUELL_BENCH_REEXEC: '1' },
      },
    );
    child.on('exit', (code) => process.exit(code ?? 1));
    await new Promise(() => undefined);
  }
}

const rand = createRandom(SEED);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
/** The value watched this round and, per agent, when it took it (NaN until then). */
let watched = null;
let arrivals = new Float64Array(N).fill(NaN);
let held = 0;

const dir = mkdtempSync(join(process.env.QUELL_BENCH_DIR || tmpdir(), 'quell-simioc-'));
let srv = null;
let fleet = null;
try {
  out(`Simulated agents: ${N}; rounds ${ROUNDS}; node ${process.version}; load average ${load()}`);
  srv = await startServerChild({
    QUELL_DATA_DIR: dir,
    QUELL_DISPATCH_INTERVAL_MS: '50',
    QUELL_LOG_LEVEL: 'silent',
  });
  out(`Server pid ${srv.pid}: API ${srv.url}, agents ${srv.agentUrl}, SQLite in ${dir}, dispatcher 50 ms`);
  fleet = await startFleet(srv, N, {
    out,
    onHeld: (agent, indicator, at) => {
      if (indicator.value === watched && Number.isNaN(arrivals[agent.i])) {
        arrivals[agent.i] = at;
        held++;
      }
    },
  });
  out(`Settling ${SETTLE_SECONDS} s (initial syncs, heartbeats); load average ${load()}`);
  await sleep(SETTLE_SECONDS * 1000);
  const synced = fleet.agents.filter((a) => a.version !== null).length;
  out(`Agents holding a feed version after the initial sync: ${synced}/${N}`);

  const pooled = [];
  const pooledFan = [];
  const rows = [];
  let pooledOnline = 0;
  let pooledWithin = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    watched = rand.hex(64);
    arrivals = new Float64Array(N).fill(NaN);
    held = 0;
    const online = fleet.agents.filter((a) => a.online).length;
    const cpu0 = procSample(srv.pid);
    const start = performance.now();
    const r = await api(srv.url, srv.apiToken, 'POST', '/api/indicators', {
      type: 'sha256',
      value: watched,
      action: 'block',
      title: `bench round ${round}`,
    });
    const postMs = performance.now() - start;
    if (r.status !== 201 || r.body.outcome !== 'applied')
      throw new Error(`POST /api/indicators → ${r.status}: ${JSON.stringify(r.body)}`);
    while (held < online && performance.now() - start < ROUND_TIMEOUT_MS) await sleep(20);
    const cpu1 = procSample(srv.pid);
    const lat = Array.from(arrivals)
      .filter((v) => !Number.isNaN(v))
      .map((v) => v - start)
      .sort((a, b) => a - b);
    const within = lat.filter((v) => v <= WINDOW_MS).length;
    // The same arrivals counted from the POST's answer: the change is committed and announced by
    // then, so this is the fan-out alone, without the action pipeline in front of it.
    const fan = lat.map((v) => v - postMs);
    pooled.push(...lat);
    pooledFan.push(...fan);
    pooledOnline += online;
    pooledWithin += within;
    const row = {
      round,
      online,
      post: postMs,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      max: lat.at(-1) ?? NaN,
      pct: (within / online) * 100,
      missing: online - lat.length,
      serverCpuSec: cpu1.cpuSec - cpu0.cpuSec,
      rev: r.body.indicator.rev,
      fanP50: percentile(fan, 50),
      fanP99: percentile(fan, 99),
    };
    rows.push(row);
    out(
      `  round ${round}: rev ${row.rev}, POST answered in ${ms(postMs)}; at the agents p50 ${ms(row.p50)}, p99 ${ms(row.p99)}, max ${ms(row.max)}; ${row.pct.toFixed(2)}% of ${online} within 5 s; after the answer p50 ${ms(row.fanP50)}, p99 ${ms(row.fanP99)}; ${row.missing} never; server CPU ${row.serverCpuSec.toFixed(2)} s; load ${load()}`,
    );
    await sleep(3000);
  }
  pooled.sort((a, b) => a - b);
  pooledFan.sort((a, b) => a - b);
  const pct = (pooledWithin / pooledOnline) * 100;
  const end = procSample(srv.pid);
  out(
    `\nAll ${ROUNDS} rounds (${pooled.length} arrivals): p50 ${ms(percentile(pooled, 50))}, p95 ${ms(percentile(pooled, 95))}, p99 ${ms(percentile(pooled, 99))}, max ${ms(pooled.at(-1) ?? NaN)}; ${pct.toFixed(2)}% within 5 s`,
  );
  out(
    `Counted from the POST's answer (fan-out alone): p50 ${ms(percentile(pooledFan, 50))}, p99 ${ms(percentile(pooledFan, 99))}, max ${ms(pooledFan.at(-1) ?? NaN)}; POST answered p50 ${ms(
      percentile(
        rows.map((x) => x.post).sort((a, b) => a - b),
        50,
      ),
    )}`,
  );
  out(
    `Protocol: ${fleetCounters.syncRequests} indicators_sync sent, ${fleetCounters.deltas} deltas and ${fleetCounters.snapshots} snapshots applied, ${fleetCounters.versionGaps} version gaps; agents still connected ${fleetCounters.connected - fleetCounters.closed}/${N}`,
  );
  out(`Server RSS at the end ${mb(end.rss)}, peak ${mb(end.hwm)}; load average ${load()}`);
  const pass = pct >= TARGET_PCT;
  out(
    `SUMMARY sim-indicators (${N} agents, ${ROUNDS} rounds): ${pct.toFixed(2)}% within 5 s (target ≥ ${TARGET_PCT}%), p50 ${ms(percentile(pooled, 50))}, p99 ${ms(percentile(pooled, 99))} — ${verdict(pass)}`,
  );
  process.exitCode = pass ? 0 : 1;
} finally {
  fleet?.stop();
  await srv?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);

function out(s) {
  console.log(s);
}
