// 1,000,000 indicators through a real server to a real agent (issue 4): the indicators are
// loaded the way users bulk-load them, `POST /api/indicators/import` with CSV (the API's limit is
// 100,000 rows per import, so ten imports); then the real agent (bench/lib/real-agent.mjs: its
// own network namespace, built bin) starts with an empty state directory and is timed until its
// store holds all of them (its `indicators replaced` log line), and until it has written them to
// disk (the blocked-SHA-256 export its exec-control helper reads). Then its RSS once synced, and
// hash lookups per second on the store it wrote (loaded from its state directory into this
// process: the same IndicatorStore code and tables), and its RSS once restarted on that store.
// The agent runs with the environment of its shipped systemd unit (malloc tuning; printed).
// Targets: the whole set on the agent within 60 s of its start; agent RSS ≤ 250 MB with 1M held.
//   node bench/indicators-sync.bench.mjs            (needs root: it makes a network namespace)
// Env: QUELL_BENCH_INDICATORS (1000000), QUELL_BENCH_SEED, QUELL_BENCH_DIR. Build first.
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  IndicatorStore,
  exportContains,
  readIndicatorFile,
  readSha256Export,
} from '../packages/agent/dist/indicators/index.js';
import { mb, measureIdle, procSample, sleep, verdict } from './agents/lib.mjs';
import { createRandom } from './lib/prng.mjs';
import { AGENT_UNIT_ENV, createRealAgentStack } from './lib/real-agent.mjs';

const int = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not "${v}".`);
  return n;
};
const TOTAL = int('QUELL_BENCH_INDICATORS', 1_000_000);
const SEED = int('QUELL_BENCH_SEED', 20_260_601);
const PER_IMPORT = 100_000; // the API's CSV limit
const SAMPLE = 100_000;
const TARGET_SYNC_S = 60;
const TARGET_RSS = 250 * 2 ** 20;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

const rand = createRandom(SEED);
const hits = [];
let stack = null;
try {
  console.log(
    `${TOTAL.toLocaleString('en-US')} SHA-256 block indicators, seed ${SEED}, node ${process.version}, load average ${load()}`,
  );
  stack = await createRealAgentStack({ name: 'iocsync' });
  const { srv } = stack;
  console.log(`Namespace ${stack.ns}; server pid ${srv.pid} (SQLite in ${stack.dir})`);
  console.log(
    `Agent environment, as in packages/agent/systemd/quell-agent.service: ${
      Object.entries(AGENT_UNIT_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '(none)'
    }`,
  );

  // 1. Load the server through the import API, 100,000 rows a request.
  let importMs = 0;
  for (let done = 0; done < TOTAL; done += PER_IMPORT) {
    const n = Math.min(PER_IMPORT, TOTAL - done);
    const lines = ['type,value,action,title'];
    for (let i = 0; i < n; i++) {
      const v = rand.hex(64);
      if (hits.length < SAMPLE && rand.chance(0.2)) hits.push(v);
      lines.push(`sha256,${v},block,bench feed ${done / PER_IMPORT}`);
    }
    const csv = `${lines.join('\n')}\n`;
    const t = performance.now();
    const r = await stack.api('POST', '/api/indicators/import', { format: 'csv', csv });
    const took = performance.now() - t;
    importMs += took;
    if (r.status !== 200 || r.body.imported !== n)
      throw new Error(`import → ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
    console.log(
      `  import ${done / PER_IMPORT + 1}: ${n.toLocaleString('en-US')} rows (${(csv.length / 2 ** 20).toFixed(1)} MiB CSV) in ${(took / 1000).toFixed(1)} s, rev ${r.body.rev}`,
    );
  }
  const serverAfterImport = procSample(srv.pid);
  console.log(
    `Imported ${TOTAL.toLocaleString('en-US')} in ${(importMs / 1000).toFixed(1)} s (${Math.round(TOTAL / (importMs / 1000)).toLocaleString('en-US')}/s); server RSS ${mb(serverAfterImport.rss)}; load average ${load()}`,
  );

  // 2. Start the real agent on an empty state directory and time the sync.
  const serverCpu0 = procSample(srv.pid).cpuSec;
  await stack.startAgent();
  const started = stack.startedAt;
  const onlineS = (performance.now() - started) / 1000;
  console.log(
    `Agent pid ${stack.pid} online ${onlineS.toFixed(1)} s after its start (device ${stack.deviceId})`,
  );
  let replaced = null;
  let peakDuring = 0;
  while (performance.now() - started < 600_000) {
    peakDuring = Math.max(peakDuring, procSample(stack.pid).rss);
    const line = stack
      .log()
      .split('\n')
      .find((l) => l.includes('"indicators replaced"') && JSON.parse(l).total >= TOTAL);
    if (line) {
      replaced = { at: performance.now(), entry: JSON.parse(line) };
      break;
    }
    await sleep(50);
  }
  if (!replaced) throw new Error(`the agent never held ${TOTAL}; log:\n${stack.log().slice(-3000)}`);
  const syncS = (replaced.at - started) / 1000;
  const serverCpuSync = procSample(srv.pid).cpuSec - serverCpu0;
  console.log(
    `Agent store holds ${replaced.entry.total.toLocaleString('en-US')} (version ${replaced.entry.version}) ${syncS.toFixed(1)} s after the agent started (log line at ${replaced.entry.time}); server CPU ${serverCpuSync.toFixed(1)} s meanwhile`,
  );
  const exportPath = join(stack.stateDir, 'indicators', 'blocked-sha256.bin');
  let persistedS = NaN;
  while (performance.now() - started < 600_000) {
    try {
      const { digests } = await readSha256Export(exportPath);
      if (digests.length / 32 >= TOTAL && exportContains(digests, Buffer.from(hits[0], 'hex'))) {
        persistedS = (performance.now() - started) / 1000;
        break;
      }
    } catch {
      // Not written yet (or being replaced).
    }
    await sleep(200);
  }
  console.log(
    `Blocked-SHA-256 export with all ${TOTAL.toLocaleString('en-US')} on disk ${persistedS.toFixed(1)} s after the start (${(statSync(exportPath).size / 2 ** 20).toFixed(0)} MB)`,
  );

  // 3. Memory once synced: 10 s settling, then 20 s of samples.
  await sleep(10_000);
  const rss = await measureIdle(stack.pid, 20);
  console.log(
    `Agent RSS with ${TOTAL.toLocaleString('en-US')} held: max ${mb(rss.rssMax)}, mean ${mb(rss.rssMean)}; peak since start ${mb(rss.hwm)} (sampled peak during sync ${mb(peakDuring)}); CPU ${rss.cpuPct.toFixed(2)}% over 20 s`,
  );

  // 4. The same agent restarted: it loads the set from its state directory, no sync garbage.
  await stack.stopAgent();
  await stack.startAgent();
  const restartOnlineS = (performance.now() - stack.startedAt) / 1000;
  await sleep(10_000);
  const again = await measureIdle(stack.pid, 20);
  console.log(
    `Restarted agent (loads its ${TOTAL.toLocaleString('en-US')} from disk): online ${restartOnlineS.toFixed(1)} s after its start; RSS max ${mb(again.rssMax)}, mean ${mb(again.rssMean)}, peak since start ${mb(again.hwm)}; CPU ${again.cpuPct.toFixed(2)}% over 20 s`,
  );

  // 5. Lookups on the store the agent wrote.
  const file = await readIndicatorFile(join(stack.stateDir, 'indicators', 'indicators.bin'), Date.now());
  const store = new IndicatorStore();
  store.restore(file.version, file.tables);
  const hitBytes = hits.map((h) => Buffer.from(h, 'hex'));
  const missHex = hits.map(() => rand.hex(64));
  const missBytes = missHex.map((h) => Buffer.from(h, 'hex'));
  const rate = (fn, list) => {
    let n = 0;
    let found = 0;
    const began = performance.now();
    while (performance.now() - began < 1000) {
      for (const x of list) if (fn(x) !== null) found++;
      n += list.length;
    }
    return { perSec: n / ((performance.now() - began) / 1000), found: found / n };
  };
  const rates = [
    ['hashAction(bytes), hits', rate((b) => store.hashAction('sha256', b), hitBytes)],
    ['hashAction(bytes), misses', rate((b) => store.hashAction('sha256', b), missBytes)],
    ['lookupHash(hex), hits', rate((h) => store.lookupHash('sha256', h), hits)],
    ['lookupHash(hex), misses', rate((h) => store.lookupHash('sha256', h), missHex)],
  ];
  console.log(
    `Lookups on the agent's store (${store.size.toLocaleString('en-US')} indicators, version ${store.version}), ${hits.length.toLocaleString('en-US')} hashes each:`,
  );
  for (const [what, r] of rates)
    console.log(
      `  ${what.padEnd(28)} ${(r.perSec / 1e6).toFixed(2)} M/s (${(r.found * 100).toFixed(0)}% found)`,
    );
  if (rates[0][1].found !== 1 || rates[1][1].found !== 0)
    throw new Error('lookups on the synced store gave wrong answers');

  const pass = syncS <= TARGET_SYNC_S && rss.rssMax <= TARGET_RSS;
  console.log(
    `SUMMARY indicators-sync: ${TOTAL.toLocaleString('en-US')} indicators server → real agent in ${syncS.toFixed(1)} s (on disk ${persistedS.toFixed(1)} s), agent RSS ${mb(rss.rssMax)} (${mb(again.rssMax)} restarted), ${(rates[0][1].perSec / 1e6).toFixed(1)} M hash lookups/s (targets: ≤ ${TARGET_SYNC_S} s, ≤ ${mb(TARGET_RSS)}) — ${verdict(pass)}; load average ${load()}`,
  );
  process.exitCode = pass ? 0 : 1;
} catch (e) {
  console.log(`SUMMARY indicators-sync: ERROR ${e.message}`);
  console.error(e);
  process.exitCode = 1;
} finally {
  await stack?.close();
}
process.exit(process.exitCode ?? 0);
