import type { ActionBatch, BatchSkip, DeviceSelector } from '@quell/contracts';
import {
  ACTION_STATUSES,
  InputError,
  actionDefinition,
  type ActionStatus,
  type ActionType,
} from '@quell/core';
import { sql } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type { ActionBatchesTable } from '../schema/database.js';
import { chunk, decodeCursor, encodeCursor, fromJson, iso } from '../json.js';

export type ActionBatchRow = ActionBatchesTable;

/** A device a batch may address, as the fan-out needs it. */
export interface BatchDeviceRow {
  id: string;
  hostname: string;
  device_group_id: string;
  enrolled_at: number | null;
  revoked_at: number | null;
}

export function toActionBatch(r: ActionBatchRow, counts: Partial<Record<ActionStatus, number>>): ActionBatch {
  return {
    id: r.id,
    type: r.type as ActionType,
    title: actionDefinition(r.type).title,
    select: fromJson<DeviceSelector>(r.selector, {}),
    params: fromJson<Record<string, unknown>>(r.params, {}),
    requestedBy: r.requested_by,
    requestComment: r.request_comment,
    incidentId: r.incident_id,
    createdAt: iso(r.created_at),
    total: r.total,
    counts: Object.fromEntries(ACTION_STATUSES.map((s) => [s, counts[s] ?? 0])) as ActionBatch['counts'],
    skipped: fromJson<BatchSkip[]>(r.skipped, []),
  };
}

/** One request for many devices; its actions carry `batch_id`. */
export class ActionBatchRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async insert(trx: Tx, row: ActionBatchRow): Promise<void> {
    await trx.insertInto('action_batches').values(row).execute();
  }

  async get(trx: Tx, id: string): Promise<ActionBatchRow | undefined> {
    return trx.selectFrom('action_batches').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** How many of the batch's actions are in each status: one pass over the (batch_id, status) index. */
  async counts(trx: Tx, ids: readonly string[]): Promise<Map<string, Partial<Record<ActionStatus, number>>>> {
    const out = new Map<string, Partial<Record<ActionStatus, number>>>(ids.map((id) => [id, {}]));
    for (const part of chunk(ids, 1)) {
      if (!part.length) continue;
      const rows = await trx
        .selectFrom('actions')
        .select(['batch_id', 'status', sql<number>`count(*)`.as('n')])
        .where('batch_id', 'in', part)
        .groupBy(['batch_id', 'status'])
        .execute();
      for (const r of rows) {
        const m = out.get(r.batch_id ?? '');
        if (m) m[r.status as ActionStatus] = Number(r.n);
      }
    }
    return out;
  }

  /** Newest first, keyset-paged. */
  async list(
    limit: number,
    cursor?: string,
  ): Promise<{ items: ActionBatchRow[]; nextCursor: string | null }> {
    let q = this.h.db.selectFrom('action_batches').selectAll();
    if (cursor) {
      const c = decodeCursor(cursor, 2);
      if (!c || typeof c[0] !== 'number' || typeof c[1] !== 'string') {
        throw new InputError('The cursor is not one this server gave out; start again without it.', {
          cursor,
        });
      }
      q = q.where(sql<boolean>`(created_at, id) < (${c[0]}, ${c[1]})`);
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /**
   * The devices a selector names: by id or (lower-case) hostname, by device group, or all. Names
   * that match nothing come back in `unknown` so the caller can refuse the whole request.
   */
  async selectDevices(
    trx: Tx,
    sel: DeviceSelector,
  ): Promise<{ devices: BatchDeviceRow[]; unknown: string[] }> {
    const cols = ['id', 'hostname', 'device_group_id', 'enrolled_at', 'revoked_at'] as const;
    const found = new Map<string, BatchDeviceRow>();
    if (sel.all) {
      for (const d of await trx.selectFrom('devices').select(cols).execute()) found.set(d.id, d);
    }
    if (sel.deviceGroupIds?.length) {
      const rows = await trx
        .selectFrom('devices')
        .select(cols)
        .where('device_group_id', 'in', [...sel.deviceGroupIds])
        .execute();
      for (const d of rows) found.set(d.id, d);
    }
    const unknown: string[] = [];
    if (sel.devices?.length) {
      const names = [...new Set(sel.devices)];
      const byId = new Map<string, BatchDeviceRow>();
      const byHost = new Map<string, BatchDeviceRow>();
      for (const part of chunk(names, 2)) {
        const lower = part.map((n) => n.toLowerCase());
        const rows = await trx
          .selectFrom('devices')
          .select(cols)
          .where((eb) => eb.or([eb('id', 'in', part), eb('hostname', 'in', lower)]))
          .execute();
        for (const d of rows) {
          byId.set(d.id, d);
          byHost.set(d.hostname, d);
        }
      }
      for (const n of names) {
        const d = byId.get(n) ?? byHost.get(n.toLowerCase());
        if (d) found.set(d.id, d);
        else unknown.push(n);
      }
    }
    const devices = [...found.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : 1));
    return { devices, unknown };
  }
}
