import type { YaraRule } from '@quell/contracts';
import type { DatabaseHandle, Tx } from '../database.js';
import type { YaraRulesTable } from '../schema/database.js';
import { iso } from '../json.js';

export type YaraRuleRow = YaraRulesTable;

export function toYaraRule(r: YaraRuleRow): YaraRule {
  return { id: r.id, name: r.name, source: r.source, createdBy: r.created_by, createdAt: iso(r.created_at) };
}

/** YARA rules distributed to agents with scan commands. */
export class YaraRepo {
  constructor(private readonly h: DatabaseHandle) {}

  /** By name, so agents compile them in a stable order. */
  async list(trx: Tx = this.h.db): Promise<YaraRuleRow[]> {
    return trx.selectFrom('yara_rules').selectAll().orderBy('name').execute();
  }

  async get(trx: Tx, id: string): Promise<YaraRuleRow | undefined> {
    return trx.selectFrom('yara_rules').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byName(trx: Tx, name: string): Promise<YaraRuleRow | undefined> {
    return trx.selectFrom('yara_rules').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async insert(trx: Tx, row: YaraRuleRow): Promise<void> {
    await trx.insertInto('yara_rules').values(row).execute();
  }

  /** False when no such rule existed. */
  async delete(trx: Tx, id: string): Promise<boolean> {
    const res = await trx.deleteFrom('yara_rules').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }
}
