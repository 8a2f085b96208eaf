import type { Action, ActionEvent, ActionListQuery, ActionTarget } from '@quell/contracts';
import {
  PENDING_STATUSES,
  actionDefinition,
  InputError,
  type ActionSource,
  type ActionStatus,
  type ActionType,
  type PolicyStatus,
} from '@quell/core';
import { sql } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type { ActionEventsTable, ActionsTable } from '../schema/database.js';
import { chunk, decodeCursor, encodeCursor, fromJson, iso, toJson } from '../json.js';

export type ActionRow = ActionsTable;
export type ActionEventRow = ActionEventsTable;

/** State actions are in force from success until undone. */
function policyStatus(r: ActionRow): PolicyStatus | null {
  const def = actionDefinition(r.type);
  if (def.kind !== 'state' || def.undoOf) return null;
  return r.status === 'succeeded' ? 'active' : 'inactive';
}

/** Progress as stored: `at` in ms since the epoch. */
export interface ActionProgressValue {
  done: number;
  total: number | null;
  message: string | null;
  at: number;
}

function toProgress(s: string | null | undefined): Action['progress'] {
  const p = fromJson<ActionProgressValue | null>(s, null);
  return p && { done: p.done, total: p.total, message: p.message, at: iso(p.at) };
}

export function toAction(r: ActionRow): Action {
  return {
    id: r.id,
    type: r.type as ActionType,
    title: actionDefinition(r.type).title,
    status: r.status as ActionStatus,
    source: r.source as ActionSource,
    target: fromJson<ActionTarget>(r.target, { kind: 'none', id: r.target_id }),
    deviceGroupId: r.device_group_id,
    params: fromJson<Record<string, unknown>>(r.params, {}),
    result: fromJson<Record<string, unknown> | null>(r.result, null),
    error: r.error,
    requestedBy: r.requested_by,
    requestComment: r.request_comment,
    approvalReason: r.approval_reason,
    decidedBy: r.decided_by,
    decisionComment: r.decision_comment,
    incidentId: r.incident_id,
    alertId: r.alert_id,
    investigationId: r.investigation_id,
    undoOf: r.undo_of,
    undoneBy: r.undone_by,
    batchId: r.batch_id ?? null,
    policyStatus: policyStatus(r),
    attempts: r.attempts,
    progress: toProgress(r.progress),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    expiresAt: iso(r.expires_at),
    version: r.version,
  };
}

export function toActionEvent(r: ActionEventRow): ActionEvent {
  return {
    at: iso(r.at),
    from: r.from_status as ActionStatus | null,
    to: r.to_status as ActionStatus,
    actor: r.actor,
    reason: r.reason,
  };
}

const PERIOD_MS = {
  day: 86_400_000,
  week: 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '6m': 182 * 86_400_000,
} as const;
const SORT_COLUMN = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  type: 'type',
  status: 'status',
} as const;

/** Actions and their timelines. Transitions are checked by the service; this only writes them. */
export class ActionRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async insert(trx: Tx, row: ActionRow): Promise<void> {
    await trx.insertInto('actions').values(row).execute();
  }

  async insertMany(trx: Tx, rows: readonly ActionRow[]): Promise<void> {
    await this.h.insertRows(trx, 'actions', rows as unknown as Record<string, unknown>[]);
  }

  async insertEvents(trx: Tx, rows: readonly ActionEventRow[]): Promise<void> {
    await this.h.insertRows(trx, 'action_events', rows as unknown as Record<string, unknown>[]);
  }

  async get(trx: Tx, id: string): Promise<ActionRow | undefined> {
    return trx.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async getMany(trx: Tx, ids: readonly string[]): Promise<ActionRow[]> {
    const out: ActionRow[] = [];
    for (const part of chunk(ids, 1))
      out.push(...(await trx.selectFrom('actions').selectAll().where('id', 'in', part).execute()));
    return out;
  }

  /** Writes a change only if nobody changed the action since it was read; false otherwise. */
  async update(trx: Tx, id: string, expectVersion: number, values: Partial<ActionRow>): Promise<boolean> {
    const res = await trx
      .updateTable('actions')
      .set({ ...values, version: expectVersion + 1 })
      .where('id', '=', id)
      .where('version', '=', expectVersion)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * One write for many actions that all move from `fromStatus` with the same values (a fan-out's
   * dispatch, a flood of acks): `version` (and with `bumpAttempts`, `attempts`) goes up by one on
   * each. Returns how many rows changed; fewer than `ids` means someone moved one meanwhile.
   */
  async updateMany(
    trx: Tx,
    ids: readonly string[],
    fromStatus: string,
    values: Partial<ActionRow>,
    bumpAttempts = false,
  ): Promise<number> {
    let n = 0;
    for (const part of chunk(ids, 1)) {
      if (!part.length) continue;
      const res = await trx
        .updateTable('actions')
        .set({
          ...values,
          version: sql<number>`version + 1`,
          ...(bumpAttempts && { attempts: sql<number>`attempts + 1` }),
        })
        .where('id', 'in', part)
        .where('status', '=', fromStatus)
        .executeTakeFirst();
      n += Number(res.numUpdatedRows);
    }
    return n;
  }

  async events(actionId: string): Promise<ActionEventRow[]> {
    return this.h.db
      .selectFrom('action_events')
      .selectAll()
      .where('action_id', '=', actionId)
      .orderBy('at', 'asc')
      .orderBy('id', 'asc')
      .execute();
  }

  /** Pending approvals whose approval window has passed. */
  async approvalsDue(trx: Tx, now: number, limit: number): Promise<ActionRow[]> {
    return trx
      .selectFrom('actions')
      .selectAll()
      .where('status', '=', 'pending_approval')
      .where('approval_expires_at', '<=', now)
      .limit(limit)
      .execute();
  }

  /** Queued actions whose TTL has passed before any executor took them. */
  async queuedExpired(trx: Tx, now: number, limit: number): Promise<ActionRow[]> {
    return trx
      .selectFrom('actions')
      .selectAll()
      .where('status', '=', 'queued')
      .where('expires_at', '<=', now)
      .limit(limit)
      .execute();
  }

  /** Queued actions ready for (another) attempt. */
  async dueForDispatch(trx: Tx, now: number, limit: number): Promise<ActionRow[]> {
    let q = trx
      .selectFrom('actions')
      .selectAll()
      .where('status', '=', 'queued')
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .where('expires_at', '>', now)
      .orderBy('created_at', 'asc')
      .limit(limit);
    // Several servers share PostgreSQL: each claims different rows without waiting on the others.
    if (this.h.dialect === 'postgres') q = q.forUpdate().skipLocked();
    return q.execute();
  }

  /** Dispatched or running actions whose executor took longer than the action's timeout. */
  async overdue(trx: Tx, now: number, limit: number): Promise<ActionRow[]> {
    return trx
      .selectFrom('actions')
      .selectAll()
      .where('status', 'in', ['dispatched', 'running'])
      .where('claimed_until', '<=', now)
      .limit(limit)
      .execute();
  }

  /** Live progress from an executor; it does not bump the version (it is not a transition). */
  async setProgress(trx: Tx, id: string, progress: ActionProgressValue | null): Promise<void> {
    await trx
      .updateTable('actions')
      .set({ progress: progress && toJson(progress) })
      .where('id', '=', id)
      .execute();
  }

  /** Drops the live progress of finished actions. */
  async clearProgress(trx: Tx, ids: readonly string[]): Promise<void> {
    for (const part of chunk(ids, 1))
      if (part.length)
        await trx
          .updateTable('actions')
          .set({ progress: null })
          .where('id', 'in', part)
          .where('progress', 'is not', null)
          .execute();
  }

  /**
   * Actions in `statuses` aimed at a device: device actions naming its id or hostname, and file
   * actions on a file of that host. Served by the status index; the target JSON is matched
   * exactly after a coarse filter.
   */
  async forDevice(
    trx: Tx,
    device: { id: string; hostname: string },
    statuses: readonly ActionStatus[],
  ): Promise<ActionRow[]> {
    const host = device.hostname.toLowerCase();
    const rows = await trx
      .selectFrom('actions')
      .selectAll()
      .where('status', 'in', [...statuses])
      .where((eb) =>
        eb.or([
          eb.and([
            eb('target_kind', '=', 'device'),
            eb.or([eb('target_id', '=', device.id), eb(sql`lower(target_id)`, '=', host)]),
          ]),
          eb.and([eb('target_kind', '=', 'file'), eb(sql`lower(target)`, 'like', `%${host}%`)]),
        ]),
      )
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.filter((r) => {
      if (r.target_kind === 'device') return true;
      const t = fromJson<ActionTarget | null>(r.target, null);
      return t?.deviceHostname?.toLowerCase() === host;
    });
  }

  /** Queued actions for a device that were waiting for it to come back: due at once. */
  async wakeQueuedForDevice(
    trx: Tx,
    device: { id: string; hostname: string },
    now: number,
  ): Promise<ActionRow[]> {
    const rows = await this.forDevice(trx, device, ['queued']);
    for (const part of chunk(
      rows.map((r) => r.id),
      1,
    )) {
      if (part.length)
        await trx.updateTable('actions').set({ next_attempt_at: now }).where('id', 'in', part).execute();
    }
    return rows;
  }

  /** Actions a device's agent holds or should hold: dispatched or running. */
  async activeForDevice(trx: Tx, device: { id: string; hostname: string }): Promise<ActionRow[]> {
    return this.forDevice(trx, device, ['dispatched', 'running']);
  }

  async list(q: ActionListQuery, now: number): Promise<{ items: Action[]; nextCursor: string | null }> {
    const rows = await this.listRows(q, now);
    return { items: rows.items.map(toAction), nextCursor: rows.nextCursor };
  }

  async listRows(
    q: ActionListQuery,
    now: number,
  ): Promise<{ items: ActionRow[]; nextCursor: string | null }> {
    const sortKey = q.sort ?? 'createdAt';
    const col = SORT_COLUMN[sortKey];
    const desc = (q.order ?? 'desc') === 'desc';
    const limit = q.limit ?? 50;
    let query = this.h.db.selectFrom('actions').selectAll();
    const view = q.view ?? 'all';
    if (view === 'pending') query = query.where('status', 'in', [...PENDING_STATUSES]);
    if (view === 'history') query = query.where('status', 'not in', [...PENDING_STATUSES]);
    let from: number | undefined;
    let to: number | undefined;
    if (q.period && q.period !== 'custom') from = now - PERIOD_MS[q.period];
    if (q.from) from = Date.parse(q.from);
    if (q.to) to = Date.parse(q.to);
    if (q.period === 'custom' && from === undefined && to === undefined) {
      throw new InputError('A custom period needs `from`, `to` or both.', { period: 'custom' });
    }
    if (from !== undefined && to !== undefined && from > to) {
      throw new InputError('`from` is after `to`; swap them.', { from: q.from, to: q.to });
    }
    if (from !== undefined) query = query.where('created_at', '>=', from);
    if (to !== undefined) query = query.where('created_at', '<=', to);
    if (q.type) query = query.where('type', '=', q.type);
    if (q.source) query = query.where('source', '=', q.source);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.entity) query = query.where('target_id', '=', q.entity);
    if (q.incidentId) query = query.where('incident_id', '=', q.incidentId);
    if (q.batchId) query = query.where('batch_id', '=', q.batchId);
    if (q.requestedBy) query = query.where('requested_by', '=', q.requestedBy);
    if (q.decidedBy) query = query.where('decided_by', '=', q.decidedBy);
    // Sorting by a text column breaks ties by creation time, so (type|status, created_at, id)
    // indexes serve the sort; keyset paging compares row values so any page is an index seek.
    const numeric = col === 'created_at' || col === 'updated_at';
    const keys = numeric ? ([col, 'id'] as const) : ([col, 'created_at', 'id'] as const);
    if (q.cursor) {
      const c = decodeCursor(q.cursor, keys.length);
      if (!c || (typeof c[0] === 'number') !== numeric || typeof c[keys.length - 1] !== 'string') {
        throw new InputError(
          'The cursor is not one this server gave out for this sort; start again without it.',
          {
            cursor: q.cursor,
          },
        );
      }
      const op = desc ? '<' : '>';
      query = query.where(
        sql<boolean>`(${sql.join(keys.map((k) => sql.ref(k)))}) ${sql.raw(op)} (${sql.join(c)})`,
      );
    }
    for (const k of keys) query = query.orderBy(k, desc ? 'desc' : 'asc');
    const rows = await query.limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > limit && last ? encodeCursor(...keys.map((k) => last[k])) : null,
    };
  }
}
