import type { Kysely } from 'kysely';

/** Deep analyses: submissions and their reports (issue 4). */
export async function up(db: Kysely<unknown>): Promise<void> {
  void db;
  return Promise.resolve();
}
