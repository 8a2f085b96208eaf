import type { Kysely } from 'kysely';

/**
 * The Linux agent (issue 3): agent identity and inventory on devices, live progress on actions,
 * enrollment tokens, keys every server instance shares, YARA rules and content-addressed blobs.
 *
 * SQLite's ALTER TABLE adds one column per statement, so each column is its own statement.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const nullable: Array<[string, 'text' | 'bigint']> = [
    ['public_key', 'text'],
    ['enrolled_at', 'bigint'],
    ['revoked_at', 'bigint'],
    ['connected_at', 'bigint'],
    ['connected_instance', 'text'],
    ['agent_version', 'text'],
    ['os_version', 'text'],
    ['kernel', 'text'],
    ['machine_id', 'text'],
    ['pinned_group_id', 'text'],
    ['agent_state', 'text'],
  ];
  for (const [name, type] of nullable) await db.schema.alterTable('devices').addColumn(name, type).execute();
  for (const name of ['addresses', 'capabilities'])
    await db.schema
      .alterTable('devices')
      .addColumn(name, 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
  // A server instance that stops uncleanly leaves its devices marked connected; it clears them by
  // instance on the next start, which this index serves.
  await db.schema
    .createIndex('devices_connected_instance')
    .on('devices')
    .column('connected_instance')
    .execute();

  await db.schema.alterTable('actions').addColumn('progress', 'text').execute();

  await db.schema
    .createTable('enrollment_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('used_by_device_id', 'text')
    .addColumn('revoked_at', 'bigint')
    .addColumn('device_group_id', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('enrollment_tokens_created')
    .on('enrollment_tokens')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createTable('server_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('yara_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
