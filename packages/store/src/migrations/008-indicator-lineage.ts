import type { Kysely } from 'kysely';

/**
 * Indicator lineage (issue 4):
 * - `devices.indicators_group_id`: the device group the agent's indicator set was last computed
 *   for. When the device has moved to another group since, the next sync is a snapshot (a delta
 *   from its version would miss the new group's older indicators and keep the old group's), and
 *   a connected agent is sent that snapshot unasked.
 * - `indicators.replaced_by`: set on the tombstone a scope change leaves, naming the indicator
 *   that took its place, so undoing the original `add_indicator` removes what it became.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('devices').addColumn('indicators_group_id', 'text').execute();
  await db.schema.alterTable('indicators').addColumn('replaced_by', 'text').execute();
}
