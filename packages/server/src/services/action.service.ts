import type { Action, ActionDetail, ActionListQuery, ActionRequest } from '@quell/contracts';
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
import { actorName, audit, type ServiceContext } from './context.js';
import type { DeviceGroupService } from './device-group.service.js';
import type { IncidentService } from './incident.service.js';
import type { ParamValidator } from './param-validator.js';
import type { SettingsService } from './settings.service.js';

const HOUR = 3_600_000;

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
    const def = actionDefinition(input.type);
    if (def.targetKind !== input.target.kind) {
      throw new InputError(
        `${def.id} acts on a ${def.targetKind}, not a ${input.target.kind}; set target.kind to "${def.targetKind}".`,
        {
          expected: def.targetKind,
        },
      );
    }
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
    const params = this.params.check(def.id, input.params ?? {});
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
    const decision = decideApproval({
      definition: def,
      source,
      deviceGroupId: groupId,
      automationLevel: (group?.automation_level as AutomationLevel | undefined) ?? 'full',
      filePath: typeof params.path === 'string' ? params.path : undefined,
      rules: settings.approvalRules,
      twoPersonRule: settings.twoPersonRule,
    });
    const now = this.ctx.clock.now();
    const ttl = (input.ttlHours ?? settings.actionTtlHours) * HOUR;
    const id = this.ctx.ids.next('action');
    const status: ActionStatus = decision.needsApproval ? 'pending_approval' : 'queued';
    const actor = actorName(principal);
    const row: ActionRow = {
      id,
      type: def.id,
      status,
      source,
      target_kind: input.target.kind,
      target_id: input.target.id,
      target: toJson(input.target),
      device_group_id: groupId,
      params: toJson(params),
      result: null,
      error: null,
      requested_by: actor,
      requested_by_id: principal.id,
      request_comment: input.comment ?? (typeof params.comment === 'string' ? params.comment : null),
      approval_reason: decision.reason,
      decided_by: null,
      decision_comment: null,
      incident_id: input.incidentId ?? null,
      alert_id: input.alertId ?? null,
      investigation_id: input.investigationId ?? null,
      undo_of: link.undoOf?.id ?? null,
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
    };
    await this.ctx.store.actions.insert(trx, row);
    await this.ctx.store.actions.insertEvents(trx, [
      {
        id: this.ctx.ids.next('ev'),
        action_id: id,
        at: now,
        from_status: null,
        to_status: status,
        actor,
        reason: decision.reason,
      },
    ]);
    if (link.undoOf) {
      if (
        !(await this.ctx.store.actions.update(trx, link.undoOf.id, link.undoOf.version, {
          undone_by: id,
          updated_at: now,
        }))
      ) {
        throw new ConflictError(
          `Action ${link.undoOf.id} changed while the undo was being requested; try again.`,
          {},
        );
      }
    }
    if (input.incidentId) {
      await this.incidents.note(trx, input.incidentId, actor, 'action_requested', def.title, {
        actionId: id,
        type: def.id,
        status,
      });
    }
    await audit(this.ctx, trx, principal, 'action.requested', id, {
      type: def.id,
      target: input.target.id,
      source,
      status,
      undoOf: link.undoOf?.id ?? null,
    });
    return id;
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
    const values: Partial<ActionRow> = {
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

/** Keeps only the parameters the undo action declares (e.g. the file hash, the rule name). */
function pickParams(def: ActionDefinition, params: Record<string, unknown>): Record<string, unknown> {
  const allowed = Object.keys(def.params.properties);
  return Object.fromEntries(Object.entries(params).filter(([k]) => allowed.includes(k) && k !== 'comment'));
}
