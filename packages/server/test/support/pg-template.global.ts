import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createStore } from '@quell/store';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated PostgreSQL database each test's database is copied from; null without PostgreSQL. */
    pgTemplate: string | null;
  }
}

const ADMIN_URL = process.env.QUELL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * Global setup of the integration-postgres project: runs the migrations once, on a database of
 * this run, and every test's fresh database is a `CREATE DATABASE … TEMPLATE` copy of it. Running
 * the migrations from scratch for each of the ~300 tests was most of a test's setup on PostgreSQL;
 * they still run from scratch once per run here, and every test's store still runs its (then
 * empty) migrateToLatest. The template is named per run so concurrent runs on one server (other
 * branches, other migrations) never share one, and it is dropped at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `quell_tpl_${randomBytes(6).toString('hex')}`;
  try {
    await admin(`create database ${name}`);
  } catch (e) {
    // The harness reports an unreachable PostgreSQL (a failure in CI, a skip elsewhere).
    project.provide('pgTemplate', null);
    if (process.env.CI) throw e;
    return async () => {};
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    const store = await createStore({ kind: 'postgres', url: url.toString(), poolSize: 1 });
    await store.close();
  } catch (e) {
    await admin(`drop database if exists ${name} with (force)`);
    throw e;
  }
  project.provide('pgTemplate', name);
  return async () => admin(`drop database if exists ${name} with (force)`);
}
