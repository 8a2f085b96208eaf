import type { Action, ActionDetail, ActionListQuery, ActionRequest, Settings } from '@quell/contracts';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  actionDefinition,
  assertTransition,
  decideApproval,
  isTerminal,
  roleHas,
  scopeCovers,
  type ActionDefinition,
  type ActionSource,
  type ActionStatus,
  type AutomationLevel,
  type Principal,
} from '@quell/core';
import { toAction, toActionEvent, toJson, type ActionRow, type Tx } from '@quell/store';
import { actorName, type ServiceContext } from './context.js';
import type { DeviceGroupService } from './device-group.service.js';
import type { IncidentService } from './incident.service.js';
import type { ParamValidator } from './param-validator.js';
import type { SettingsService } from './settings.service.js';

const HOUR = 3_600_000;

/** A request checked against the catalog, ready to be turned into rows for its targets. */
export interface CheckedRequest {
  def: ActionDefinition;
  source: ActionSource;
  params: Record<string, unknown>;
}

export interface TransitionExtra {
  result?: Record<string, unknown> | null;
  error?: string | null;
  decidedBy?: string;
  decisionComment?: string | null;
  attempts?: number;
  nextAttemptAt?: number | null;
  claimedBy?: string | null;
  claimedUntil?: number | null;
  expiresAt?: number;
}

/**
 * The action pipeline (ARCHITECTURE §1): request → policy → approval → queue → executor → result,
 * with cancel and undo. Every transition is checked by core's state machine, written with its
 * timeline event and audit entry in one transaction, and only then acted on.
 */
export class ActionService {
  /** Called after anything is queued, so the dispatcher picks it up at once. */
  onQueued: () => void = () => {};
  /**
   * Called after an action that an executor already held (dispatched or running) was cancelled,
   * once committed, so the executor can stop it (the agent gateway sends `cancel`).
   */
  onCancelled: (row: ActionRow) => void = () => {};

  constructor(
    private readonly ctx: ServiceContext,
    private readonly settings: SettingsService,
    private readonly deviceGroups: DeviceGroupService,
    private readonly incidents: IncidentService,
    private readonly params: ParamValidator,
  ) {}

  async request(
    principal: Principal,
    input: ActionRequest,
    link: { undoOf?: ActionRow } = {},
  ): Promise<Action> {
    const id = await this.ctx.store.transaction((trx) => this.requestIn(trx, principal, input, link));
    this.onQueued();
    return this.get(id);
  }

  private async requestIn(
    trx: Tx,
    principal: Principal,
    input: ActionRequest,
    link: { undoOf?: ActionRow },
  ): Promise<string> {
    const checked = this.checkRequest(principal, input);
    const { def, params } = checked;
    if (def.targetKind !== input.target.kind) {
      throw new InputError(
        `${def.id} acts on a ${def.targetKind}, not a ${input.target.kind}; set target.kind to "${def.targetKind}".`,
        {
          expected: def.targetKind,
        },
      );
    }
    if (
      def.targetKind === 'file' &&
      typeof params.sha256 === 'string' &&
      params.sha256.toLowerCase() !== input.target.id.toLowerCase()
    ) {
      throw new InputError('params.sha256 must be the target file’s SHA-256 (target.id).', {
        target: input.target.id,
      });
    }
    const group = await this.deviceGroups.groupOfTarget(trx, input.target);
    const groupId = group?.id ?? null;
    if (!scopeCovers(principal, groupId)) {
      throw new NotAllowedError(
        groupId
          ? `You may act only on devices in your device groups; ${input.target.id} is in ${group?.name ?? groupId}.`
          : `${def.id} is not limited to one device group, so it needs a user or token that is not scoped to device groups.`,
        { deviceGroupId: groupId },
      );
    }
    if (input.incidentId) await this.incidents.mustGet(trx, input.incidentId);

    const settings = await this.settings.get(trx);
    const row = this.buildRow(principal, checked, input, input.target, group ?? null, settings, {
      undoOf: link.undoOf?.id ?? null,
    });
    await this.insertRequested(trx, principal, [row]);
    if (link.undoOf) {
      if (
        !(await this.ctx.store.actions.update(trx, link.undoOf.id, link.undoOf.version, {
          undone_by: row.id,
          updated_at: row.created_at,
        }))
      ) {
        throw new ConflictError(
          `Action ${link.undoOf.id} changed while the undo was being requested; try again.`,
          {},
        );
      }
    }
    if (input.incidentId) {
      await this.incidents.note(trx, input.incidentId, actorName(principal), 'action_requested', def.title, {
        actionId: row.id,
        type: def.id,
        status: row.status,
      });
    }
    return row.id;
  }

  /**
   * What a request must satisfy whatever its target: the caller's role, the source, and the
   * parameters against the catalog. Returns the definition and the checked parameters.
   */
  checkRequest(
    principal: Principal,
    input: Pick<ActionRequest, 'type' | 'source' | 'params'>,
  ): CheckedRequest {
    const def = actionDefinition(input.type);
    if (!def.requestRoles.includes(principal.role)) {
      throw new NotAllowedError(
        `Your role (${principal.role}) cannot request ${def.id}; it needs ${def.requestRoles.join(' or ')}.`,
        {
          needs: def.requestRoles,
        },
      );
    }
    const source: ActionSource = input.source ?? 'manual';
    if (principal.kind === 'user' && source !== 'manual' && source !== 'live_response') {
      throw new NotAllowedError(
        `Only API tokens and Quell itself may request actions with source ${source}.`,
        { source },
      );
    }
    return { def, source, params: this.params.check(def.id, input.params ?? {}) };
  }

  /** The new action's row, with the approval policy decided for its target's device group. */
  buildRow(
    principal: Principal,
    checked: CheckedRequest,
    input: Pick<ActionRequest, 'comment' | 'incidentId' | 'alertId' | 'investigationId' | 'ttlHours'>,
    target: ActionRequest['target'],
    group: { id: string; automation_level: string } | null,
    settings: Settings,
    link: { undoOf?: string | null; batchId?: string | null } = {},
  ): ActionRow {
    const { def, source, params } = checked;
    const decision = decideApproval({
      definition: def,
      source,
      deviceGroupId: group?.id ?? null,
      automationLevel: (group?.automation_level as AutomationLevel | undefined) ?? 'full',
      filePath: typeof params.path === 'string' ? params.path : undefined,
      rules: settings.approvalRules,
      twoPersonRule: settings.twoPersonRule,
    });
    const now = this.ctx.clock.now();
    const ttl = (input.ttlHours ?? settings.actionTtlHours) * HOUR;
    const status: ActionStatus = decision.needsApproval ? 'pending_approval' : 'queued';
    return {
      id: this.ctx.ids.next('action'),
      type: def.id,
      status,
      source,
      target_kind: target.kind,
      target_id: target.id,
      target: toJson(target),
      device_group_id: group?.id ?? null,
      params: toJson(params),
      result: null,
      error: null,
      requested_by: actorName(principal),
      requested_by_id: principal.id,
      request_comment: input.comment ?? (typeof params.comment === 'string' ? params.comment : null),
      approval_reason: decision.reason,
      decided_by: null,
      decision_comment: null,
      incident_id: input.incidentId ?? null,
      alert_id: input.alertId ?? null,
      investigation_id: input.investigationId ?? null,
      undo_of: link.undoOf ?? null,
      undone_by: null,
      attempts: 0,
      next_attempt_at: null,
      claimed_by: null,
      claimed_until: null,
      approval_expires_at: decision.needsApproval ? now + settings.approvalTimeoutHours * HOUR : null,
      expires_at: now + ttl + (decision.needsApproval ? settings.approvalTimeoutHours * HOUR : 0),
      created_at: now,
      updated_at: now,
      version: 1,
      batch_id: link.batchId ?? null,
    };
  }

  /** Writes new actions with their first timeline event and audit entry, in the caller's transaction. */
  async insertRequested(trx: Tx, principal: Principal, rows: readonly ActionRow[]): Promise<void> {
    const actor = actorName(principal);
    await this.ctx.store.actions.insertMany(trx, rows);
    await this.ctx.store.actions.insertEvents(
      trx,
      rows.map((r) => ({
        id: this.ctx.ids.next('ev'),
        action_id: r.id,
        at: r.created_at,
        from_status: null,
        to_status: r.status,
        actor,
        reason: r.approval_reason,
      })),
    );
    await this.ctx.store.audit.append(
      trx,
      rows.map((r) => ({
        at: r.created_at,
        actor,
        event: 'action.requested',
        subject: r.id,
        data: {
          type: r.type,
          target: r.target_id,
          source: r.source,
          status: r.status,
          undoOf: r.undo_of,
          ...(r.batch_id && { batchId: r.batch_id }),
        },
      })),
    );
  }

  async get(id: string): Promise<Action> {
    return toAction(await this.mustGet(this.ctx.store.db, id));
  }

  async detail(id: string): Promise<ActionDetail> {
    const row = await this.mustGet(this.ctx.store.db, id);
    const events = await this.ctx.store.actions.events(id);
    return { ...toAction(row), timeline: events.map(toActionEvent) };
  }

  list(q: ActionListQuery): Promise<{ items: Action[]; nextCursor: string | null }> {
    return this.ctx.store.actions.list(q, this.ctx.clock.now());
  }

  async mustGet(trx: Tx, id: string): Promise<ActionRow> {
    const row = await this.ctx.store.actions.get(trx, id);
    if (!row)
      throw new NotFoundError(`No action ${id}. The Action Center lists them: \`quell actions list\`.`, {
        id,
      });
    return row;
  }

  async approve(principal: Principal, id: string, comment?: string): Promise<Action> {
    return (await this.bulkDecide(principal, [id], 'approve', comment))[0]!;
  }

  async reject(principal: Principal, id: string, comment: string): Promise<Action> {
    return (await this.bulkDecide(principal, [id], 'reject', comment))[0]!;
  }

  /** Approves or rejects actions of one type, all or none. */
  async bulkDecide(
    principal: Principal,
    ids: readonly string[],
    verdict: 'approve' | 'reject',
    comment?: string,
  ): Promise<Action[]> {
    const unique = [...new Set(ids)];
    const actor = actorName(principal);
    await this.ctx.store.transaction(async (trx) => {
      const rows = await this.loadOneType(trx, unique, verdict);
      const settings = await this.settings.get(trx);
      for (const row of rows) {
        const def = actionDefinition(row.type);
        if (!roleHas(principal.role, 'actions:decide') || !def.approveRoles.includes(principal.role)) {
          throw new NotAllowedError(
            `Your role (${principal.role}) cannot ${verdict} ${def.id}; it needs ${def.approveRoles.join(' or ')}.`,
            {
              needs: def.approveRoles,
            },
          );
        }
        if (!scopeCovers(principal, row.device_group_id)) {
          throw new NotAllowedError(`Action ${row.id} targets a device outside your device groups.`, {
            id: row.id,
          });
        }
        if (settings.twoPersonRule && row.requested_by_id === principal.id) {
          throw new NotAllowedError(
            `Two-person rule: action ${row.id} must be ${verdict}d by someone other than its requester.`,
            { id: row.id },
          );
        }
        if (verdict === 'approve') {
          await this.transition(trx, row, 'approved', actor, comment ?? 'approved', {
            decidedBy: actor,
            decisionComment: comment ?? null,
          });
          const approved = await this.mustGet(trx, row.id);
          const ttl = approved.expires_at - (approved.approval_expires_at ?? approved.created_at);
          await this.transition(trx, approved, 'queued', actor, 'approved, queued for its executor', {
            expiresAt: this.ctx.clock.now() + Math.max(ttl, HOUR),
          });
        } else {
          await this.transition(trx, row, 'rejected', actor, comment ?? 'rejected', {
            decidedBy: actor,
            decisionComment: comment ?? null,
          });
        }
      }
    });
    if (verdict === 'approve') this.onQueued();
    return Promise.all(unique.map((id) => this.get(id)));
  }

  /** Cancels an action that has not finished. The requester or a responder may cancel. */
  async cancel(principal: Principal, id: string, comment?: string): Promise<Action> {
    const actor = actorName(principal);
    const held = await this.ctx.store.transaction(async (trx) => {
      const row = await this.mustGet(trx, id);
      if (row.requested_by_id !== principal.id && !roleHas(principal.role, 'actions:decide')) {
        throw new NotAllowedError('Only the requester or a responder may cancel this action.', { id });
      }
      if (!scopeCovers(principal, row.device_group_id)) {
        throw new NotAllowedError(`Action ${id} targets a device outside your device groups.`, { id });
      }
      if (isTerminal(row.status as ActionStatus)) {
        throw new ConflictError(
          `Action ${id} is already ${row.status}; only unfinished actions can be cancelled.`,
          { status: row.status },
        );
      }
      const cancelled = await this.transition(trx, row, 'cancelled', actor, comment ?? 'cancelled', {
        decisionComment: comment ?? row.decision_comment,
        claimedUntil: null,
      });
      return row.status === 'dispatched' || row.status === 'running' ? cancelled : null;
    });
    if (held) this.onCancelled(held);
    return this.get(id);
  }

  async undo(principal: Principal, id: string, comment?: string): Promise<Action> {
    return (await this.bulkUndo(principal, [id], comment))[0]!;
  }

  /** Requests the inverse of each action (one type only), linked to it, through the same pipeline. */
  async bulkUndo(principal: Principal, ids: readonly string[], comment?: string): Promise<Action[]> {
    const unique = [...new Set(ids)];
    const created = await this.ctx.store.transaction(async (trx) => {
      const rows = await this.loadOneType(trx, unique, 'undo');
      const out: string[] = [];
      for (const row of rows) {
        const def = actionDefinition(row.type);
        if (!def.reversible || !def.undo) {
          throw new InputError(
            `${def.title} cannot be undone${def.undoOf ? '; it is itself an undo' : ''}.`,
            { type: def.id },
          );
        }
        if (row.status !== 'succeeded') {
          throw new ConflictError(
            `Action ${row.id} is ${row.status}; only succeeded actions can be undone.`,
            { status: row.status },
          );
        }
        if (row.undone_by) {
          throw new ConflictError(`Action ${row.id} already has an undo (${row.undone_by}).`, {
            undoneBy: row.undone_by,
          });
        }
        const undoDef = actionDefinition(def.undo);
        const params = pickParams(undoDef, JSON.parse(row.params) as Record<string, unknown>);
        out.push(
          await this.requestIn(
            trx,
            principal,
            {
              type: undoDef.id as ActionRequest['type'],
              target: JSON.parse(row.target) as ActionRequest['target'],
              params,
              ...(comment !== undefined && { comment }),
              ...(row.incident_id && { incidentId: row.incident_id }),
            },
            { undoOf: row },
          ),
        );
      }
      return out;
    });
    this.onQueued();
    return Promise.all(created.map((id) => this.get(id)));
  }

  /**
   * Moves one action to `to`: checks the state machine, writes with optimistic concurrency,
   * records the timeline event and audit entry, and keeps undo links consistent.
   */
  async transition(
    trx: Tx,
    row: ActionRow,
    to: ActionStatus,
    actor: string,
    reason: string | null,
    extra: TransitionExtra = {},
  ): Promise<ActionRow> {
    assertTransition(row.id, row.status as ActionStatus, to);
    const now = this.ctx.clock.now();
    const values = transitionValues(to, now, extra);
    if (!(await this.ctx.store.actions.update(trx, row.id, row.version, values))) {
      throw new ConflictError(
        `Action ${row.id} changed meanwhile (someone else acted on it); reload and try again.`,
        { id: row.id },
      );
    }
    await this.ctx.store.actions.insertEvents(trx, [
      {
        id: this.ctx.ids.next('ev'),
        action_id: row.id,
        at: now,
        from_status: row.status,
        to_status: to,
        actor,
        reason,
      },
    ]);
    await this.ctx.store.audit.append(trx, [
      {
        at: now,
        actor,
        event: `action.${to}`,
        subject: row.id,
        data: { type: row.type, from: row.status, reason },
      },
    ]);
    if (row.undo_of) {
      const original = await this.ctx.store.actions.get(trx, row.undo_of);
      if (original && to === 'succeeded' && original.status === 'succeeded') {
        await this.transition(trx, original, 'undone', actor, `undone by ${row.id}`);
      } else if (original && isTerminal(to) && to !== 'succeeded' && original.undone_by === row.id) {
        // The undo did not happen: the original stays in force and can be undone again.
        await this.ctx.store.actions.update(trx, original.id, original.version, {
          undone_by: null,
          updated_at: now,
        });
      }
    }
    return { ...row, ...values, version: row.version + 1 };
  }

  /**
   * Moves many actions at once in the caller's transaction (a fan-out's dispatch, a flood of agent
   * acks and results): each row is still written with its version check, but timeline events and
   * audit entries go in one insert each, so thousands of actions cost one statement each, not
   * four. Moves that must keep an undo link consistent go through {@link transition} one by one.
   */
  async transitionMany(
    trx: Tx,
    items: ReadonlyArray<{
      row: ActionRow;
      to: ActionStatus;
      reason: string | null;
      extra?: TransitionExtra;
    }>,
    actor: string,
  ): Promise<ActionRow[]> {
    const now = this.ctx.clock.now();
    const out: ActionRow[] = [];
    const bulk: Array<{ row: ActionRow; to: ActionStatus; reason: string | null }> = [];
    // Moves with the same from-status and the same values are written with one statement; an
    // `attempts` of one more than the row's own is written as `attempts + 1`.
    const groups = new Map<
      string,
      { from: string; values: Partial<ActionRow>; bump: boolean; rows: ActionRow[] }
    >();
    for (const { row, to, reason, extra = {} } of items) {
      if (row.undo_of && isTerminal(to)) {
        out.push(await this.transition(trx, row, to, actor, reason, extra));
        continue;
      }
      assertTransition(row.id, row.status as ActionStatus, to);
      const bump = extra.attempts !== undefined && extra.attempts === row.attempts + 1;
      const values = transitionValues(to, now, bump ? { ...extra, attempts: undefined } : extra);
      const key = `${row.status}\u0000${bump ? 1 : 0}\u0000${JSON.stringify(values)}`;
      const g = groups.get(key) ?? { from: row.status, values, bump, rows: [] };
      g.rows.push(row);
      groups.set(key, g);
      out.push({ ...row, ...values, ...(bump && { attempts: row.attempts + 1 }), version: row.version + 1 });
      bulk.push({ row, to, reason });
    }
    for (const g of groups.values()) {
      const ids = g.rows.map((r) => r.id);
      const changed = await this.ctx.store.actions.updateMany(trx, ids, g.from, g.values, g.bump);
      if (changed !== ids.length) {
        throw new ConflictError(
          `${ids.length - changed} of ${ids.length} actions changed meanwhile (someone else acted on them); reload and try again.`,
          { ids: ids.slice(0, 20) },
        );
      }
    }
    await this.ctx.store.actions.insertEvents(
      trx,
      bulk.map(({ row, to, reason }) => ({
        id: this.ctx.ids.next('ev'),
        action_id: row.id,
        at: now,
        from_status: row.status,
        to_status: to,
        actor,
        reason,
      })),
    );
    await this.ctx.store.audit.append(
      trx,
      bulk.map(({ row, to, reason }) => ({
        at: now,
        actor,
        event: `action.${to}`,
        subject: row.id,
        data: { type: row.type, from: row.status, reason },
      })),
    );
    return out;
  }

  private async loadOneType(trx: Tx, ids: readonly string[], verb: string): Promise<ActionRow[]> {
    const rows = await this.ctx.store.actions.getMany(trx, ids);
    const missing = ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length) throw new NotFoundError(`No action ${missing.join(', ')}.`, { missing });
    const types = [...new Set(rows.map((r) => r.type))];
    if (types.length > 1) {
      throw new InputError(
        `Bulk ${verb} takes actions of one type; these are ${types.join(', ')}. Select actions of one type.`,
        { types },
      );
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    return rows.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }
}

/** The columns a transition writes. */
function transitionValues(to: ActionStatus, now: number, extra: TransitionExtra): Partial<ActionRow> {
  return {
    status: to,
    updated_at: now,
    ...(extra.result !== undefined && { result: extra.result === null ? null : toJson(extra.result) }),
    ...(extra.error !== undefined && { error: extra.error }),
    ...(extra.decidedBy !== undefined && { decided_by: extra.decidedBy }),
    ...(extra.decisionComment !== undefined && { decision_comment: extra.decisionComment }),
    ...(extra.attempts !== undefined && { attempts: extra.attempts }),
    ...(extra.nextAttemptAt !== undefined && { next_attempt_at: extra.nextAttemptAt }),
    ...(extra.claimedBy !== undefined && { claimed_by: extra.claimedBy }),
    ...(extra.claimedUntil !== undefined && { claimed_until: extra.claimedUntil }),
    ...(extra.expiresAt !== undefined && { expires_at: extra.expiresAt }),
  };
}

/** Keeps only the parameters the undo action declares (e.g. the file hash, the rule name). */
function pickParams(def: ActionDefinition, params: Record<string, unknown>): Record<string, unknown> {
  const allowed = Object.keys(def.params.properties);
  return Object.fromEntries(Object.entries(params).filter(([k]) => allowed.includes(k) && k !== 'comment'));
}
