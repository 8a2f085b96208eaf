import type { DeviceGroup } from '@quell/contracts';
import type { AutomationLevel, DeviceGroupRule } from '@quell/core';
import { sql, type Selectable } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type { DeviceGroupsTable, DevicesTable } from '../schema/database.js';
import { chunk, fromJson } from '../json.js';

export type DeviceRow = Selectable<DevicesTable>;
/** The columns a device seen in an alert is recorded with; agent columns stay as they are. */
export type SeenDeviceRow = Pick<
  DeviceRow,
  'id' | 'hostname' | 'os' | 'tags' | 'device_group_id' | 'first_seen_at' | 'last_seen_at'
>;
export type DeviceGroupRow = DeviceGroupsTable;

export function toDeviceGroup(r: DeviceGroupRow, deviceCount: number): DeviceGroup {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    rank: r.rank,
    rule: fromJson<DeviceGroupRule>(r.rule, {}) as DeviceGroup['rule'],
    automationLevel: r.automation_level as AutomationLevel,
    builtIn: r.built_in === 1,
    deviceCount,
  };
}

/** Devices seen in alerts and the groups they fall into. */
export class DeviceRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async groups(trx: Tx = this.h.db): Promise<DeviceGroupRow[]> {
    return trx
      .selectFrom('device_groups')
      .selectAll()
      .orderBy('rank', 'asc')
      .orderBy('name', 'asc')
      .execute();
  }

  async group(trx: Tx, id: string): Promise<DeviceGroupRow | undefined> {
    return trx.selectFrom('device_groups').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async groupByName(trx: Tx, name: string): Promise<DeviceGroupRow | undefined> {
    return trx.selectFrom('device_groups').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async insertGroup(trx: Tx, row: DeviceGroupRow): Promise<void> {
    await trx.insertInto('device_groups').values(row).execute();
  }

  async updateGroup(trx: Tx, id: string, values: Partial<DeviceGroupRow>): Promise<void> {
    await trx.updateTable('device_groups').set(values).where('id', '=', id).execute();
  }

  /** Devices pinned to the group fall back to the rules (the caller regroups them). */
  async deleteGroup(trx: Tx, id: string): Promise<void> {
    await trx
      .updateTable('devices')
      .set({ pinned_group_id: null })
      .where('pinned_group_id', '=', id)
      .execute();
    await trx.deleteFrom('device_groups').where('id', '=', id).execute();
  }

  async deviceCounts(): Promise<Map<string, number>> {
    const rows = await this.h.db
      .selectFrom('devices')
      .select(['device_group_id', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('device_group_id')
      .execute();
    return new Map(rows.map((r) => [r.device_group_id, Number(r.n)]));
  }

  async devices(trx: Tx = this.h.db): Promise<DeviceRow[]> {
    return trx.selectFrom('devices').selectAll().orderBy('hostname').execute();
  }

  async deviceByHostname(trx: Tx, hostname: string): Promise<DeviceRow | undefined> {
    return trx
      .selectFrom('devices')
      .selectAll()
      .where('hostname', '=', hostname.toLowerCase())
      .executeTakeFirst();
  }

  async devicesByHostname(trx: Tx, hostnames: readonly string[]): Promise<DeviceRow[]> {
    const out: DeviceRow[] = [];
    for (const part of chunk(hostnames, 1))
      out.push(...(await trx.selectFrom('devices').selectAll().where('hostname', 'in', part).execute()));
    return out;
  }

  /**
   * Records devices seen in alerts. An enrolled agent's own report of its OS wins over an alert's,
   * and a group pinned at enrollment wins over the rules, so neither is overwritten here.
   */
  async upsertDevices(trx: Tx, rows: readonly SeenDeviceRow[]): Promise<void> {
    for (const part of chunk(rows, 7)) {
      if (!part.length) continue;
      await trx
        .insertInto('devices')
        .values(part)
        .onConflict((oc) =>
          oc.column('hostname').doUpdateSet((eb) => ({
            os: sql<string | null>`case when devices.public_key is null then excluded.os else devices.os end`,
            tags: eb.ref('excluded.tags'),
            device_group_id: sql<string>`coalesce(devices.pinned_group_id, excluded.device_group_id)`,
            last_seen_at: sql<number>`case when excluded.last_seen_at > devices.last_seen_at then excluded.last_seen_at else devices.last_seen_at end`,
          })),
        )
        .execute();
    }
  }

  async setDeviceGroup(trx: Tx, id: string, groupId: string): Promise<void> {
    await trx.updateTable('devices').set({ device_group_id: groupId }).where('id', '=', id).execute();
  }
}
