import type { Kysely } from 'kysely';

/** Indicators of compromise and their sync feed (issue 4). */
export async function up(db: Kysely<unknown>): Promise<void> {
  void db;
  return Promise.resolve();
}
