import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import { cachePreparedStatements } from './statement-cache.js';
import type { Database } from './schema/database.js';
import { migrateToLatest } from './migrations/migrations.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database> | Kysely<Database>;

export type DatabaseConfig =
  { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize?: number };

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /** Serialises writers that must not interleave (the audit chain) for the rest of the transaction. */
  lockChain(trx: Tx, name: 'audit'): Promise<void>;
  /**
   * Inserts rows (all with the same columns) into `table` inside the transaction `trx`; the
   * store's bulk writes (actions, their events, audit entries) go through here.
   */
  insertRows(trx: Tx, table: BulkTable, rows: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

/** Tables written in bulk. */
export type BulkTable = 'actions' | 'action_events' | 'audit_log';

/** Rows per multi-row INSERT: under PostgreSQL's 65,535 and SQLite's 32,766 bound parameters. */
function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(30_000 / columns));
}

/** Multi-row INSERTs through Kysely (PostgreSQL, and SQLite outside a transaction). */
async function insertWithKysely(trx: Tx, table: BulkTable, rows: readonly Record<string, unknown>[]) {
  const size = rowsPerStatement(Object.keys(rows[0] ?? {}).length);
  for (let i = 0; i < rows.length; i += size)
    await (trx as unknown as Kysely<Record<string, Record<string, unknown>>>)
      .insertInto(table)
      .values(rows.slice(i, i + size))
      .execute();
}

/**
 * SQLite: one prepared single-row INSERT run per row. Written by hand because Kysely builds and
 * compiles a syntax tree of every multi-row INSERT, which cost twice what SQLite spends storing
 * the rows (a 10,000-device fan-out writes 60,000 event and audit rows). Only inside a Kysely
 * transaction, which holds the one connection: a statement run around Kysely's connection lock
 * could otherwise land in someone else's open transaction.
 */
function sqliteInsertRows(raw: SQLite.Database): DatabaseHandle['insertRows'] {
  return async (trx, table, rows) => {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0] ?? {});
    if (!trx.isTransaction || rows.some((r) => Object.keys(r).length !== columns.length))
      return insertWithKysely(trx, table, rows);
    const stmt = raw.prepare(
      `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    );
    for (const r of rows) stmt.run(columns.map((c) => r[c] ?? null));
  };
}

const PG_INT8_OID = 20;
const ADVISORY_LOCK_IDS: Record<'audit', number> = { audit: 7_461_001 };

/** Opens (and migrates) the database the config names. */
export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') mkdirSync(dirname(config.file), { recursive: true });
    const raw = new SQLite(config.file);
    raw.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only a power loss can drop the
    // last commits, which is the trade every embedded deployment makes for write throughput.
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 5000');
    raw.pragma('cache_size = -65536');
    cachePreparedStatements(raw);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    // better-sqlite3 runs on one connection that Kysely serialises, so a transaction already
    // excludes every other writer: no extra lock is needed.
    handle = {
      db,
      dialect: 'sqlite',
      lockChain: async () => {},
      insertRows: sqliteInsertRows(raw),
      close: () => db.destroy(),
    };
  } else {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.poolSize ?? 10,
      // Times are BIGINT milliseconds; they fit a JS number for the next 285,000 years.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === PG_INT8_OID
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle pooled connection that the database ends (a restart, a terminated backend) reports
    // its error here; the pool drops it and connects anew on the next query. Without a listener
    // Node treats that error as uncaught and the whole server would exit.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    handle = {
      db,
      dialect: 'postgres',
      lockChain: async (trx, name) => {
        await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_IDS[name]})`.execute(trx);
      },
      insertRows: insertWithKysely,
      close: () => db.destroy(),
    };
  }
  try {
    await migrateToLatest(handle.db as unknown as Kysely<unknown>);
  } catch (e) {
    await handle.close();
    throw e;
  }
  return handle;
}
