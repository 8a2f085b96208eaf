import type { Kysely } from 'kysely';

/**
 * Deep analyses (issue 4): one row per submission, moved through queued → running → completed /
 * timed_out / failed / cancelled as it happens. Reports and artefacts are blobs; the indexes serve
 * the queue and history lists (newest first, by status or by file) and the executor's lookup by
 * action.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('analyses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text')
    .addColumn('score', 'integer')
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('report_sha256', 'text')
    .addColumn('trace_sha256', 'text')
    .addColumn('error', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_by_id', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('action_id', 'text')
    .addColumn('resubmission_of', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('analyses_created').on('analyses').columns(['created_at', 'id']).execute();
  await db.schema
    .createIndex('analyses_status')
    .on('analyses')
    .columns(['status', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('analyses_sha256')
    .on('analyses')
    .columns(['sha256', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('analyses_action').on('analyses').column('action_id').execute();
}
