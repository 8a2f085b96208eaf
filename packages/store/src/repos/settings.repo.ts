import type { DatabaseHandle, Tx } from '../database.js';
import { fromJson, toJson } from '../json.js';

/** Key/value settings stored as JSON; the service owns the defaults and validation. */
export class SettingsRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async all(trx: Tx = this.h.db): Promise<Record<string, unknown>> {
    const rows = await trx.selectFrom('settings').selectAll().execute();
    return Object.fromEntries(rows.map((r) => [r.key, fromJson<unknown>(r.value, null)]));
  }

  async put(trx: Tx, values: Record<string, unknown>): Promise<void> {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      await trx
        .insertInto('settings')
        .values({ key, value: toJson(value) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: toJson(value) }))
        .execute();
    }
  }
}
