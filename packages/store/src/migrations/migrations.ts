import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m001 from './001-initial.js';
import * as m002 from './002-drop-alert-entities.js';
import * as m003 from './003-agents.js';
import * as m004 from './004-action-batches.js';
import * as m005 from './005-indicators.js';
import * as m006 from './006-files.js';
import * as m007 from './007-analyses.js';
import * as m008 from './008-indicator-lineage.js';

/** Migrations live in code so the built package carries them; add new ones at the end, never edit old ones. */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': m001,
  '002-drop-alert-entities': m002,
  '003-agents': m003,
  '004-action-batches': m004,
  '005-indicators': m005,
  '006-files': m006,
  '007-analyses': m007,
  '008-indicator-lineage': m008,
};

class InCodeProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

/** Brings the schema to the latest version; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new InCodeProvider(),
    migrationTableName: 'quell_migrations',
    migrationLockTableName: 'quell_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Database migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`, {
      cause: error,
    });
  }
}
