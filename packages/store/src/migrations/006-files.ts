import type { Kysely } from 'kysely';

/**
 * Files (issue 4): what Quell knows of a file and where it was seen. Agents report sightings by
 * the thousand, so a sighting is one row per (file, device, path) updated in place, and the file
 * page's "devices that saw it in the last N days" is a range scan of (sha256, last_seen_at).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('files')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('sha1', 'text')
    .addColumn('md5', 'text')
    .addColumn('size', 'bigint')
    .addColumn('names', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('files_sha1').on('files').column('sha1').execute();
  await db.schema.createIndex('files_md5').on('files').column('md5').execute();
  await db.schema.createIndex('files_last_seen').on('files').columns(['last_seen_at', 'sha256']).execute();

  await db.schema
    .createTable('file_sightings')
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_sightings_pk', ['sha256', 'device_id', 'path'])
    .execute();
  await db.schema
    .createIndex('file_sightings_recent')
    .on('file_sightings')
    .columns(['sha256', 'last_seen_at'])
    .execute();
  await db.schema.createIndex('file_sightings_device').on('file_sightings').column('device_id').execute();

  await db.schema
    .createTable('file_alerts')
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_alerts_pk', ['sha256', 'alert_id'])
    .execute();
  await db.schema.createIndex('file_alerts_recent').on('file_alerts').columns(['sha256', 'at']).execute();

  await db.schema
    .createTable('file_blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('blob_sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('collected_at', 'bigint', (c) => c.notNull())
    .addColumn('device_id', 'text')
    .addColumn('action_id', 'text')
    .execute();
}
