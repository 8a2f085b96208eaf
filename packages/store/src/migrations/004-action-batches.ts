import type { Kysely } from 'kysely';

/**
 * Action batches: one request for many devices (a device group, a list, or every device), fanned
 * out by the server into one action per device. The batch keeps what was asked and who asked; the
 * per-device actions point back to it, so the batch's status counts are one indexed query.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('action_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('selector', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_by_id', 'text', (c) => c.notNull())
    .addColumn('request_comment', 'text')
    .addColumn('incident_id', 'text')
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('skipped', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('action_batches_created')
    .on('action_batches')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema.alterTable('actions').addColumn('batch_id', 'text').execute();
  await db.schema.createIndex('actions_batch').on('actions').columns(['batch_id', 'status']).execute();
}
