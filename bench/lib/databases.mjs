import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { createStore } from '@quell/store';

/** Admin URL of the PostgreSQL server the benchmarks create their own databases on. */
export const PG_ADMIN_URL = process.env.QUELL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Which dialects to run: QUELL_BENCH_DB=sqlite|postgres|both (default both). */
export function dialectsToRun() {
  const v = (process.env.QUELL_BENCH_DB ?? 'both').toLowerCase();
  if (v === 'sqlite' || v === 'postgres') return [v];
  if (v === 'both') return ['sqlite', 'postgres'];
  throw new Error(`QUELL_BENCH_DB must be sqlite, postgres or both, not "${v}".`);
}

async function withAdmin(fn) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Whether PostgreSQL answers; benchmarks print a SKIP line for it otherwise. */
export async function postgresAvailable() {
  try {
    await withAdmin(async () => {});
    return true;
  } catch (e) {
    console.warn(`PostgreSQL not reachable at ${PG_ADMIN_URL} (${e.message}); its figures are skipped.`);
    return false;
  }
}

/**
 * A fresh, empty, migrated store: a SQLite file in a temp directory (QUELL_BENCH_DIR to choose
 * the disk), or a PostgreSQL database of its own (quell_bench_<random>) that `drop()` removes.
 */
export async function freshStore(kind, { poolSize = 4 } = {}) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(process.env.QUELL_BENCH_DIR ?? tmpdir(), 'quell-bench-'));
    const file = join(dir, 'quell.db');
    const store = await createStore({ kind: 'sqlite', file });
    return {
      store,
      kind,
      where: file,
      drop: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `quell_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let store;
  try {
    store = await createStore({ kind: 'postgres', url: url.toString(), poolSize });
  } catch (e) {
    await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
    throw e;
  }
  return {
    store,
    kind,
    where: name,
    drop: async () => {
      await store.close();
      await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** Versions and sizes that make a figure comparable. */
export async function machineInfo(kinds) {
  const info = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    sqlite: new SQLite(':memory:').prepare('select sqlite_version() as v').get().v,
    postgres: null,
  };
  if (kinds.includes('postgres')) {
    try {
      info.postgres = await withAdmin(
        async (c) => (await c.query('show server_version')).rows[0].server_version,
      );
    } catch {
      info.postgres = 'unreachable';
    }
  }
  return info;
}

export function printMachine(info) {
  console.log(
    `machine: ${info.cpus} CPU (${info.cpuModel}), ${info.memoryGiB} GiB RAM, Node ${info.node}, SQLite ${info.sqlite}` +
      (info.postgres ? `, PostgreSQL ${info.postgres}` : ''),
  );
}
