import { Ajv, type ValidateFunction } from 'ajv';
import type { AckMessage, ResultMessage } from '@quell/contracts';
import { ACTION_CATALOG, SYSTEM_PRINCIPAL, isTerminal, type ActionStatus } from '@quell/core';
import type { ActionRow, Tx } from '@quell/store';
import type { ActionService } from '../../services/action.service.js';
import type { ServiceContext } from '../../services/context.js';
import type { IncidentService } from '../../services/incident.service.js';
import type { IngestService } from '../../services/ingest.service.js';
import { detectionAlerts } from './detection-alerts.js';

const ACTOR = 'agent';
/** Longest evidence text kept on the timeline. */
const MAX_EVIDENCE_CHARS = 4000;

/** The device a connection speaks for. */
export interface AgentIdentity {
  deviceId: string;
  hostname: string;
}

/** Whether an action is aimed at this device; an agent may only report on its own actions. */
export function belongsTo(row: ActionRow, who: AgentIdentity): boolean {
  return (
    row.target_kind === 'device' &&
    (row.target_id === who.deviceId || row.target_id.toLowerCase() === who.hostname)
  );
}

/**
 * Applies what agents report about actions: acks move a dispatched action to `running`, results
 * end it. Each is one transaction and idempotent, since agents repeat results until acked and
 * commands are re-sent after reconnects: a result for a finished action changes nothing.
 *
 * Evidence (what the agent read back: ruleset hash, helper pid, counts) is kept on the timeline,
 * as the reason of the final transition, so `result` stays exactly the catalog's result schema.
 */
export class AgentResults {
  private readonly resultSchemas = new Map<string, ValidateFunction>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly actions: ActionService,
    private readonly ingest: IngestService,
    private readonly incidents: IncidentService,
  ) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const def of ACTION_CATALOG) this.resultSchemas.set(def.id, ajv.compile(def.result));
  }

  /** An ack for an action this agent holds; false when the action is not this device's. */
  async acked(who: AgentIdentity, ack: AckMessage): Promise<boolean> {
    return this.ctx.store.transaction(async (trx) => {
      const row = await this.ctx.store.actions.get(trx, ack.actionId);
      if (!row || !belongsTo(row, who)) return false;
      if (ack.status === 'refused') {
        if (row.status === 'dispatched' || row.status === 'running') {
          const why = `the agent refused the command: ${ack.reason ?? 'no reason given'}`;
          await this.actions.transition(trx, row, 'failed', ACTOR, why, { error: why, claimedUntil: null });
        }
        return true;
      }
      if (row.status === 'dispatched')
        await this.actions.transition(
          trx,
          row,
          'running',
          ACTOR,
          ack.status === 'duplicate' ? 'agent had already run it' : 'agent accepted the command',
        );
      return true;
    });
  }

  /**
   * Applies a result. Returns whether to answer `result_ack`: yes when it is applied or was
   * already final, no when it names an action that is not this device's (the agent keeps it
   * and someone sees the warning).
   */
  async result(who: AgentIdentity, msg: ResultMessage): Promise<boolean> {
    const row = await this.ctx.store.actions.get(this.ctx.store.db, msg.actionId);
    if (!row || !belongsTo(row, who)) return false;
    if (isTerminal(row.status as ActionStatus)) return true;
    // Alerts first: their ids derive from the action, so a repeat after a crash between the two
    // steps finds them already ingested instead of doubling them.
    if (msg.detections?.length) await this.raiseAlerts(row, who, msg);
    await this.ctx.store.transaction(async (trx) => {
      const current = await this.ctx.store.actions.get(trx, msg.actionId);
      if (!current || (current.status !== 'dispatched' && current.status !== 'running')) return;
      await this.finish(trx, current, msg);
    });
    return true;
  }

  private async finish(trx: Tx, row: ActionRow, msg: ResultMessage): Promise<void> {
    const evidence = evidenceText(msg.evidence);
    let status = msg.status;
    let error = msg.error ?? null;
    if (status === 'succeeded') {
      const check = this.resultSchemas.get(row.type);
      if (check && !check(msg.result)) {
        status = 'failed';
        error = `the agent's result does not match ${row.type}'s result schema: ${check.errors
          ?.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
          .join('; ')}`;
      }
    }
    const reason =
      status === 'succeeded'
        ? `agent reported success${evidence}`
        : `agent reported ${status}${error ? `: ${error}` : ''}${evidence}`;
    await this.actions.transition(trx, row, status, ACTOR, reason, {
      result: status === 'succeeded' ? msg.result : null,
      error: status === 'succeeded' ? null : (error ?? `agent reported ${status}`),
      claimedUntil: null,
    });
    await this.ctx.store.actions.setProgress(trx, row.id, null);
  }

  private async raiseAlerts(row: ActionRow, who: AgentIdentity, msg: ResultMessage): Promise<void> {
    const inputs = detectionAlerts(row.id, who, msg);
    const results = await this.ingest.ingest(SYSTEM_PRINCIPAL, inputs);
    const elsewhere = results.results.filter((r) => r.created && r.incidentId !== row.incident_id);
    if (row.incident_id && elsewhere.length) {
      // Correlation put them in another incident (no shared entity in the window); the action's
      // incident still says where its scan's findings went.
      const incidentId = row.incident_id;
      await this.ctx.store.transaction((trx) =>
        this.incidents.note(
          trx,
          incidentId,
          'Quell',
          'commented',
          `Scan ${row.id} found ${inputs.length} detection(s); alerts went to ${[...new Set(elsewhere.map((r) => r.incidentId))].join(', ')}.`,
          { actionId: row.id, alertIds: elsewhere.map((r) => r.alertId) },
        ),
      );
    }
  }
}

function evidenceText(evidence: Record<string, unknown>): string {
  if (Object.keys(evidence).length === 0) return '';
  const text = JSON.stringify(evidence);
  return `; evidence: ${text.length > MAX_EVIDENCE_CHARS ? `${text.slice(0, MAX_EVIDENCE_CHARS)}…` : text}`;
}
