import type { Kysely } from 'kysely';

/**
 * Alerts carry their entities (JSON) and incidents index them (`incident_entities`); the
 * per-alert link table was written on every ingestion and read by nothing, costing throughput.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_entities').ifExists().execute();
}
