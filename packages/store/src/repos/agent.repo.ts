import { sql } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type { DeviceRow } from './device.repo.js';
import { chunk } from '../json.js';

/** What an agent reports about its machine, as stored on the device row. */
export interface InventoryColumns {
  os: string | null;
  os_version: string | null;
  kernel: string | null;
  agent_version: string | null;
  machine_id: string | null;
  /** JSON array text. */
  addresses: string;
  /** JSON array text. */
  capabilities: string;
}

/** A device row as enrollment writes it: identity, inventory and where it belongs. */
export interface EnrolledDeviceValues extends InventoryColumns {
  id: string;
  hostname: string;
  public_key: string;
  tags: string;
  device_group_id: string;
  pinned_group_id: string | null;
  enrolled_at: number;
}

/** Filters for {@link AgentRepo.list}; all optional, combined with AND. */
export interface DeviceFilter {
  deviceGroupId?: string;
  enrolled?: boolean;
  /** Hostname contains (case-insensitive). */
  hostnameContains?: string;
  /** Restrict to these groups (a scoped caller); undefined means every group. */
  groupIds?: readonly string[];
}

/**
 * Devices as agents see them: enrollment, identity keys, connection and reported state. Devices
 * seen only in alerts and the device groups stay in {@link DeviceRepo}.
 */
export class AgentRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async byId(trx: Tx, id: string): Promise<DeviceRow | undefined> {
    return trx.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Of devices named by id or hostname, those whose agent is connected to an instance other than `instance`. */
  async connectedElsewhere(
    trx: Tx,
    refs: readonly string[],
    instance: string,
  ): Promise<Array<{ id: string; hostname: string }>> {
    const out: Array<{ id: string; hostname: string }> = [];
    for (const part of chunk([...refs], 200)) {
      const lower = part.map((r) => r.toLowerCase());
      out.push(
        ...(await trx
          .selectFrom('devices')
          .select(['id', 'hostname'])
          .where((eb) => eb.or([eb('id', 'in', part), eb('hostname', 'in', lower)]))
          .where('connected_instance', 'is not', null)
          .where('connected_instance', '<>', instance)
          .where('revoked_at', 'is', null)
          .execute()),
      );
    }
    return out;
  }

  /** Records the device group the agent's indicator set is now computed for. */
  async setIndicatorsGroup(trx: Tx, id: string, groupId: string): Promise<void> {
    await trx.updateTable('devices').set({ indicators_group_id: groupId }).where('id', '=', id).execute();
  }

  /**
   * Connected devices whose group is no longer the one their indicator set was computed for
   * (moved by a group rule, rank or deletion, or by new tags): they need a snapshot.
   */
  async indicatorsRegrouped(trx: Tx): Promise<Array<{ id: string; groupId: string }>> {
    return trx
      .selectFrom('devices')
      .select(['id', 'device_group_id as groupId'])
      .where('connected_at', 'is not', null)
      .where('indicators_group_id', 'is not', null)
      .whereRef('indicators_group_id', '<>', 'device_group_id')
      .execute();
  }

  /** By id, else by hostname (hostnames are stored lower-case). */
  async byIdOrHostname(trx: Tx, idOrHostname: string): Promise<DeviceRow | undefined> {
    return trx
      .selectFrom('devices')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrHostname), eb('hostname', '=', idOrHostname.toLowerCase())]))
      .orderBy(sql`case when id = ${idOrHostname} then 0 else 1 end`)
      .limit(1)
      .executeTakeFirst();
  }

  async list(f: DeviceFilter = {}, trx: Tx = this.h.db): Promise<DeviceRow[]> {
    let q = trx.selectFrom('devices').selectAll();
    if (f.deviceGroupId) q = q.where('device_group_id', '=', f.deviceGroupId);
    if (f.enrolled === true) q = q.where('public_key', 'is not', null);
    if (f.enrolled === false) q = q.where('public_key', 'is', null);
    if (f.hostnameContains) {
      const pattern = `%${f.hostnameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where(sql<boolean>`hostname like ${pattern} escape '\\'`);
    }
    if (f.groupIds) {
      if (f.groupIds.length === 0) return [];
      q = q.where('device_group_id', 'in', [...f.groupIds]);
    }
    return q.orderBy('hostname').execute();
  }

  /**
   * Creates the device, or takes over the row of the same hostname (a device seen in alerts, or
   * one enrolling again after revocation or a reinstall): it gets the new key, is no longer
   * revoked, and keeps its id, first-seen time and history.
   */
  async enroll(trx: Tx, v: EnrolledDeviceValues, now: number): Promise<DeviceRow> {
    const existing = await trx
      .selectFrom('devices')
      .select(['id'])
      .where('hostname', '=', v.hostname)
      .executeTakeFirst();
    const agentColumns = {
      public_key: v.public_key,
      enrolled_at: v.enrolled_at,
      revoked_at: null,
      connected_at: null,
      connected_instance: null,
      agent_state: null,
      os: v.os,
      os_version: v.os_version,
      kernel: v.kernel,
      agent_version: v.agent_version,
      machine_id: v.machine_id,
      addresses: v.addresses,
      capabilities: v.capabilities,
      tags: v.tags,
      device_group_id: v.device_group_id,
      pinned_group_id: v.pinned_group_id,
      last_seen_at: now,
    };
    if (existing) {
      await trx.updateTable('devices').set(agentColumns).where('id', '=', existing.id).execute();
    } else {
      await trx
        .insertInto('devices')
        .values({ id: v.id, hostname: v.hostname, first_seen_at: now, ...agentColumns })
        .execute();
    }
    const row = await this.byId(trx, existing?.id ?? v.id);
    if (!row) throw new Error(`device ${v.hostname} vanished while enrolling`);
    return row;
  }

  /** Records what the agent reported (hello, heartbeat, state); inventory only when given. */
  async setAgentState(
    trx: Tx,
    deviceId: string,
    stateJson: string,
    lastSeenAt: number,
    inventory?: InventoryColumns,
  ): Promise<void> {
    await trx
      .updateTable('devices')
      .set({ agent_state: stateJson, last_seen_at: lastSeenAt, ...inventory })
      .where('id', '=', deviceId)
      .execute();
  }

  /**
   * Marks the device connected to `instance` (or disconnected with nulls). Disconnecting with
   * `onlyIfInstance` leaves the row alone when another instance took the device over meanwhile.
   */
  async setConnected(
    trx: Tx,
    deviceId: string,
    instance: string | null,
    at: number | null,
    onlyIfInstance?: string,
  ): Promise<void> {
    let q = trx
      .updateTable('devices')
      .set({ connected_instance: instance, connected_at: at })
      .where('id', '=', deviceId);
    if (onlyIfInstance !== undefined) q = q.where('connected_instance', '=', onlyIfInstance);
    await q.execute();
  }

  /** Clears the connected mark of every device an instance held (its own start, or a dead peer). */
  async clearConnectedOf(trx: Tx, instance: string): Promise<number> {
    const res = await trx
      .updateTable('devices')
      .set({ connected_instance: null, connected_at: null })
      .where('connected_instance', '=', instance)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Heartbeats from many agents in one statement per chunk, not one write each. */
  async touchLastSeen(trx: Tx, ids: readonly string[], at: number): Promise<void> {
    for (const part of chunk(ids, 1)) {
      if (!part.length) continue;
      await trx
        .updateTable('devices')
        .set({ last_seen_at: at })
        .where('id', 'in', part)
        .where('last_seen_at', '<', at)
        .execute();
    }
  }

  /** Revokes the agent's key; false when the device was already revoked or has no agent. */
  async revoke(trx: Tx, deviceId: string, at: number): Promise<boolean> {
    const res = await trx
      .updateTable('devices')
      .set({ revoked_at: at, connected_at: null, connected_instance: null })
      .where('id', '=', deviceId)
      .where('public_key', 'is not', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
