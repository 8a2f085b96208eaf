// The agent's indicator store at fleet-feed scale (issue 4): a 1,000,000-indicator snapshot
// (mostly SHA-256, some SHA-1/MD5/domains/URLs/IPs) applied in chunks as the sync delivers it,
// memory after, hash lookups per second (hits and misses, by bytes and by hex), DNS-name lookups,
// a 10,000-indicator delta, writing and loading the persisted file, the blocked-SHA-256 export.
// Targets: store memory (RSS growth) under 200 MB; persisted load under 5 s; lookups O(1).
//   node bench/indicators-agent.bench.mjs [indicators]
// Env: QUELL_BENCH_INDICATORS (1000000), QUELL_BENCH_DIR, QUELL_BENCH_SEED. Build first:
// npx tsc -b tsconfig.build.json (this imports packages/agent/dist).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  IndicatorStore,
  readIndicatorFile,
  writeIndicatorFile,
  writeSha256ExportOf,
} from '../packages/agent/dist/indicators/index.js';
import { createRandom } from './lib/prng.mjs';
import { fmt, printTable } from './lib/stats.mjs';

// Memory figures need a collection first; re-run with --expose-gc when started without it.
if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(r.status ?? 1);
}

const env = (name, argIndex, fallback) => {
  const v = process.argv[argIndex] ?? process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not "${v}".`);
  return n;
};
const TOTAL = env('QUELL_BENCH_INDICATORS', 2, 1_000_000);
const SEED = env('QUELL_BENCH_SEED', undefined, 20_260_601);
const CHUNK = 10_000;
const DELTA = 10_000;
const SAMPLE = 100_000;
const MB = 2 ** 20;

const rand = createRandom(SEED);
const TITLES = Array.from({ length: 200 }, (_, i) => `Feed ${i % 20} / family ${i}`);
const SEVERITIES = ['informational', 'low', 'medium', 'high'];
let serial = 0;
/** Server-shaped ids: prefix, time and counter in base 36, random hex. */
const nextId = () =>
  `ind_${(1_780_000_000_000 + serial).toString(36)}${(serial++ % 1_679_616).toString(36).padStart(4, '0')}${rand.hex(10)}`;

function oneIndicator() {
  const type = rand.weighted([
    ['sha256', 940],
    ['sha1', 20],
    ['md5', 20],
    ['domain', 12],
    ['url', 2],
    ['ipv4', 5],
    ['ipv6', 1],
  ]);
  const value =
    type === 'sha256'
      ? rand.hex(64)
      : type === 'sha1'
        ? rand.hex(40)
        : type === 'md5'
          ? rand.hex(32)
          : type === 'domain'
            ? `${rand.hex(10)}.${rand.pick(['com', 'net', 'org', 'io', 'test'])}`
            : type === 'url'
              ? `https://${rand.hex(8)}.example/${rand.hex(12)}`
              : type === 'ipv4'
                ? rand.chance(0.1)
                  ? `${rand.int(1, 223)}.${rand.int(0, 255)}.${rand.int(0, 255)}.0/24`
                  : `${rand.int(1, 223)}.${rand.int(0, 255)}.${rand.int(0, 255)}.${rand.int(1, 254)}`
                : `2001:db8:${rand.hex(4)}::${rand.hex(4)}`;
  return {
    id: nextId(),
    type,
    value,
    action: rand.weighted([
      ['block', 80],
      ['audit', 10],
      ['block_and_remediate', 5],
      ['allow', 5],
    ]),
    groupScoped: rand.chance(0.1),
    generateAlert: rand.chance(0.8),
    severity: rand.pick(SEVERITIES),
    title: rand.pick(TITLES),
    expiresAt: rand.chance(0.05) ? '2099-01-01T00:00:00.000Z' : null,
  };
}

const mem = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss / MB, heap: m.heapUsed / MB, buffers: m.arrayBuffers / MB };
};
const rows = [];
const row = (what, value, unit, note = '') => rows.push([what, value, unit, note]);
/** Wall and CPU (user + system) ms since `since`: on a shared machine CPU time is the steadier figure. */
const clock = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
const elapsed = (since) => {
  const c = process.cpuUsage(since.cpu);
  return { wall: performance.now() - since.wall, cpu: (c.user + c.system) / 1000 };
};
const timing = (e, unit = 'ms') =>
  unit === 's'
    ? `${fmt.ms(e.wall / 1000)} (cpu ${fmt.ms(e.cpu / 1000)})`
    : `${fmt.ms(e.wall)} (cpu ${fmt.ms(e.cpu)})`;

/** RSS of a fresh agent-like process that only loads the persisted file: the figure at restart. */
function loadInFreshProcess(dir) {
  const script = `
    const { IndicatorPersistence, IndicatorStore } = await import(${JSON.stringify(new URL('../packages/agent/dist/indicators/index.js', import.meta.url).href)});
    gc(); const before = process.memoryUsage().rss;
    const store = new IndicatorStore();
    const t = performance.now();
    await new IndicatorPersistence({ store, dir: ${JSON.stringify(dir)} }).load();
    const ms = performance.now() - t;
    gc(); gc();
    const m = process.memoryUsage();
    console.log(JSON.stringify({ ms, size: store.size, rss: m.rss, before, heap: m.heapUsed, buffers: m.arrayBuffers }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`fresh load failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const dir = mkdtempSync(join(process.env.QUELL_BENCH_DIR ?? tmpdir(), 'quell-ioc-bench-'));
try {
  console.log(
    `${TOTAL.toLocaleString('en-US')} indicators, seed ${SEED}, ${cpus().length} CPUs, ${Math.round(totalmem() / MB)} MB RAM, node ${process.version}`,
  );
  const base = mem();

  // Snapshot in chunks, as the sync delivers it; generating a chunk is not timed.
  const store = new IndicatorStore();
  const builder = store.beginSnapshot(1, { total: TOTAL, sha256: Math.round(TOTAL * 0.95) });
  const hits = [];
  const apply = { wall: 0, cpu: 0 };
  for (let done = 0; done < TOTAL; done += CHUNK) {
    const chunk = Array.from({ length: Math.min(CHUNK, TOTAL - done) }, oneIndicator);
    for (const i of chunk)
      if (i.type === 'sha256' && hits.length < SAMPLE && rand.chance(0.2)) hits.push(i.value);
    const c = clock();
    builder.add(chunk);
    const e = elapsed(c);
    apply.wall += e.wall;
    apply.cpu += e.cpu;
  }
  let c = clock();
  const applied = builder.commit();
  const after = mem();
  row(
    'snapshot apply, store time',
    timing(apply, 's'),
    's',
    `${applied.total.toLocaleString('en-US')} held, chunks of ${CHUNK}`,
  );
  row(
    'RSS growth after snapshot',
    fmt.int(after.rss - base.rss),
    'MB',
    `RSS ${fmt.int(after.rss)} MB (generator garbage included)`,
  );
  row('heap / array buffers after', `${fmt.int(after.heap)} / ${fmt.int(after.buffers)}`, 'MB');
  row('store tables (own estimate)', fmt.int(store.memoryBytes() / MB), 'MB');

  // Lookups: 100,000 hits and 100,000 misses, repeated for at least a second each.
  const hitBytes = hits.map((h) => Buffer.from(h, 'hex'));
  const missHex = Array.from({ length: hits.length }, () => rand.hex(64));
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
  for (const [what, r] of rates)
    row(what, fmt.rate(r.perSec), 'lookups/s', `${(r.found * 100).toFixed(0)}% found`);
  const names = Array.from(
    { length: 10_000 },
    () => `${rand.hex(4)}.${rand.hex(6)}.${rand.pick(['com', 'net', 'test'])}`,
  );
  row(
    'lookupDnsName, 3-label misses',
    fmt.rate(rate((n) => store.lookupDnsName(n), names).perSec),
    'lookups/s',
  );

  // A 10,000-indicator delta: half new, half removals of held ones.
  const removals = [];
  const tables = store.currentTables();
  tables.records.forEach((r) => {
    if (removals.length < DELTA / 2 && r % 97 === 0) removals.push(tables.records.idOf(r));
  });
  const upserts = Array.from({ length: DELTA / 2 }, oneIndicator);
  c = clock();
  const d = store.applyDelta({ fromVersion: 1, toVersion: 2, upserts, removals });
  const deltaTime = elapsed(c);
  row(`delta of ${DELTA.toLocaleString('en-US')}`, timing(deltaTime), 'ms', `+${d.added} −${d.removed}`);

  // Persistence: write (what the agent does after changes), the export for the exec helper.
  const file = join(dir, 'indicators.bin');
  c = clock();
  const bytes = await writeIndicatorFile(file, store.currentTables(), store.version);
  row('persist: encode + fsync + rename', timing(elapsed(c)), 'ms', `${fmt.int(bytes / MB)} MB file`);
  c = clock();
  // As the agent does it: straight from the live digest table, no copy of the set.
  const blocked = store.blockedSha256Entries();
  const exported = await writeSha256ExportOf(
    join(dir, 'blocked-sha256.bin'),
    blocked.keys,
    blocked.entries,
    store.version,
  );
  row(
    'blocked-SHA-256 export',
    timing(elapsed(c)),
    'ms',
    `${exported.toLocaleString('en-US')} digests, ${fmt.int(statSync(join(dir, 'blocked-sha256.bin')).size / MB)} MB`,
  );

  // Load in this process (timing, and the loaded store must answer as the original).
  c = clock();
  const loaded = await readIndicatorFile(file, Date.now());
  const restored = new IndicatorStore();
  restored.restore(loaded.version, loaded.tables);
  const loadTime = elapsed(c);
  row(
    'load persisted file',
    timing(loadTime, 's'),
    's',
    `${restored.size.toLocaleString('en-US')} indicators, version ${restored.version}`,
  );
  if (
    restored.size !== store.size ||
    restored.lookupHash('sha256', hits[0])?.id !== store.lookupHash('sha256', hits[0])?.id
  )
    throw new Error('the loaded store differs from the one written');

  // And in a fresh process: the resident memory of an agent restarted with this store.
  const fresh = loadInFreshProcess(dir);
  row(
    'fresh process: load',
    fmt.ms(fresh.ms / 1000),
    's',
    `${fresh.size.toLocaleString('en-US')} indicators`,
  );
  row(
    'fresh process: RSS after load',
    fmt.int(fresh.rss / MB),
    'MB',
    `+${fmt.int((fresh.rss - fresh.before) / MB)} MB over an empty process; heap ${fmt.int(fresh.heap / MB)} MB, buffers ${fmt.int(fresh.buffers / MB)} MB`,
  );

  console.log();
  printTable(['measure', 'value', 'unit', 'note'], rows);
  const growth = (fresh.rss - fresh.before) / MB;
  const pass = growth < 200 && fresh.ms < 5000;
  const hitRate = rates[0][1].perSec;
  console.log(
    `\nSUMMARY indicators-agent: ${TOTAL.toLocaleString('en-US')} indicators: snapshot ${fmt.ms(apply.wall / 1000)} s, ` +
      `store RSS +${fmt.int(growth)} MB, ${(hitRate / 1e6).toFixed(1)} M hash lookups/s, ` +
      `delta ${DELTA.toLocaleString('en-US')} ${fmt.ms(deltaTime.wall)} ms, load ${fmt.ms(fresh.ms / 1000)} s ` +
      `(targets: RSS growth < 200 MB, load < 5 s) ${pass ? 'PASS' : 'FAIL'}`,
  );
  process.exitCode = pass ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
