import type {
  AttackStory,
  Incident,
  IncidentActivity,
  IncidentListQuery,
  IncidentPatch,
  IncidentSummary,
  MergeInput,
} from '@quell/contracts';
import {
  ConflictError,
  InputError,
  NotFoundError,
  assertIncidentTransition,
  highestSeverity,
  isDeterminationOf,
  severityRank,
  type Classification,
  type IncidentActivityKind,
  type IncidentStatus,
  type Principal,
  type Severity,
} from '@quell/core';
import {
  fromJson,
  toActivity,
  toAlert,
  toIncidentSummary,
  toJson,
  type ActivityRow,
  type IncidentRow,
  type Tx,
} from '@quell/store';
import { actorName, audit, type ServiceContext } from './context.js';

/** Incident lifecycle, triage, comments, merge and the attack story. */
export class IncidentService {
  constructor(private readonly ctx: ServiceContext) {}

  list(q: IncidentListQuery): Promise<{ items: IncidentSummary[]; nextCursor: string | null }> {
    return this.ctx.store.incidents.list(q);
  }

  async get(id: string, trx: Tx = this.ctx.store.db): Promise<Incident> {
    const row = await this.mustGet(trx, id);
    const [alerts, entities] = await Promise.all([
      this.ctx.store.incidents.alertsOf(trx, id),
      this.ctx.store.incidents.entitiesOf(trx, id),
    ]);
    return {
      ...toIncidentSummary(row),
      resolutionNote: row.resolution_note,
      mitreTechniques: fromJson<string[]>(row.mitre, []),
      alerts: alerts.map(toAlert),
      entities: entities.map((e) => ({
        key: e.entity_key,
        kind: e.kind,
        label: e.label,
        evidence: fromJson<Record<string, unknown>>(e.evidence, {}),
      })),
    };
  }

  async alert(id: string) {
    const row = await this.ctx.store.incidents.alert(id);
    if (!row) throw new NotFoundError(`No alert ${id}.`, { id });
    return toAlert(row);
  }

  async mustGet(trx: Tx, id: string): Promise<IncidentRow> {
    const row = await this.ctx.store.incidents.getRow(trx, id);
    if (!row)
      throw new NotFoundError(`No incident ${id}. List incidents with \`quell incidents list\`.`, { id });
    return row;
  }

  async activity(id: string): Promise<IncidentActivity[]> {
    await this.mustGet(this.ctx.store.db, id);
    return (await this.ctx.store.incidents.activityOf(id)).map(toActivity);
  }

  async patch(principal: Principal, id: string, patch: IncidentPatch): Promise<Incident> {
    const actor = actorName(principal);
    await this.ctx.store.transaction(async (trx) => {
      const row = await this.mustGet(trx, id);
      if (row.status === 'redirected') {
        throw new ConflictError(
          `Incident ${id} was merged into ${row.redirected_to ?? '?'}; edit that one instead.`,
          { redirectedTo: row.redirected_to },
        );
      }
      if (row.version !== patch.version) {
        throw new ConflictError(
          `Incident ${id} was changed by someone else (it is at version ${row.version}, you sent ${patch.version}); reload it and try again.`,
          { version: row.version },
        );
      }
      const now = this.ctx.clock.now();
      const values: Partial<IncidentRow> = { updated_at: now };
      const log: Array<{ kind: IncidentActivityKind; text: string | null; data: Record<string, unknown> }> =
        [];

      if (patch.status !== undefined && patch.status !== row.status) {
        assertIncidentTransition(id, row.status as IncidentStatus, patch.status);
        if (patch.status === 'resolved') {
          if (!patch.resolutionNote) {
            throw new InputError('Resolving an incident needs a resolutionNote saying how it was resolved.', {
              field: 'resolutionNote',
            });
          }
          values.resolution_note = patch.resolutionNote;
          await this.ctx.store.incidents.setAlertsStatus(trx, id, 'resolved');
          log.push({ kind: 'resolved', text: patch.resolutionNote, data: { from: row.status } });
        } else {
          if (row.status === 'resolved') {
            await this.ctx.store.incidents.setAlertsStatus(
              trx,
              id,
              patch.status === 'in_progress' ? 'in_progress' : 'new',
            );
            log.push({ kind: 'reopened', text: null, data: { to: patch.status } });
          } else {
            log.push({ kind: 'status_changed', text: null, data: { from: row.status, to: patch.status } });
          }
          if (patch.status === 'in_progress')
            await this.ctx.store.incidents.setAlertsStatus(trx, id, 'in_progress');
        }
        values.status = patch.status;
      } else if (patch.resolutionNote !== undefined && patch.status === undefined) {
        if (row.status !== 'resolved') {
          throw new InputError('A resolutionNote goes with status "resolved".', { field: 'resolutionNote' });
        }
        values.resolution_note = patch.resolutionNote;
      }

      if (patch.assignee !== undefined && patch.assignee !== row.assignee) {
        values.assignee = patch.assignee;
        log.push({ kind: 'assigned', text: null, data: { from: row.assignee, to: patch.assignee } });
      }

      if (patch.severity !== undefined) {
        const effective: Severity = patch.severity ?? (row.alert_severity as Severity);
        values.severity_override = patch.severity;
        values.severity = effective;
        values.severity_rank = severityRank[effective];
        if (effective !== row.severity || patch.severity !== row.severity_override) {
          log.push({
            kind: 'severity_changed',
            text: null,
            data: { from: row.severity, to: effective, overridden: patch.severity !== null },
          });
        }
      }

      if (patch.classification !== undefined || patch.determination !== undefined) {
        const classification =
          patch.classification !== undefined
            ? patch.classification
            : (row.classification as Classification | null);
        let determination =
          patch.determination !== undefined
            ? patch.determination
            : patch.classification !== undefined
              ? null
              : row.determination;
        if (classification === null) determination = null;
        if (determination !== null && classification === null) {
          throw new InputError('A determination needs a classification.', { field: 'determination' });
        }
        if (
          classification !== null &&
          determination !== null &&
          !isDeterminationOf(classification, determination)
        ) {
          throw new InputError(`"${determination}" is not a determination of ${classification}.`, {
            classification,
            determination,
          });
        }
        values.classification = classification;
        values.determination = determination;
        log.push({ kind: 'classified', text: null, data: { classification, determination } });
      }

      if (patch.tags !== undefined) {
        const tags = [...new Set(patch.tags)].sort();
        values.tags = toJson(tags);
        log.push({ kind: 'tagged', text: null, data: { from: fromJson<string[]>(row.tags, []), to: tags } });
      }
      if (patch.title !== undefined && patch.title !== row.title) {
        values.title = patch.title;
        log.push({ kind: 'retitled', text: null, data: { from: row.title, to: patch.title } });
      }

      if (!(await this.ctx.store.incidents.updateRow(trx, id, row.version, values))) {
        throw new ConflictError(`Incident ${id} was changed by someone else; reload it and try again.`, {});
      }
      await this.ctx.store.incidents.insertActivity(
        trx,
        log.map((l) => this.activityRow(id, actor, now, l.kind, l.text, l.data)),
      );
      await audit(this.ctx, trx, principal, 'incident.changed', id, { ...patch });
    });
    return this.get(id);
  }

  async comment(principal: Principal, id: string, text: string): Promise<IncidentActivity> {
    const row = this.activityRow(id, actorName(principal), this.ctx.clock.now(), 'commented', text, {});
    await this.ctx.store.transaction(async (trx) => {
      await this.mustGet(trx, id);
      await this.ctx.store.incidents.insertActivity(trx, [row]);
      await audit(this.ctx, trx, principal, 'incident.commented', id, { length: text.length });
    });
    return toActivity(row);
  }

  /** Records an activity entry from another service (e.g. an action was requested). */
  async note(
    trx: Tx,
    id: string,
    actor: string,
    kind: IncidentActivityKind,
    text: string | null,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.ctx.store.incidents.insertActivity(trx, [
      this.activityRow(id, actor, this.ctx.clock.now(), kind, text, data),
    ]);
  }

  /** Absorbs `sourceIds` into `targetId`: their alerts and entities move; they become Redirected. */
  async merge(principal: Principal, targetId: string, input: MergeInput): Promise<Incident> {
    const sources = [...new Set(input.sourceIds)];
    if (sources.includes(targetId))
      throw new InputError('An incident cannot be merged into itself; remove it from sourceIds.', {
        targetId,
      });
    const actor = actorName(principal);
    await this.ctx.store.transaction(async (trx) => {
      const target = await this.mustGet(trx, targetId);
      if (target.status === 'redirected' || target.status === 'resolved') {
        throw new ConflictError(`Incident ${targetId} is ${target.status}; merge into an open incident.`, {
          status: target.status,
        });
      }
      const rows = await this.ctx.store.incidents.getRows(trx, sources);
      const missing = sources.filter((s) => !rows.some((r) => r.id === s));
      if (missing.length) throw new NotFoundError(`No incident ${missing.join(', ')}.`, { missing });
      const redirected = rows.filter((r) => r.status === 'redirected');
      if (redirected.length) {
        throw new ConflictError(
          `Incident ${redirected.map((r) => r.id).join(', ')} was already merged elsewhere.`,
          { redirected: redirected.map((r) => r.id) },
        );
      }
      const now = this.ctx.clock.now();
      await this.ctx.store.incidents.moveAlerts(trx, sources, targetId);
      await this.ctx.store.incidents.moveEntities(trx, sources, targetId);
      const all = [target, ...rows];
      const alertSeverity = highestSeverity(all.map((r) => r.alert_severity as Severity));
      const effective = (target.severity_override as Severity | null) ?? alertSeverity;
      await trx
        .updateTable('incidents')
        .set({
          alert_count: all.reduce((n, r) => n + r.alert_count, 0),
          entity_count: await this.ctx.store.incidents.countEntities(trx, targetId),
          alert_severity: alertSeverity,
          severity: effective,
          severity_rank: severityRank[effective],
          mitre: toJson([...new Set(all.flatMap((r) => fromJson<string[]>(r.mitre, [])))].sort()),
          system_tags: toJson([...new Set(all.flatMap((r) => fromJson<string[]>(r.system_tags, [])))].sort()),
          tags: toJson([...new Set(all.flatMap((r) => fromJson<string[]>(r.tags, [])))].sort()),
          first_activity_at: Math.min(...all.map((r) => r.first_activity_at)),
          last_activity_at: Math.max(...all.map((r) => r.last_activity_at)),
          updated_at: now,
          version: target.version + 1,
        })
        .where('id', '=', targetId)
        .execute();
      for (const r of rows) {
        await trx
          .updateTable('incidents')
          .set({
            status: 'redirected',
            redirected_to: targetId,
            alert_count: 0,
            entity_count: 0,
            updated_at: now,
            version: r.version + 1,
          })
          .where('id', '=', r.id)
          .execute();
      }
      await this.ctx.store.incidents.insertActivity(trx, [
        this.activityRow(targetId, actor, now, 'merged', null, { sources }),
        ...rows.map((r) => this.activityRow(r.id, actor, now, 'redirected', null, { to: targetId })),
      ]);
      await audit(this.ctx, trx, principal, 'incident.merged', targetId, { sources });
    });
    return this.get(targetId);
  }

  /** The attack story: alerts and entities as a graph; an alert links to each entity it names. */
  async graph(id: string): Promise<AttackStory> {
    const incident = await this.get(id);
    const nodes: AttackStory['nodes'] = [];
    const edges: AttackStory['edges'] = [];
    for (const e of incident.entities) nodes.push({ id: e.key, type: e.kind, label: e.label });
    const known = new Set(incident.entities.map((e) => e.key));
    for (const a of incident.alerts) {
      nodes.push({ id: a.id, type: 'alert', label: a.title, severity: a.severity });
      for (const e of a.entities) {
        if (known.has(e.key))
          edges.push({ id: `${a.id}->${e.key}`, source: a.id, target: e.key, label: e.kind });
      }
    }
    // Processes point at the device they ran on, so the story reads device → process → file.
    for (const e of incident.entities) {
      const host = e.kind === 'process' ? e.evidence.deviceHostname : undefined;
      if (typeof host === 'string' && known.has(`device:${host.toLowerCase()}`)) {
        edges.push({
          id: `${e.key}->device`,
          source: `device:${host.toLowerCase()}`,
          target: e.key,
          label: 'ran',
        });
      }
    }
    return { nodes, edges };
  }

  private activityRow(
    incidentId: string,
    actor: string,
    at: number,
    kind: IncidentActivityKind,
    text: string | null,
    data: Record<string, unknown>,
  ): ActivityRow {
    return {
      id: this.ctx.ids.next('act'),
      incident_id: incidentId,
      kind,
      actor,
      at,
      text,
      data: toJson(data),
    };
  }
}
