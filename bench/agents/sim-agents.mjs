// Load harness: N simulated agents (the agent protocol, no OS effects) against a Quell server in
// a separate process, and the three scale figures of ARCHITECTURE §10 for the agent channel.
//   node bench/agents/sim-agents.mjs            (QUELL_BENCH_AGENTS=10000 by default)
// Env: QUELL_BENCH_AGENTS (10000), QUELL_BENCH_ISOLATE_SAMPLE (200), QUELL_BENCH_ISOLATE_CONCURRENCY (4),
// QUELL_BENCH_IDLE_SECONDS (60), QUELL_BENCH_DIR (temp dir).
//
// Each simulated device enrolls with its own Ed25519 key and token (tokens created in the server
// process through services.enrollment.createToken), keeps one WebSocket, signs its hello,
// verifies command signatures, heartbeats at the server's interval, answers isolate_device with a
// `state` message (isolation verified 'on') then a succeeded result, and every other command with
// a succeeded result, like the test fake agent.
import { spawnSync, spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { stringify } from 'safe-stable-stringify';
import {
  api,
  enroll,
  inventory,
  mb,
  measureIdle,
  ms,
  nofile,
  OFF_STATE,
  percentile,
  pool,
  procSample,
  sleep,
  startServerChild,
  verdict,
} from './lib.mjs';

const int = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not "${v}".`);
  return n;
};
const N = int('QUELL_BENCH_AGENTS', 10_000);
const ISOLATE_SAMPLE = Math.min(N, int('QUELL_BENCH_ISOLATE_SAMPLE', 200));
const ISOLATE_CONCURRENCY = int('QUELL_BENCH_ISOLATE_CONCURRENCY', 4);
const IDLE_SECONDS = int('QUELL_BENCH_IDLE_SECONDS', 60);
const TARGET_ISOLATE_P99_MS = 500;
const TARGET_FANOUT_PCT = 99;
const FANOUT_WINDOW_MS = 5000;
const TARGET_IDLE_CPU_PCT = 20;
const TARGET_IDLE_RSS = 1024 ** 3;

// --- open files: every socket is a descriptor, in this process and in the server's -----------
const WANT_FILES = 200_000;
if (!process.env.QUELL_BENCH_REEXEC) {
  const { soft, hard } = nofile();
  if (soft < N + 2000) {
    const wanted = spawnSync('prlimit', [`--nofile=${WANT_FILES}:${WANT_FILES}`, 'true']).status === 0;
    const limit = wanted ? WANT_FILES : hard;
    if (limit > soft) {
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
}

// --- the simulated agent ------------------------------------------------------------------------
const RESULTS = {
  isolate_device: { verified: true, rulesetHash: 'abc123', reachedServer: true },
  release_device: { verified: true },
  restrict_app_execution: { verified: true },
  remove_app_restriction: { verified: true },
  run_av_scan: { filesScanned: 10, filesSkipped: 0, detections: 0, engines: ['hash'], durationMs: 5 },
};

/** When each command reached an agent (performance.now()), by action id. */
const arrivals = new Map();
const resultAcks = new Map();
const counters = { connected: 0, closed: 0, badSignature: 0, commands: 0, scanArrivals: 0 };
let serverKey = null;
let wsUrl = '';
let certPin = '';

class SimAgent {
  constructor(i, hostname, privateKey) {
    this.i = i;
    this.hostname = hostname;
    this.privateKey = privateKey;
    this.deviceId = null;
    this.ws = null;
    this.state = OFF_STATE;
    this.online = false;
  }

  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { rejectUnauthorized: false, perMessageDeflate: false });
      this.ws = ws;
      ws.on('upgrade', (res) => {
        const pin = createHash('sha256').update(res.socket.getPeerCertificate().raw).digest('hex');
        if (pin !== certPin) ws.terminate();
      });
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.type === 'welcome') {
          this.online = true;
          counters.connected++;
          resolve();
          return;
        }
        this.onMessage(msg);
      });
      ws.on('close', (code) => {
        if (this.online) counters.closed++;
        this.online = false;
        reject(new Error(`closed with ${code}`));
      });
      ws.on('error', () => undefined);
    });
  }

  onMessage(msg) {
    switch (msg.type) {
      case 'challenge': {
        const text = `quell-agent-hello-v1\n${this.deviceId}\n${msg.nonce}`;
        this.send({
          type: 'hello',
          deviceId: this.deviceId,
          protocol: 1,
          signature: sign(null, Buffer.from(text), this.privateKey).toString('base64'),
          inventory: inventory(this.hostname),
          state: this.state,
          running: [],
        });
        return;
      }
      case 'command': {
        const t = performance.now();
        const cmd = msg.command;
        counters.commands++;
        const signed = Buffer.from(`quell-command-v1\n${stringify(cmd)}`, 'utf8');
        if (!verify(null, signed, serverKey, Buffer.from(msg.signature, 'base64'))) {
          counters.badSignature++;
          this.send({
            type: 'ack',
            actionId: cmd.actionId,
            status: 'refused',
            reason: 'signature does not verify',
          });
          return;
        }
        if (!arrivals.has(cmd.actionId)) {
          arrivals.set(cmd.actionId, t);
          if (cmd.type === 'run_av_scan') counters.scanArrivals++;
        }
        this.send({ type: 'ack', actionId: cmd.actionId, status: 'accepted' });
        if (cmd.type === 'isolate_device' || cmd.type === 'release_device') {
          const on = cmd.type === 'isolate_device';
          const isolation = {
            state: on ? 'on' : 'off',
            checkedAt: Date.now(),
            actionId: cmd.actionId,
            evidence: on ? 'sha256:abc123' : null,
            error: null,
          };
          this.state = { ...this.state, isolation };
          this.send({ type: 'state', state: this.state });
        }
        this.send({
          type: 'result',
          actionId: cmd.actionId,
          status: 'succeeded',
          result: RESULTS[cmd.type] ?? {},
          evidence: {},
          finishedAt: Date.now(),
        });
        return;
      }
      case 'result_ack':
        if (!resultAcks.has(msg.actionId)) resultAcks.set(msg.actionId, performance.now());
        return;
      default:
        return;
    }
  }
}

// --- enrollment over HTTPS, pinned ----------------------------------------------------------------
const enrollAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false });

// --- run ---------------------------------------------------------------------------------------
const dir = mkdtempSync(join(process.env.QUELL_BENCH_DIR || tmpdir(), 'quell-simagents-'));
const lines = [];
const out = (s) => {
  lines.push(s);
  console.log(s);
};
let srv = null;
const agents = [];
try {
  const { soft } = nofile();
  out(`Simulated agents: ${N}; open-files limit ${soft} per process; node ${process.version}`);
  srv = await startServerChild({
    QUELL_DATA_DIR: dir,
    QUELL_DISPATCH_INTERVAL_MS: '50',
    QUELL_LOG_LEVEL: 'silent',
  });
  wsUrl = `${srv.agentUrl.replace(/^https/, 'wss')}/agent/v1/connect`;
  certPin = srv.certSha256;
  out(`Server pid ${srv.pid}: API ${srv.url}, agents ${srv.agentUrl}, SQLite in ${dir}, dispatcher 50 ms`);
  const base = procSample(srv.pid);
  out(`Server at start: RSS ${mb(base.rss)}`);

  // Tokens and enrollment, in batches.
  let t0 = performance.now();
  const tokens = [];
  for (let left = N; left > 0; left -= 1000) tokens.push(...(await srv.tokens(Math.min(1000, left))));
  out(
    `Created ${tokens.length} enrollment tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s (services.enrollment.createToken, in the server process)`,
  );

  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const hostname = `sim-${String(i).padStart(5, '0')}`;
    const { privateKey } = generateKeyPairSync('ed25519');
    agents.push(new SimAgent(i, hostname, privateKey));
  }
  out(
    `Generated ${N} Ed25519 key pairs (one per device) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  t0 = performance.now();
  let enrollResponse = null;
  await pool(agents, 32, async (a, i) => {
    const publicKey = createPublicKey(a.privateKey)
      .export({ format: 'der', type: 'spki' })
      .toString('base64');
    const res = await enroll(enrollAgent, srv.agentUrl, {
      token: tokens[i],
      publicKey,
      inventory: inventory(a.hostname),
    });
    a.deviceId = res.deviceId;
    enrollResponse ??= res;
  });
  enrollAgent.destroy();
  const enrollSec = (performance.now() - t0) / 1000;
  out(
    `Enrolled ${N} devices over HTTPS (32 at a time) in ${enrollSec.toFixed(1)} s (${(N / enrollSec).toFixed(0)}/s)`,
  );
  serverKey = createPublicKey({
    key: Buffer.from(enrollResponse.serverPublicKey, 'base64'),
    format: 'der',
    type: 'spki',
  });
  const heartbeatMs = enrollResponse.heartbeatMs;

  // Connect, staggered: at most 100 handshakes in flight.
  t0 = performance.now();
  let failed = 0;
  await pool(agents, 100, async (a) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await a.connect();
        return;
      } catch {
        await sleep(200);
      }
    }
    failed++;
  });
  const connectSec = (performance.now() - t0) / 1000;
  out(
    `Connected ${counters.connected}/${N} WebSockets (TLS, pinned, signed hello; 100 handshakes in flight) in ${connectSec.toFixed(1)} s; ${failed} failed`,
  );

  // Heartbeats: each agent at the server's interval, phases spread over the interval.
  const TICK = 250;
  const buckets = Math.max(1, Math.round(heartbeatMs / TICK));
  let tick = 0;
  const hb = setInterval(() => {
    const b = tick++ % buckets;
    for (let i = b; i < agents.length; i += buckets) {
      const a = agents[i];
      if (a.online) a.send({ type: 'heartbeat', state: a.state });
    }
  }, TICK);

  // 3. Idle.
  await sleep(15_000);
  out(
    `\n[3] Idle: ${counters.connected - counters.closed} agents connected, heartbeat every ${heartbeatMs} ms; sampling the server for ${IDLE_SECONDS} s after 15 s settling`,
  );
  const simBefore = procSample(process.pid);
  const idle = await measureIdle(srv.pid, IDLE_SECONDS);
  const simAfter = procSample(process.pid);
  const simCpu = ((simAfter.cpuSec - simBefore.cpuSec) / ((simAfter.at - simBefore.at) / 1000)) * 100;
  const idleConnected = counters.connected - counters.closed;
  out(
    `    server CPU ${idle.cpuPct.toFixed(1)}% of one core (${idle.cpuSec.toFixed(2)} CPU-s over ${idle.seconds.toFixed(1)} s)`,
  );
  out(
    `    server RSS max ${mb(idle.rssMax)}, mean ${mb(idle.rssMean)}, end ${mb(idle.rssEnd)}; peak since start ${mb(idle.hwm)}`,
  );
  out(`    (simulator process: CPU ${simCpu.toFixed(1)}%, RSS ${mb(simAfter.rss)})`);

  // 1. Isolate round trip.
  out(
    `\n[1] Isolate round trip, ${ISOLATE_SAMPLE} devices, ${ISOLATE_CONCURRENCY} at a time, ${idleConnected} agents connected`,
  );
  out(
    '    timed: from just before POST /api/actions {type:isolate_device} to the first poll (every 10 ms) where',
  );
  out(
    "    GET /api/devices/:id shows isolation.state 'on' (verified state) AND GET /api/actions/:id shows succeeded",
  );
  const step = Math.max(1, Math.floor(N / ISOLATE_SAMPLE));
  const sample = Array.from({ length: ISOLATE_SAMPLE }, (_, k) => agents[(k * step) % N]);
  const rtOn = [];
  const rtOk = [];
  const rtBoth = [];
  const rtPost = [];
  let isoErrors = 0;
  await pool(sample, ISOLATE_CONCURRENCY, async (a) => {
    const start = performance.now();
    const r = await api(srv.url, srv.apiToken, 'POST', '/api/actions', {
      type: 'isolate_device',
      target: { kind: 'device', id: a.deviceId },
    });
    rtPost.push(performance.now() - start);
    if (r.status !== 201) {
      isoErrors++;
      if (isoErrors < 3) out(`    request failed ${r.status}: ${JSON.stringify(r.body)}`);
      return;
    }
    let on = null;
    let ok = null;
    while (performance.now() - start < 30_000 && (on === null || ok === null)) {
      const [d, act] = await Promise.all([
        on === null ? api(srv.url, srv.apiToken, 'GET', `/api/devices/${a.deviceId}`) : null,
        ok === null ? api(srv.url, srv.apiToken, 'GET', `/api/actions/${r.body.id}`) : null,
      ]);
      const now = performance.now() - start;
      if (d && d.body?.isolation?.state === 'on') on = now;
      if (act && act.body?.status === 'succeeded') ok = now;
      if (act && ['failed', 'cancelled', 'expired', 'rejected'].includes(act.body?.status)) break;
      if (on === null || ok === null) await sleep(10);
    }
    if (on === null || ok === null) {
      isoErrors++;
      return;
    }
    rtOn.push(on);
    rtOk.push(ok);
    rtBoth.push(Math.max(on, ok));
  });
  for (const arr of [rtPost, rtOn, rtOk, rtBoth]) arr.sort((x, y) => x - y);
  const row = (name, arr) =>
    out(
      `    ${name.padEnd(34)} p50 ${ms(percentile(arr, 50))}  p95 ${ms(percentile(arr, 95))}  p99 ${ms(percentile(arr, 99))}  max ${ms(arr.at(-1) ?? NaN)}`,
    );
  row('POST /api/actions answered (201)', rtPost);
  row("device isolation.state 'on'", rtOn);
  row('action succeeded', rtOk);
  row('both (the figure)', rtBoth);
  out(`    completed ${rtBoth.length}/${ISOLATE_SAMPLE}, errors/timeouts ${isoErrors}`);
  const isoP99 = percentile(rtBoth, 99);
  const isoPass = rtBoth.length === ISOLATE_SAMPLE && isoP99 <= TARGET_ISOLATE_P99_MS;

  // 2. Fan-out: one batch request, fanned out by the server.
  const live = agents.filter((a) => a.online);
  out(
    `\n[2] Fan-out: ONE request, POST /api/action-batches {type: run_av_scan, select: {all: true}}, ${live.length} devices connected`,
  );
  out(
    '    per action: from just before the POST is sent to the moment its signed command reaches the simulated agent',
  );
  out('    (signature verified, ack sent); also when the server has acknowledged every result');
  // QUELL_BENCH_PROFILE_DIR: a CPU profile of the server over the fan-out window alone.
  const profileDir = process.env.QUELL_BENCH_PROFILE_DIR;
  if (profileDir) await srv.profile('start');
  const fanSrv0 = procSample(srv.pid);
  const fanSim0 = procSample(process.pid);
  const fanStart = performance.now();
  const br = await api(srv.url, srv.apiToken, 'POST', '/api/action-batches', {
    type: 'run_av_scan',
    select: { all: true },
    params: { scope: 'quick' },
  });
  const postMs = performance.now() - fanStart;
  if (br.status !== 201) throw new Error(`batch request failed ${br.status}: ${JSON.stringify(br.body)}`);
  const batch = br.body;
  // The batch's action ids are listed only once its commands have arrived, so the listing's own
  // API load does not slow the fan-out it measures.
  const arrivalsEnd = performance.now() + 120_000;
  while (counters.scanArrivals < batch.total && performance.now() < arrivalsEnd) await sleep(50);
  // Who had the CPU while the commands went out: the server, the simulator, or neither.
  const fanSrv1 = procSample(srv.pid);
  const fanSim1 = procSample(process.pid);
  if (profileDir) {
    const file = join(profileDir, `fanout-${Date.now()}.cpuprofile`);
    await srv.profile('stop', file);
    out(`    server CPU profile of the fan-out window: ${file}`);
  }
  const cpuPct = (a, b) => ((b.cpuSec - a.cpuSec) / ((b.at - a.at) / 1000)) * 100;
  // The batch's action ids, paged through the Action Center's filter.
  const ids = [];
  for (let cursor = null; ;) {
    const page = await api(
      srv.url,
      srv.apiToken,
      'GET',
      `/api/actions?batchId=${batch.id}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    ids.push(...page.body.items.map((x) => x.id));
    cursor = page.body.nextCursor;
    if (!cursor) break;
  }
  const allArrived = () => ids.every((id) => arrivals.has(id));
  const allAcked = () => ids.every((id) => resultAcks.has(id));
  const waitEnd = performance.now() + 120_000;
  while (performance.now() < waitEnd && !(allArrived() && allAcked())) await sleep(100);
  const lat = ids
    .map((id) => arrivals.get(id))
    .filter((v) => v !== undefined)
    .map((v) => v - fanStart)
    .sort((x, y) => x - y);
  const missing = ids.length - lat.length;
  const within = lat.filter((v) => v <= FANOUT_WINDOW_MS).length;
  const pctWithin = (within / live.length) * 100;
  const acked = ids.map((id) => resultAcks.get(id)).filter((v) => v !== undefined);
  const lastAck = acked.length ? (Math.max(...acked) - fanStart) / 1000 : NaN;
  const final = await api(srv.url, srv.apiToken, 'GET', `/api/action-batches/${batch.id}`);
  out(
    `    batch ${batch.id}: ${batch.total} actions, ${batch.skipped.length} skipped; POST answered in ${ms(postMs)}`,
  );
  out(
    `    request → command at agent: p50 ${ms(percentile(lat, 50))}  p95 ${ms(percentile(lat, 95))}  p99 ${ms(percentile(lat, 99))}  max ${ms(lat.at(-1) ?? NaN)}; ${missing} never arrived`,
  );
  out(`    within 5 s of the request: ${pctWithin.toFixed(2)}% (${within}/${live.length})`);
  out(
    `    CPU from the request to the last arrival (${((fanSrv1.at - fanSrv0.at) / 1000).toFixed(1)} s): server ${cpuPct(fanSrv0, fanSrv1).toFixed(0)}% of one core, simulator ${cpuPct(fanSim0, fanSim1).toFixed(0)}% (2 cores in all)`,
  );
  out(
    `    results acknowledged by the server: ${acked.length}/${ids.length}, the last ${lastAck.toFixed(1)} s after the request; batch counts now ${JSON.stringify(Object.fromEntries(Object.entries(final.body.counts ?? {}).filter(([, n]) => n > 0)))}`,
  );
  out(
    `    bad command signatures: ${counters.badSignature}; agents still connected: ${counters.connected - counters.closed}`,
  );
  const fanPass = pctWithin >= TARGET_FANOUT_PCT;
  clearInterval(hb);
  const end = procSample(srv.pid);

  out('\nFigures against targets:');
  out(
    `  [1] isolate round trip p99 ${ms(isoP99)} (target ≤ ${TARGET_ISOLATE_P99_MS} ms, ${idleConnected} agents): ${verdict(isoPass)}`,
  );
  out(
    `  [2] fan-out ${pctWithin.toFixed(2)}% of ${live.length} commands at the agent within 5 s of the one batch request (target ≥ ${TARGET_FANOUT_PCT}%): ${verdict(fanPass)}`,
  );
  const idleCpuPass = idle.cpuPct < TARGET_IDLE_CPU_PCT;
  const idleRssPass = idle.rssMax < TARGET_IDLE_RSS;
  out(
    `  [3] idle server CPU ${idle.cpuPct.toFixed(1)}% of one core (target < ${TARGET_IDLE_CPU_PCT}%): ${verdict(idleCpuPass)}; RSS max ${mb(idle.rssMax)} (target < 1 GB): ${verdict(idleRssPass)}`,
  );
  out(`  server RSS at the end ${mb(end.rss)}, peak ${mb(end.hwm)}`);
  const all = isoPass && fanPass && idleCpuPass && idleRssPass && idleConnected === N;
  out(
    `SUMMARY sim-agents (${idleConnected}/${N} agents): isolate p99 ${ms(isoP99)}, fan-out ${pctWithin.toFixed(1)}% ≤ 5 s, idle ${idle.cpuPct.toFixed(1)}% CPU / ${mb(idle.rssMax)} — ${verdict(all)}`,
  );
} finally {
  for (const a of agents) a.ws?.terminate();
  await srv?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
