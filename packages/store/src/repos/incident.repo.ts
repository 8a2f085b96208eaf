import type {
  Alert,
  EntityView,
  IncidentActivity,
  IncidentListQuery,
  IncidentSummary,
} from '@quell/contracts';
import { InputError, type Classification, type IncidentStatus, type Severity } from '@quell/core';
import { sql } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type {
  AlertsTable,
  IncidentActivityTable,
  IncidentEntitiesTable,
  IncidentsTable,
} from '../schema/database.js';
import { chunk, decodeCursor, encodeCursor, fromJson, iso } from '../json.js';

export type IncidentRow = IncidentsTable;
export type AlertRow = AlertsTable;
export type IncidentEntityRow = IncidentEntitiesTable;
export type ActivityRow = IncidentActivityTable;

/** What one ingestion batch changes on an incident that alerts joined. */
export interface JoinedIncidentUpdate {
  id: string;
  addAlerts: number;
  addEntities: number;
  alertSeverity: string;
  severity: string;
  severityRank: number;
  mitre: string;
  systemTags: string;
  firstActivityAt: number;
  lastActivityAt: number;
}

export interface CandidateRow {
  incidentId: string;
  entityKey: string;
  lastActivityAt: number;
}

export function toIncidentSummary(r: IncidentRow): IncidentSummary {
  return {
    id: r.id,
    title: r.title,
    status: r.status as IncidentStatus,
    severity: r.severity as Severity,
    severityOverridden: r.severity_override !== null,
    assignee: r.assignee,
    classification: r.classification as Classification | null,
    determination: r.determination,
    tags: fromJson<string[]>(r.tags, []),
    systemTags: fromJson<string[]>(r.system_tags, []),
    alertCount: r.alert_count,
    entityCount: r.entity_count,
    redirectedTo: r.redirected_to,
    firstActivityAt: iso(r.first_activity_at),
    lastActivityAt: iso(r.last_activity_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    version: r.version,
  };
}

export function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    externalId: r.external_id,
    incidentId: r.incident_id,
    title: r.title,
    description: r.description,
    severity: r.severity as Severity,
    status: r.status as Alert['status'],
    category: r.category,
    detectionSource: r.detection_source,
    mitreTechniques: fromJson<string[]>(r.mitre, []),
    firstActivityAt: iso(r.first_activity_at),
    lastActivityAt: iso(r.last_activity_at),
    createdAt: iso(r.created_at),
    entities: fromJson<EntityView[]>(r.entities, []),
  };
}

export function toActivity(r: ActivityRow): IncidentActivity {
  return {
    id: r.id,
    incidentId: r.incident_id,
    kind: r.kind as IncidentActivity['kind'],
    actor: r.actor,
    at: iso(r.at),
    text: r.text,
    data: fromJson<Record<string, unknown>>(r.data, {}),
  };
}

const SORT_COLUMN = {
  lastActivityAt: 'last_activity_at',
  createdAt: 'created_at',
  severity: 'severity_rank',
} as const;

/** Incidents, their alerts, entities and activity. Pure data access: rules live in the services. */
export class IncidentRepo {
  constructor(private readonly h: DatabaseHandle) {}

  async alertsByExternalId(
    trx: Tx,
    externalIds: readonly string[],
  ): Promise<Map<string, { id: string; incidentId: string }>> {
    const out = new Map<string, { id: string; incidentId: string }>();
    for (const part of chunk(externalIds, 1)) {
      const rows = await trx
        .selectFrom('alerts')
        .select(['id', 'external_id', 'incident_id'])
        .where('external_id', 'in', part)
        .execute();
      for (const r of rows)
        if (r.external_id) out.set(r.external_id, { id: r.id, incidentId: r.incident_id });
    }
    return out;
  }

  /** Open incidents holding any of these entity keys and active since `since`. */
  async correlationCandidates(trx: Tx, keys: readonly string[], since: number): Promise<CandidateRow[]> {
    // Two indexed lookups rather than a join: given the join, SQLite drives from the open
    // incidents and probes every key for each one, which grows with the incident count
    // (docs/benchmarks.md measured 1,300 vs 4,000+ alerts/s).
    const links: { incident_id: string; entity_key: string }[] = [];
    for (const part of chunk(keys, 1)) {
      links.push(
        ...(await trx
          .selectFrom('incident_entities')
          .select(['incident_id', 'entity_key'])
          .where('entity_key', 'in', part)
          .execute()),
      );
    }
    const open = new Map<string, number>();
    for (const part of chunk([...new Set(links.map((l) => l.incident_id))], 1)) {
      const rows = await trx
        .selectFrom('incidents')
        .select(['id', 'last_activity_at'])
        .where('id', 'in', part)
        .where('status', 'in', ['active', 'in_progress'])
        .where('last_activity_at', '>=', since)
        .execute();
      for (const r of rows) open.set(r.id, r.last_activity_at);
    }
    const out: CandidateRow[] = [];
    for (const l of links) {
      const at = open.get(l.incident_id);
      if (at !== undefined)
        out.push({ incidentId: l.incident_id, entityKey: l.entity_key, lastActivityAt: at });
    }
    return out;
  }

  /**
   * Applies a batch's joins with one UPDATE per 200 incidents (CASE on id) instead of one per
   * incident: a batch of 1,000 alerts can touch hundreds of incidents.
   */
  async applyJoins(trx: Tx, updates: readonly JoinedIncidentUpdate[], now: number): Promise<void> {
    for (let i = 0; i < updates.length; i += 200) {
      const part = updates.slice(i, i + 200);
      const col = <K extends keyof JoinedIncidentUpdate>(key: K, cast: 'bigint' | 'integer' | 'text') =>
        sql<JoinedIncidentUpdate[K]>`case ${sql.ref('id')} ${sql.join(
          part.map((u) => sql`when ${u.id} then cast(${u[key]} as ${sql.raw(cast)})`),
          sql` `,
        )} end`;
      await trx
        .updateTable('incidents')
        .set({
          alert_count: sql`alert_count + ${col('addAlerts', 'integer')}`,
          entity_count: sql`entity_count + ${col('addEntities', 'integer')}`,
          alert_severity: col('alertSeverity', 'text'),
          severity: col('severity', 'text'),
          severity_rank: col('severityRank', 'integer'),
          mitre: col('mitre', 'text'),
          system_tags: col('systemTags', 'text'),
          first_activity_at: col('firstActivityAt', 'bigint'),
          last_activity_at: col('lastActivityAt', 'bigint'),
          updated_at: now,
          version: sql`version + 1`,
        })
        .where(
          'id',
          'in',
          part.map((u) => u.id),
        )
        .execute();
    }
  }

  async insertIncidents(trx: Tx, rows: readonly IncidentRow[]): Promise<void> {
    for (const part of chunk(rows, 22))
      if (part.length) await trx.insertInto('incidents').values(part).execute();
  }

  async insertAlerts(trx: Tx, rows: readonly AlertRow[]): Promise<void> {
    for (const part of chunk(rows, 14))
      if (part.length) await trx.insertInto('alerts').values(part).execute();
  }

  /** Inserts entities new to an incident and moves `last_seen_at` forward for known ones. */
  async upsertIncidentEntities(trx: Tx, rows: readonly IncidentEntityRow[]): Promise<void> {
    // One statement may not touch a row twice (PostgreSQL refuses), so repeats are folded first.
    const unique = new Map<string, IncidentEntityRow>();
    for (const r of rows) {
      const k = `${r.incident_id}\u0000${r.entity_key}`;
      const prior = unique.get(k);
      if (!prior || r.last_seen_at > prior.last_seen_at) unique.set(k, r);
    }
    for (const part of chunk([...unique.values()], 6)) {
      if (!part.length) continue;
      await trx
        .insertInto('incident_entities')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['incident_id', 'entity_key']).doUpdateSet({
            last_seen_at: sql`case when excluded.last_seen_at > incident_entities.last_seen_at then excluded.last_seen_at else incident_entities.last_seen_at end`,
          }),
        )
        .execute();
    }
  }

  async insertActivity(trx: Tx, rows: readonly ActivityRow[]): Promise<void> {
    for (const part of chunk(rows, 7))
      if (part.length) await trx.insertInto('incident_activity').values(part).execute();
  }

  async getRows(trx: Tx, ids: readonly string[]): Promise<IncidentRow[]> {
    const out: IncidentRow[] = [];
    for (const part of chunk(ids, 1))
      out.push(...(await trx.selectFrom('incidents').selectAll().where('id', 'in', part).execute()));
    return out;
  }

  async getRow(trx: Tx, id: string): Promise<IncidentRow | undefined> {
    return trx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Writes an incident if its version is still `expectVersion`; returns false when someone else
   * changed it meanwhile (optimistic concurrency).
   */
  async updateRow(
    trx: Tx,
    id: string,
    expectVersion: number,
    values: Partial<IncidentRow>,
  ): Promise<boolean> {
    const res = await trx
      .updateTable('incidents')
      .set({ ...values, version: expectVersion + 1 })
      .where('id', '=', id)
      .where('version', '=', expectVersion)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async alertsOf(trx: Tx, incidentId: string): Promise<AlertRow[]> {
    return trx
      .selectFrom('alerts')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('first_activity_at', 'asc')
      .execute();
  }

  async alert(id: string): Promise<AlertRow | undefined> {
    return this.h.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async entitiesOf(trx: Tx, incidentId: string): Promise<IncidentEntityRow[]> {
    return trx
      .selectFrom('incident_entities')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('kind')
      .orderBy('label')
      .execute();
  }

  async moveAlerts(trx: Tx, fromIds: readonly string[], toId: string): Promise<void> {
    await trx.updateTable('alerts').set({ incident_id: toId }).where('incident_id', 'in', fromIds).execute();
  }

  async moveEntities(trx: Tx, fromIds: readonly string[], toId: string): Promise<void> {
    const rows = await trx
      .selectFrom('incident_entities')
      .selectAll()
      .where('incident_id', 'in', fromIds)
      .execute();
    await this.upsertIncidentEntities(
      trx,
      rows.map((r) => ({ ...r, incident_id: toId })),
    );
    await trx.deleteFrom('incident_entities').where('incident_id', 'in', fromIds).execute();
  }

  async countEntities(trx: Tx, incidentId: string): Promise<number> {
    const r = await trx
      .selectFrom('incident_entities')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('incident_id', '=', incidentId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async setAlertsStatus(trx: Tx, incidentId: string, status: string): Promise<void> {
    await trx.updateTable('alerts').set({ status }).where('incident_id', '=', incidentId).execute();
  }

  async activityOf(incidentId: string): Promise<ActivityRow[]> {
    return this.h.db
      .selectFrom('incident_activity')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('at', 'asc')
      .orderBy('id', 'asc')
      .execute();
  }

  async list(q: IncidentListQuery): Promise<{ items: IncidentSummary[]; nextCursor: string | null }> {
    const sortKey = q.sort ?? 'lastActivityAt';
    const col = SORT_COLUMN[sortKey];
    const desc = (q.order ?? 'desc') === 'desc';
    const limit = q.limit ?? 50;
    let query = this.h.db.selectFrom('incidents').selectAll();
    query = q.status ? query.where('status', '=', q.status) : query.where('status', '!=', 'redirected');
    if (q.severity) query = query.where('severity', '=', q.severity);
    if (q.assignee) query = query.where('assignee', '=', q.assignee);
    if (q.tag) query = query.where('tags', 'like', `%${JSON.stringify(q.tag).replace(/[%_]/g, '')}%`);
    if (q.q) query = query.where(sql`lower(title)`, 'like', `%${q.q.toLowerCase().replace(/[%_\\]/g, '')}%`);
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      if (!c || typeof c[0] !== 'number')
        throw new InputError('The cursor is not one this server gave out; start again without it.', {
          cursor: q.cursor,
        });
      query = query.where(
        sql<boolean>`(${sql.ref(col)}, ${sql.ref('id')}) ${sql.raw(desc ? '<' : '>')} (${sql.join(c)})`,
      );
    }
    const rows = await query
      .orderBy(col, desc ? 'desc' : 'asc')
      .orderBy('id', desc ? 'desc' : 'asc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toIncidentSummary),
      nextCursor: rows.length > limit && last ? encodeCursor(last[col], last.id) : null,
    };
  }
}
