// Alert ingestion with correlation (IngestService.ingest: the API's path, audit included), on
// SQLite and PostgreSQL. Target: at least 5,000 alerts/s on SQLite in batches of 1,000.
//   node bench/ingest.bench.mjs
// Env: QUELL_BENCH_DB=sqlite|postgres|both, QUELL_BENCH_ALERTS (measured alerts, 50000),
// QUELL_BENCH_BATCH (1000), QUELL_BENCH_SINGLE (alerts sent one per call, 2000), QUELL_BENCH_SEED.
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { createIds, createServices, systemClock } from '@quell/server';
import { createAlertStream, createFleet } from './lib/alerts.mjs';
import { dialectsToRun, freshStore, machineInfo, postgresAvailable, printMachine } from './lib/databases.mjs';
import { fmt, printTable, summarize } from './lib/stats.mjs';

const TARGET_PER_SECOND = 5_000;
const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not "${v}".`);
  return n;
};
const MEASURED = env('QUELL_BENCH_ALERTS', 50_000);
const BATCH = env('QUELL_BENCH_BATCH', 1_000);
const SINGLE = env('QUELL_BENCH_SINGLE', 2_000);
const SEED = env('QUELL_BENCH_SEED', 20_260_601);
const WARMUP = Math.min(5_000, MEASURED);
const DAY = 86_400_000;

/** What a SIEM forwarding alerts through the API looks like to the service. */
const SIEM = { kind: 'token', id: 'tok_bench', name: 'siem-forwarder', role: 'analyst', deviceGroupIds: [] };

async function countRows(store, table) {
  const r = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Sends `total` alerts in calls of `batch`; returns the figures of the phase. */
async function phase(services, store, stream, label, total, batch) {
  const incidentsBefore = await countRows(store, 'incidents');
  const latencies = [];
  const sizes = [];
  let created = 0;
  let duplicates = 0;
  const began = performance.now();
  for (let sent = 0; sent < total; sent += batch) {
    const alerts = stream.take(Math.min(batch, total - sent));
    const t0 = performance.now();
    const { results } = await services.ingest.ingest(SIEM, alerts);
    latencies.push(performance.now() - t0);
    sizes.push(alerts.length);
    for (const r of results) if (r.created) created++;
    duplicates += results.length - results.filter((r) => r.created).length;
  }
  const seconds = (performance.now() - began) / 1000;
  const newIncidents = (await countRows(store, 'incidents')) - incidentsBefore;
  return {
    label,
    batch,
    alerts: total,
    seconds,
    rate: total / seconds,
    created,
    duplicates,
    newIncidents,
    joined: created - newIncidents,
    call: summarize(latencies),
    // Throughput of the first and last fifth of the calls: shows whether a growing database slows it.
    early: sliceRate(latencies, sizes, 0, 0.2),
    late: sliceRate(latencies, sizes, 0.8, 1),
  };
}

function sliceRate(latencies, sizes, from, to) {
  const a = Math.floor(latencies.length * from);
  const b = Math.max(a + 1, Math.ceil(latencies.length * to));
  const ms = latencies.slice(a, b).reduce((x, y) => x + y, 0);
  return (sizes.slice(a, b).reduce((x, y) => x + y, 0) * 1000) / ms;
}

async function runOn(kind) {
  const db = await freshStore(kind);
  const { store } = db;
  try {
    const services = createServices(
      { store, clock: systemClock, ids: createIds(systemClock), log: pino({ level: 'silent' }) },
      { env: {} },
    );
    await services.deviceGroups.ensureDefaults();
    // A few ranked groups, so placing each device seen in an alert does real matching.
    await services.deviceGroups.create(SYSTEM_PRINCIPAL, {
      name: 'Finance servers',
      rank: 10,
      rule: { tags: ['servers', 'finance'] },
      automationLevel: 'semi_all_folders',
    });
    await services.deviceGroups.create(SYSTEM_PRINCIPAL, {
      name: 'Servers',
      rank: 20,
      rule: { namePattern: 'srv-*' },
      automationLevel: 'semi_system_folders',
    });
    await services.deviceGroups.create(SYSTEM_PRINCIPAL, {
      name: 'Workstations',
      rank: 30,
      rule: { namePattern: 'ws-*' },
      automationLevel: 'full',
    });

    const fleet = createFleet(SEED);
    const total = WARMUP + MEASURED + MEASURED / 2 + SINGLE;
    // Activity spans the last ~90 days, oldest first, like a feed catching up.
    const span = 90 * DAY;
    const stream = createAlertStream(SEED, fleet, { start: Date.now() - span - DAY, gapMs: span / total });

    await phase(services, store, stream, 'warm-up', WARMUP, BATCH);
    const phases = [
      await phase(services, store, stream, `batch ${BATCH}`, MEASURED, BATCH),
      await phase(services, store, stream, 'batch 100', Math.ceil(MEASURED / 5), 100),
      await phase(services, store, stream, 'batch 5000', Math.ceil(MEASURED / 5 / 5000) * 5000, 5000),
      await phase(services, store, stream, 'single (1 per call)', SINGLE, 1),
    ];

    const verified = await store.audit.verify();
    const totals = {
      alerts: await countRows(store, 'alerts'),
      incidents: await countRows(store, 'incidents'),
      devices: await countRows(store, 'devices'),
      audit: await countRows(store, 'audit_log'),
      largest: await store.db
        .selectFrom('incidents')
        .select((eb) => [eb.fn.max('alert_count').as('alerts'), eb.fn.max('entity_count').as('entities')])
        .executeTakeFirstOrThrow(),
      auditOk: verified.ok,
    };
    return { kind, where: db.where, phases, totals };
  } finally {
    await db.drop();
  }
}

const kinds = dialectsToRun();
const info = await machineInfo(kinds);
console.log('# Alert ingestion with correlation (IngestService.ingest)');
printMachine(info);
console.log(
  `workload: seed ${SEED}, 2,000 devices, 5,000 users, 2-5 entities per alert; warm-up ${WARMUP.toLocaleString('en-US')} alerts, then the phases below in order on the same database\n`,
);

const results = [];
for (const kind of kinds) {
  if (kind === 'postgres' && !(await postgresAvailable())) {
    console.log('postgres: SKIPPED (not reachable)\n');
    continue;
  }
  const r = await runOn(kind);
  results.push(r);
  console.log(`## ${kind}`);
  printTable(
    [
      'phase',
      'alerts',
      'seconds',
      'alerts/s',
      'first 1/5',
      'last 1/5',
      'call p50 ms',
      'call p95 ms',
      'call max ms',
      'new incidents',
      'joined',
      'join %',
      'dupes',
    ],
    r.phases.map((p) => [
      p.label,
      fmt.int(p.alerts),
      p.seconds.toFixed(2),
      fmt.rate(p.rate),
      fmt.rate(p.early),
      fmt.rate(p.late),
      fmt.ms(p.call.p50),
      fmt.ms(p.call.p95),
      fmt.ms(p.call.max),
      fmt.int(p.newIncidents),
      fmt.int(p.joined),
      `${((100 * p.joined) / Math.max(1, p.created)).toFixed(1)}%`,
      fmt.int(p.duplicates),
    ]),
  );
  const main = r.phases[0];
  const single = r.phases[r.phases.length - 1];
  console.log(
    `batch ${BATCH} / single ratio: ${(main.rate / single.rate).toFixed(1)}x; database after the run: ` +
      `${fmt.int(r.totals.alerts)} alerts, ${fmt.int(r.totals.incidents)} incidents, ${fmt.int(r.totals.devices)} devices, ` +
      `${fmt.int(r.totals.audit)} audit entries (chain ${r.totals.auditOk ? 'verifies' : 'BROKEN'}); ` +
      `largest incident: ${r.totals.largest.alerts} alerts, ${r.totals.largest.entities} entities\n`,
  );
}

const sqlite = results.find((r) => r.kind === 'sqlite');
const parts = results.map((r) => `${r.kind} ${fmt.rate(r.phases[0].rate)} alerts/s`).join(', ');
if (sqlite) {
  const rate = sqlite.phases[0].rate;
  const pass = rate >= TARGET_PER_SECOND && sqlite.totals.auditOk;
  console.log(
    `SUMMARY ingest: ${pass ? 'PASS' : 'FAIL'} — ${parts} (batch ${BATCH}); target >= ${TARGET_PER_SECOND.toLocaleString('en-US')} alerts/s on SQLite`,
  );
  process.exitCode = pass ? 0 : 1;
} else {
  console.log(`SUMMARY ingest: NOT RUN on SQLite (QUELL_BENCH_DB) — ${parts || 'no figures'}`);
}
