// Action Center history queries (ActionService.list: the API's path) over QUELL_BENCH_ACTIONS
// stored actions (default 1,000,000), on SQLite and PostgreSQL. Target: p95 at most 50 ms.
//   node bench/action-center.bench.mjs
// Env: QUELL_BENCH_DB=sqlite|postgres|both, QUELL_BENCH_ACTIONS (1000000), QUELL_BENCH_QUERIES
// (measured queries per kind, 25), QUELL_BENCH_SEED.
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { sql } from 'kysely';
import { createIds, createServices, systemClock } from '@quell/server';
import { actionRows, createActionWorld } from './lib/actions.mjs';
import { dialectsToRun, freshStore, machineInfo, postgresAvailable, printMachine } from './lib/databases.mjs';
import { createRandom } from './lib/prng.mjs';
import { fmt, printTable, summarize } from './lib/stats.mjs';

const TARGET_P95_MS = 50;
const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not "${v}".`);
  return n;
};
const ACTIONS = env('QUELL_BENCH_ACTIONS', 1_000_000);
const PER_KIND = env('QUELL_BENCH_QUERIES', 25);
const SEED = env('QUELL_BENCH_SEED', 20_260_601);
const ROWS_PER_TRANSACTION = 20_000;

const world = createActionWorld(SEED);
const HISTORY_FILTER_STATUSES = ['succeeded', 'failed', 'cancelled', 'rejected', 'undone', 'expired'];

/**
 * The Action Center's queries, as the console sends them: the History tab's default page, each
 * filter on its own, periods, another sort, and the next page through the cursor.
 */
const KINDS = [
  ['history (default page)', () => ({ view: 'history' })],
  ['pending tab', () => ({ view: 'pending' })],
  ['type', (r) => ({ view: 'history', type: r.weighted(world.typeWeights) })],
  ['status', (r) => ({ view: 'history', status: r.pick(HISTORY_FILTER_STATUSES) })],
  [
    'source',
    (r) => ({ view: 'history', source: r.pick(['playbook', 'attack_disruption', 'live_response']) }),
  ],
  ['requestedBy', (r) => ({ view: 'history', requestedBy: r.pick(world.analysts) })],
  ['decidedBy', (r) => ({ view: 'history', decidedBy: r.pick(world.analysts) })],
  ['entity (device)', (r) => ({ view: 'history', entity: r.pick(world.devices) })],
  ['entity (user)', (r) => ({ view: 'history', entity: r.pick(world.users) })],
  ['incident', (r) => ({ view: 'all', incidentId: r.pick(world.incidents) })],
  ['period week', () => ({ view: 'history', period: 'week' })],
  ['period 30d + type', (r) => ({ view: 'history', period: '30d', type: r.weighted(world.typeWeights) })],
  ['sort updatedAt', () => ({ view: 'history', sort: 'updatedAt' })],
];
const PAGE_TWO = 'next page (cursor)';
/** Sorting by a column other than time: offered by the API, not part of the target mix. */
const EXTRA_KINDS = [
  ['sort type', () => ({ view: 'history', sort: 'type', order: 'asc' })],
  ['sort status', () => ({ view: 'history', sort: 'status', order: 'asc' })],
];

async function load(store) {
  const now = Date.now();
  const began = performance.now();
  let batch = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    await store.transaction((trx) => store.actions.insertMany(trx, rows));
  };
  for (const row of actionRows(SEED, world, ACTIONS, now)) {
    batch.push(row);
    if (batch.length === ROWS_PER_TRANSACTION) await flush();
  }
  if (batch.length) await flush();
  return (performance.now() - began) / 1000;
}

async function analyze(store) {
  const began = performance.now();
  if (store.dialect === 'sqlite') await sql`analyze`.execute(store.db);
  else await sql`analyze actions`.execute(store.db);
  return (performance.now() - began) / 1000;
}

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Runs every kind `perKind` times in a shuffled order; returns the latencies per kind. */
async function measure(services, kinds, perKind, seed) {
  const rnd = createRandom(seed);
  const plan = [];
  for (const [name, make] of kinds) for (let i = 0; i < perKind; i++) plan.push([name, make]);
  if (kinds === KINDS) for (let i = 0; i < perKind; i++) plan.push([PAGE_TWO, null]);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  const samples = new Map();
  let rows = 0;
  for (const [name, make] of plan) {
    let ms;
    if (make) {
      const r = await timed(() => services.actions.list(make(rnd)));
      ms = r.ms;
      rows += r.value.items.length;
    } else {
      // The second page of one of the other queries, the way the console's "next" asks for it.
      const [, first] = rnd.pick(kinds);
      const q = first(rnd);
      const page1 = await services.actions.list(q);
      if (!page1.nextCursor) continue;
      const r = await timed(() => services.actions.list({ ...q, cursor: page1.nextCursor }));
      ms = r.ms;
      rows += r.value.items.length;
    }
    if (!samples.has(name)) samples.set(name, []);
    samples.get(name).push(ms);
  }
  return { samples, rows, queries: plan.length };
}

function report(title, samples, names) {
  console.log(title);
  const all = [];
  const rows = [];
  for (const name of names) {
    const s = samples.get(name) ?? [];
    all.push(...s);
    const st = summarize(s);
    rows.push([name, st.n, fmt.ms(st.p50), fmt.ms(st.p95), fmt.ms(st.p99), fmt.ms(st.max)]);
  }
  const overall = summarize(all);
  rows.push([
    'overall',
    overall.n,
    fmt.ms(overall.p50),
    fmt.ms(overall.p95),
    fmt.ms(overall.p99),
    fmt.ms(overall.max),
  ]);
  printTable(['query', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], rows);
  return overall;
}

async function runOn(kind) {
  const db = await freshStore(kind);
  const { store } = db;
  try {
    const services = createServices(
      { store, clock: systemClock, ids: createIds(systemClock), log: pino({ level: 'silent' }) },
      { env: {} },
    );
    const loadSeconds = await load(store);
    console.log(`## ${kind}`);
    console.log(
      `loaded ${fmt.int(ACTIONS)} actions in ${loadSeconds.toFixed(1)} s (${fmt.rate(ACTIONS / loadSeconds)} rows/s, ActionRepo.insertMany, ${fmt.int(ROWS_PER_TRANSACTION)} per transaction)`,
    );
    const names = [...KINDS.map(([n]) => n), PAGE_TWO];

    // A short pass before ANALYZE shows what a store that never analyses would serve.
    const before = await measure(services, KINDS, Math.max(3, Math.ceil(PER_KIND / 5)), SEED + 1);
    const beforeOverall = summarize([...before.samples.values()].flat());
    console.log(
      `before ANALYZE (${before.queries} queries): p50 ${fmt.ms(beforeOverall.p50)} ms, p95 ${fmt.ms(beforeOverall.p95)} ms, max ${fmt.ms(beforeOverall.max)} ms; slowest kind: ${slowest(before.samples)}`,
    );
    const analyzeSeconds = await analyze(store);
    console.log(`ANALYZE took ${analyzeSeconds.toFixed(1)} s`);
    await measure(services, KINDS, 2, SEED + 2); // warm-up
    const after = await measure(services, KINDS, PER_KIND, SEED + 3);
    const overall = report(
      `after ANALYZE (${after.queries} queries, ${fmt.int(after.rows)} rows returned):`,
      after.samples,
      names,
    );
    const extra = await measure(services, EXTRA_KINDS, Math.max(3, Math.ceil(PER_KIND / 5)), SEED + 4);
    report(
      'other sorts (informational, not in the target mix):',
      extra.samples,
      EXTRA_KINDS.map(([n]) => n),
    );
    console.log('');
    return { kind, overall, before: beforeOverall, loadSeconds };
  } finally {
    await db.drop();
  }
}

function slowest(samples) {
  let worst = ['', 0];
  for (const [name, s] of samples) {
    const p = summarize(s).max;
    if (p > worst[1]) worst = [name, p];
  }
  return `${worst[0]} (${fmt.ms(worst[1])} ms)`;
}

const kinds = dialectsToRun();
const info = await machineInfo(kinds);
console.log('# Action Center history queries (ActionService.list)');
printMachine(info);
console.log(
  `workload: seed ${SEED}, ${fmt.int(ACTIONS)} actions over 6 months, ${ACTIONS === 1_000_000 ? '' : '(scaled down by QUELL_BENCH_ACTIONS) '}` +
    `${PER_KIND} measured queries per kind, shuffled; page size 50\n`,
);

const results = [];
for (const kind of kinds) {
  if (kind === 'postgres' && !(await postgresAvailable())) {
    console.log('postgres: SKIPPED (not reachable)\n');
    continue;
  }
  results.push(await runOn(kind));
}

const parts = results
  .map((r) => `${r.kind} p95 ${fmt.ms(r.overall.p95)} ms (p99 ${fmt.ms(r.overall.p99)})`)
  .join(', ');
const sqlite = results.find((r) => r.kind === 'sqlite');
if (sqlite) {
  const pass = sqlite.overall.p95 <= TARGET_P95_MS;
  console.log(
    `SUMMARY action-center: ${pass ? 'PASS' : 'FAIL'} — ${parts} over ${fmt.int(ACTIONS)} actions; target p95 <= ${TARGET_P95_MS} ms on SQLite`,
  );
  process.exitCode = pass ? 0 : 1;
} else {
  console.log(`SUMMARY action-center: NOT RUN on SQLite (QUELL_BENCH_DB) — ${parts || 'no figures'}`);
}
