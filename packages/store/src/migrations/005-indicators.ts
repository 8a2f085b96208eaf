import { sql, type Kysely } from 'kysely';

/**
 * Indicators of compromise and their sync feed (issue 4). Every change takes the next revision of
 * the one-row `indicator_revision` table, so an agent that holds revision N asks for "everything
 * after N"; removals stay as tombstones (`deleted_at`) until pruned, for those deltas.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('indicators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('generate_alert', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('device_group_ids', 'text', (c) => c.notNull())
    .addColumn('scope_key', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('rev', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('expiry_announced', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('indicators_identity', ['type', 'value', 'scope_key'])
    .execute();
  await db.schema.createIndex('indicators_rev').on('indicators').columns(['rev', 'id']).execute();
  await db.schema.createIndex('indicators_value').on('indicators').columns(['value', 'type']).execute();
  await db.schema.createIndex('indicators_created').on('indicators').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('indicators_updated').on('indicators').columns(['updated_at', 'id']).execute();
  await db.schema.createIndex('indicators_external').on('indicators').columns(['external_id']).execute();
  await db.schema.createIndex('indicators_expires').on('indicators').columns(['expires_at']).execute();

  await db.schema
    .createTable('indicator_revision')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('rev', 'bigint', (c) => c.notNull())
    .addColumn('pruned_rev', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into indicator_revision (id, rev, pruned_rev) values (1, 0, 0)`.execute(db);

  await db.schema
    .createTable('taxii_feeds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('discovery_url', 'text')
    .addColumn('api_root_url', 'text')
    .addColumn('collection_id', 'text', (c) => c.notNull())
    .addColumn('auth_kind', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('secret_env', 'text')
    .addColumn('default_action', 'text', (c) => c.notNull())
    .addColumn('default_severity', 'text', (c) => c.notNull())
    .addColumn('interval_minutes', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('added_after', 'text')
    .addColumn('last_pulled_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_imported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_removed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
