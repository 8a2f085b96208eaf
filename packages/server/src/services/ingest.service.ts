import type { AlertInput, EntityView, IngestResult } from '@quell/contracts';
import {
  InputError,
  entityKey,
  entityLabel,
  highestSeverity,
  planCorrelation,
  severityRank,
  type DeviceEntity,
  type Entity,
  type Principal,
  type Severity,
} from '@quell/core';
import {
  fromJson,
  toJson,
  type ActivityRow,
  type AlertRow,
  type IncidentEntityRow,
  type IncidentRow,
  type JoinedIncidentUpdate,
  type Tx,
} from '@quell/store';
import { actorName, type ServiceContext } from './context.js';
import type { DeviceGroupService } from './device-group.service.js';
import type { SettingsService } from './settings.service.js';

interface Prepared {
  input: AlertInput;
  id: string;
  externalId: string | null;
  first: number;
  last: number;
  entities: EntityView[];
  keys: string[];
}

function prepare(input: AlertInput, index: number, id: string): Prepared {
  const first = Date.parse(input.firstActivityAt);
  const last = input.lastActivityAt ? Date.parse(input.lastActivityAt) : first;
  if (Number.isNaN(first)) throw new InputError(`alerts[${index}].firstActivityAt is not a date.`, { index });
  if (last < first) {
    throw new InputError(`alerts[${index}].lastActivityAt is before firstActivityAt; swap or drop it.`, {
      index,
    });
  }
  const seen = new Map<string, EntityView>();
  for (const e of input.entities as Entity[]) {
    const key = entityKey(e);
    const prior = seen.get(key);
    seen.set(key, {
      key,
      kind: e.kind,
      label: entityLabel(e),
      evidence: { ...(prior?.evidence ?? {}), ...(e as unknown as Record<string, unknown>) },
    });
  }
  const entities = [...seen.values()];
  return { input, id, externalId: input.id ?? null, first, last, entities, keys: entities.map((e) => e.key) };
}

/**
 * Alert ingestion with correlation, a whole batch in one transaction: duplicates by alert id are
 * answered with what they became; the rest are correlated (core `planCorrelation`) against open
 * incidents that share an entity within the window, and written with multi-row statements.
 */
export class IngestService {
  /**
   * Called inside the ingest transaction with the alerts just stored, so what other areas derive
   * from them (files record their file entities) lands or fails with the alerts themselves.
   */
  readonly afterStore: Array<(trx: Tx, alerts: readonly AlertRow[]) => Promise<void>> = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly settings: SettingsService,
    private readonly deviceGroups: DeviceGroupService,
  ) {}

  async ingest(principal: Principal, inputs: readonly AlertInput[]): Promise<IngestResult> {
    if (inputs.length === 0)
      throw new InputError('No alerts to ingest; send one alert or {"alerts": [...]}.');
    const prepared = inputs.map((a, i) => prepare(a, i, this.ctx.ids.next('al')));
    const { correlationWindowHours } = await this.settings.get();
    const windowMs = correlationWindowHours * 3_600_000;
    const actor = actorName(principal);
    const { store, clock, ids } = this.ctx;

    return store.transaction(async (trx) => {
      const now = clock.now();
      const results: IngestResult['results'] = new Array(prepared.length);
      const externalIds = [
        ...new Set(prepared.map((p) => p.externalId).filter((x): x is string => x !== null)),
      ];
      const known = await store.incidents.alertsByExternalId(trx, externalIds);
      const fresh: Prepared[] = [];
      /** Position in the request of each fresh alert. */
      const freshIndex: number[] = [];
      const batchExternal = new Map<string, number>();
      prepared.forEach((p, i) => {
        const prior = p.externalId ? known.get(p.externalId) : undefined;
        if (prior) {
          results[i] = { alertId: prior.id, incidentId: prior.incidentId, created: false };
          return;
        }
        if (p.externalId) {
          // A repeat within the batch answers like its first occurrence (filled in below).
          if (batchExternal.has(p.externalId)) return;
          batchExternal.set(p.externalId, i);
        }
        fresh.push(p);
        freshIndex.push(i);
      });

      const allKeys = [...new Set(fresh.flatMap((p) => p.keys))];
      const minAt = Math.min(...fresh.map((p) => p.first));
      const candidateRows = fresh.length
        ? await store.incidents.correlationCandidates(trx, allKeys, minAt - windowMs)
        : [];
      const byIncident = new Map<string, { keys: Set<string>; lastActivityAt: number }>();
      for (const c of candidateRows) {
        const entry = byIncident.get(c.incidentId) ?? {
          keys: new Set<string>(),
          lastActivityAt: c.lastActivityAt,
        };
        entry.keys.add(c.entityKey);
        byIncident.set(c.incidentId, entry);
      }
      const plan = planCorrelation(
        fresh.map((p) => ({ alertId: p.id, entityKeys: p.keys, at: p.first })),
        [...byIncident].map(([incidentId, v]) => ({
          incidentId,
          entityKeys: [...v.keys],
          lastActivityAt: v.lastActivityAt,
        })),
        windowMs,
      );

      // Accumulate each target incident's changes in memory, then write once per incident.
      interface Acc {
        id: string;
        isNew: boolean;
        alerts: Prepared[];
        knownKeys: Set<string>;
      }
      const newIds = Array.from({ length: plan.newIncidents }, () => ids.next('inc'));
      const accs = new Map<string, Acc>();
      const accFor = (id: string, isNew: boolean): Acc => {
        let a = accs.get(id);
        if (!a) {
          a = {
            id,
            isNew,
            alerts: [],
            knownKeys: new Set(isNew ? [] : [...(byIncident.get(id)?.keys ?? [])]),
          };
          accs.set(id, a);
        }
        return a;
      };
      plan.decisions.forEach((d, k) => {
        const p = fresh[k]!;
        const incidentId = d.kind === 'join' ? d.incidentId : newIds[d.newIncidentRef]!;
        accFor(incidentId, d.kind === 'new').alerts.push(p);
      });

      const existingRows = new Map(
        (
          await store.incidents.getRows(
            trx,
            [...accs.values()].filter((a) => !a.isNew).map((a) => a.id),
          )
        ).map((r) => [r.id, r]),
      );
      const alertRows: AlertRow[] = [];
      const entityRows: IncidentEntityRow[] = [];
      const activity: ActivityRow[] = [];
      const newIncidents: IncidentRow[] = [];
      const joined: JoinedIncidentUpdate[] = [];
      const devices: DeviceEntity[] = [];

      for (const acc of accs.values()) {
        const newKeys = new Set<string>();
        for (const p of acc.alerts) {
          alertRows.push({
            id: p.id,
            external_id: p.externalId,
            incident_id: acc.id,
            title: p.input.title,
            description: p.input.description ?? '',
            severity: p.input.severity,
            status: 'new',
            category: p.input.category,
            detection_source: p.input.detectionSource,
            mitre: toJson(p.input.mitreTechniques ?? []),
            entities: toJson(p.entities),
            first_activity_at: p.first,
            last_activity_at: p.last,
            created_at: now,
          });
          for (const e of p.entities) {
            entityRows.push({
              incident_id: acc.id,
              entity_key: e.key,
              kind: e.kind,
              label: e.label,
              evidence: toJson(e.evidence),
              last_seen_at: p.last,
            });
            if (!acc.knownKeys.has(e.key)) newKeys.add(e.key);
            if (e.kind === 'device') devices.push(e.evidence as unknown as DeviceEntity);
          }
          activity.push({
            id: ids.next('act'),
            incident_id: acc.id,
            kind: 'alert_added',
            actor,
            at: now,
            text: p.input.title,
            data: toJson({ alertId: p.id, severity: p.input.severity }),
          });
        }
        const severities = acc.alerts.map((p) => p.input.severity);
        const mitre = acc.alerts.flatMap((p) => p.input.mitreTechniques ?? []);
        const first = Math.min(...acc.alerts.map((p) => p.first));
        const last = Math.max(...acc.alerts.map((p) => p.last));
        if (acc.isNew) {
          const alertSeverity = highestSeverity(severities);
          const lead = acc.alerts[0]!;
          newIncidents.push({
            id: acc.id,
            title: incidentTitle(lead.input, acc.alerts.length),
            status: 'active',
            severity: alertSeverity,
            severity_rank: severityRank[alertSeverity],
            alert_severity: alertSeverity,
            severity_override: null,
            assignee: null,
            classification: null,
            determination: null,
            tags: toJson([]),
            system_tags: toJson(systemTags(acc.alerts)),
            resolution_note: null,
            redirected_to: null,
            alert_count: acc.alerts.length,
            entity_count: newKeys.size,
            mitre: toJson([...new Set(mitre)].sort()),
            first_activity_at: first,
            last_activity_at: last,
            created_at: now,
            updated_at: now,
            version: 1,
          });
          activity.push({
            id: ids.next('act'),
            incident_id: acc.id,
            kind: 'created',
            actor,
            at: now,
            text: null,
            data: toJson({ alerts: acc.alerts.length }),
          });
        } else {
          const row = existingRows.get(acc.id);
          if (!row) continue;
          const alertSeverity = highestSeverity([row.alert_severity as Severity, ...severities]);
          const effective = (row.severity_override as Severity | null) ?? alertSeverity;
          const merged = [...new Set([...fromJson<string[]>(row.mitre, []), ...mitre])].sort();
          const tags = [
            ...new Set([...fromJson<string[]>(row.system_tags, []), ...systemTags(acc.alerts)]),
          ].sort();
          joined.push({
            id: acc.id,
            addAlerts: acc.alerts.length,
            addEntities: newKeys.size,
            alertSeverity,
            severity: effective,
            severityRank: severityRank[effective],
            mitre: toJson(merged),
            systemTags: toJson(tags),
            firstActivityAt: Math.min(row.first_activity_at, first),
            lastActivityAt: Math.max(row.last_activity_at, last),
          });
        }
      }

      // Bypasses optimistic concurrency on purpose: ingestion never conflicts with an analyst's
      // edit because it touches only counters and derived fields, which it recomputed above.
      await store.incidents.applyJoins(trx, joined, now);
      await store.incidents.insertIncidents(trx, newIncidents);
      await store.incidents.insertAlerts(trx, alertRows);
      await store.incidents.upsertIncidentEntities(trx, entityRows);
      await store.incidents.insertActivity(trx, activity);
      await this.deviceGroups.upsertFromEntities(trx, devices, now);
      for (const hook of this.afterStore) await hook(trx, alertRows);

      plan.decisions.forEach((d, k) => {
        results[freshIndex[k]!] = {
          alertId: fresh[k]!.id,
          incidentId: d.kind === 'join' ? d.incidentId : newIds[d.newIncidentRef]!,
          created: true,
        };
      });
      prepared.forEach((p, i) => {
        if (results[i]) return;
        const firstIndex = p.externalId ? batchExternal.get(p.externalId) : undefined;
        const first = firstIndex !== undefined ? results[firstIndex] : undefined;
        if (first) results[i] = { ...first, created: false };
      });

      await store.audit.append(trx, [
        {
          at: now,
          actor,
          event: 'alerts.ingested',
          subject: 'alerts',
          data: { received: prepared.length, created: fresh.length, newIncidents: newIncidents.length },
        },
      ]);
      return { results };
    });
  }
}

function incidentTitle(lead: AlertInput, count: number): string {
  const device = lead.entities.find((e) => e.kind === 'device');
  const where = device && 'hostname' in device ? ` on ${device.hostname}` : '';
  return count > 1 ? `Multi-stage incident involving ${lead.category}${where}` : `${lead.title}${where}`;
}

function systemTags(alerts: readonly Prepared[]): string[] {
  return [...new Set(alerts.map((p) => p.input.category))];
}
