import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, type Store } from '@quell/store';
import { freshDatabase, PG_ADMIN_URL, postgresAvailable, TEST_DB } from './harness.js';

const enabled = TEST_DB === 'postgres' && (await postgresAvailable());

/** PostgreSQL only: what happens to the server's pool when the database ends its connections. */
describe.skipIf(!enabled)('store on PostgreSQL when the database drops its connections', () => {
  let store: Store | null = null;
  let drop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await store?.close();
    await drop?.();
  });

  it('survives its idle connections being terminated and answers the next query on new ones', async () => {
    const db = await freshDatabase();
    drop = db.drop;
    store = await createStore(db.config);
    // Open several pooled connections and leave them idle.
    await Promise.all(
      Array.from({ length: 3 }, () => store!.db.selectFrom('actions').select('id').limit(1).execute()),
    );
    const name = new URL((db.config as { url: string }).url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const killed = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    // The idle clients' errors arrive now; without a pool error listener they would be uncaught
    // (vitest fails the run on them, Node would exit the server).
    await new Promise((r) => setTimeout(r, 300));
    const rows = await store.db.selectFrom('actions').select('id').execute();
    expect(rows).toEqual([]);
  });
});
