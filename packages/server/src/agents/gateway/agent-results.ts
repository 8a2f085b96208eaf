import { Ajv, type ValidateFunction } from 'ajv';
import type { AckMessage, ResultMessage } from '@quell/contracts';
import { ACTION_CATALOG, SYSTEM_PRINCIPAL, isTerminal, type ActionStatus } from '@quell/core';
import { fromJson, type ActionRow, type Tx } from '@quell/store';
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

/**
 * Whether an action is aimed at this device (a device action naming it, or a file action on a
 * file it holds); an agent may only report on its own actions.
 */
export function belongsTo(row: ActionRow, who: AgentIdentity): boolean {
  const ref =
    row.target_kind === 'device'
      ? row.target_id
      : row.target_kind === 'file'
        ? fromJson<{ deviceHostname?: string }>(row.target, {}).deviceHostname
        : undefined;
  return ref !== undefined && (ref === who.deviceId || ref.toLowerCase() === who.hostname);
}

/**
 * Applies what agents report about actions: acks move a dispatched action to `running`, results
 * end it. Reports arrive by the thousand in a fan-out and are applied in batches, one transaction
 * each; every report is idempotent, since agents repeat results until acked and
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

  /**
   * Acks for actions agents hold, applied together in one transaction: an accepted one moves from
   * dispatched to running, a refused one fails. For each: false when the action is not that
   * device's.
   */
  async ackedMany(items: ReadonlyArray<{ who: AgentIdentity; ack: AckMessage }>): Promise<boolean[]> {
    return this.ctx.store.transaction(async (trx) => {
      const rows = await this.rowsOf(
        trx,
        items.map((i) => i.ack.actionId),
      );
      const moves: Parameters<ActionService['transitionMany']>[1][number][] = [];
      const seen = new Set<string>();
      const out = items.map(({ who, ack }) => {
        const row = rows.get(ack.actionId);
        if (!row || !belongsTo(row, who)) return false;
        // An ack repeated within one batch is applied once.
        if (seen.has(row.id)) return true;
        seen.add(row.id);
        if (ack.status === 'refused') {
          if (row.status === 'dispatched' || row.status === 'running') {
            const why = `the agent refused the command: ${ack.reason ?? 'no reason given'}`;
            moves.push({ row, to: 'failed', reason: why, extra: { error: why, claimedUntil: null } });
          }
        } else if (row.status === 'dispatched') {
          moves.push({
            row,
            to: 'running',
            reason: ack.status === 'duplicate' ? 'agent had already run it' : 'agent accepted the command',
          });
        }
        return true;
      });
      await this.actions.transitionMany(trx, moves, ACTOR);
      return out;
    });
  }

  /**
   * Applies results, together. For each: whether to answer `result_ack`: yes when it is applied or
   * was already final, no when it names an action that is not this device's (the agent keeps it
   * and someone sees the warning).
   */
  async resultMany(items: ReadonlyArray<{ who: AgentIdentity; msg: ResultMessage }>): Promise<boolean[]> {
    const before = await this.rowsOf(
      this.ctx.store.db,
      items.map((i) => i.msg.actionId),
    );
    // Alerts first: their ids derive from the action, so a repeat after a crash between the two
    // steps finds them already ingested instead of doubling them.
    for (const { who, msg } of items) {
      const row = before.get(msg.actionId);
      if (row && belongsTo(row, who) && !isTerminal(row.status as ActionStatus) && msg.detections?.length)
        await this.raiseAlerts(row, who, msg);
    }
    return this.ctx.store.transaction(async (trx) => {
      const rows = await this.rowsOf(
        trx,
        items.map((i) => i.msg.actionId),
      );
      const moves: Parameters<ActionService['transitionMany']>[1][number][] = [];
      const seen = new Set<string>();
      const out = items.map(({ who, msg }) => {
        const row = rows.get(msg.actionId);
        if (!row || !belongsTo(row, who)) return false;
        if (seen.has(row.id) || (row.status !== 'dispatched' && row.status !== 'running')) return true;
        seen.add(row.id);
        moves.push(this.finishing(row, msg));
        return true;
      });
      await this.actions.transitionMany(trx, moves, ACTOR);
      await this.ctx.store.actions.clearProgress(
        trx,
        moves.map((m) => m.row.id),
      );
      return out;
    });
  }

  private async rowsOf(trx: Tx, ids: readonly string[]): Promise<Map<string, ActionRow>> {
    return new Map((await this.ctx.store.actions.getMany(trx, [...new Set(ids)])).map((r) => [r.id, r]));
  }

  /** The final move a result asks for: its status, reason (with evidence) and result or error. */
  private finishing(row: ActionRow, msg: ResultMessage) {
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
    return {
      row,
      to: status,
      reason,
      extra: {
        result: status === 'succeeded' ? msg.result : null,
        error: status === 'succeeded' ? null : (error ?? `agent reported ${status}`),
        claimedUntil: null,
      },
    };
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
