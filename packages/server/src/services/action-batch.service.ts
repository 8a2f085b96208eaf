import type { ActionBatch, ActionBatchListQuery, ActionBatchRequest, BatchSkip } from '@quell/contracts';
import { MAX_BATCH_DEVICES } from '@quell/contracts';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  actionDefinition,
  scopeCovers,
  type Principal,
} from '@quell/core';
import { toActionBatch, toJson, type ActionRow } from '@quell/store';
import type { ActionService } from './action.service.js';
import { actorName, audit, type ServiceContext } from './context.js';
import type { IncidentService } from './incident.service.js';
import type { SettingsService } from './settings.service.js';

/** Listed by name in an error at most; the rest are counted. */
const NAMES_IN_ERROR = 20;

/**
 * One action for many devices: the server resolves the selection and writes one action per
 * device in one transaction (all or nothing), each through the same policy as a single request,
 * linked to the batch. One API call instead of thousands, so a fleet-wide scan or quarantine is
 * at the agents within seconds.
 */
export class ActionBatchService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly actions: ActionService,
    private readonly settings: SettingsService,
    private readonly incidents: IncidentService,
  ) {}

  /**
   * `paramsFor` adds parameters per device, already valid for the type (files: the path where
   * that device saw the file, so the agent finds the copy on disk and not only running ones).
   */
  async request(
    principal: Principal,
    input: ActionBatchRequest,
    opts: {
      paramsFor?: (device: { id: string; hostname: string }) => Record<string, unknown> | undefined;
    } = {},
  ): Promise<ActionBatch> {
    const kind = actionDefinition(input.type).targetKind;
    if (kind !== 'device' && kind !== 'file') {
      throw new InputError(
        `${input.type} acts on a ${kind}, not on devices, so it cannot be fanned out to devices; request it with POST /api/actions.`,
        { type: input.type },
      );
    }
    const checked = this.actions.checkRequest(principal, input);
    const { def, params } = checked;
    const sel = input.select;
    if (!sel.all && !sel.devices?.length && !sel.deviceGroupIds?.length) {
      throw new InputError('Select devices: give `devices`, `deviceGroupIds` or `all: true`.', {});
    }
    const sha256 = typeof params.sha256 === 'string' ? params.sha256.toLowerCase() : null;
    if (def.targetKind === 'file' && !sha256) {
      throw new InputError(`${def.id} needs params.sha256: the file to act on on each device.`, {});
    }
    const id = await this.ctx.store.transaction(async (trx) => {
      const groups = new Map((await this.ctx.store.devices.groups(trx)).map((g) => [g.id, g]));
      const outside = (sel.deviceGroupIds ?? []).filter((g) => !scopeCovers(principal, g));
      if (outside.length) {
        throw new NotAllowedError(`You may act only on your device groups; not on ${outside.join(', ')}.`, {
          deviceGroupIds: outside,
        });
      }
      const missingGroups = (sel.deviceGroupIds ?? []).filter((g) => !groups.has(g));
      if (missingGroups.length) {
        throw new NotFoundError(
          `No device group ${missingGroups.join(', ')}. \`quell groups list\` lists them.`,
          {
            deviceGroupIds: missingGroups,
          },
        );
      }
      const { devices, unknown } = await this.ctx.store.actionBatches.selectDevices(trx, sel);
      if (unknown.length) {
        throw new NotFoundError(
          `No device ${listed(unknown)}; nothing was requested. \`quell devices list\` shows the devices.`,
          { unknown: unknown.slice(0, NAMES_IN_ERROR), unknownCount: unknown.length },
        );
      }
      const named = new Set((sel.devices ?? []).map((n) => n.toLowerCase()));
      const notMine = devices.filter(
        (d) =>
          (named.has(d.id.toLowerCase()) || named.has(d.hostname)) &&
          !scopeCovers(principal, d.device_group_id),
      );
      if (notMine.length) {
        throw new NotAllowedError(
          `You may act only on devices in your device groups; not on ${listed(notMine.map((d) => d.hostname))}.`,
          { devices: notMine.slice(0, NAMES_IN_ERROR).map((d) => d.hostname) },
        );
      }
      if (input.incidentId) await this.incidents.mustGet(trx, input.incidentId);
      const settings = await this.settings.get(trx);
      const batchId = this.ctx.ids.next('batch');
      const skipped: BatchSkip[] = [];
      const rows: ActionRow[] = [];
      const byAgent = def.executors.includes('agent');
      for (const d of devices) {
        // `all` means every device the requester may act on; others are simply not selected.
        if (!scopeCovers(principal, d.device_group_id)) continue;
        if (d.revoked_at !== null) {
          skipped.push({ device: d.hostname, reason: 'revoked: its agent is refused' });
          continue;
        }
        if (byAgent && d.enrolled_at === null) {
          skipped.push({ device: d.hostname, reason: 'no agent enrolled (seen in alerts only)' });
          continue;
        }
        const target =
          def.targetKind === 'device'
            ? { kind: 'device' as const, id: d.hostname }
            : { kind: 'file' as const, id: sha256 ?? '', deviceHostname: d.hostname };
        const extra = opts.paramsFor?.(d);
        rows.push(
          this.actions.buildRow(
            principal,
            extra ? { ...checked, params: { ...params, ...extra } } : checked,
            input,
            target,
            groups.get(d.device_group_id) ?? null,
            settings,
            {
              batchId,
            },
          ),
        );
      }
      if (rows.length === 0) {
        throw new InputError(
          `No device to act on: ${devices.length} selected, ${skipped.length} skipped${skipped.length ? ` (${skipped[0]?.device}: ${skipped[0]?.reason}${skipped.length > 1 ? ', …' : ''})` : ''}.`,
          { selected: devices.length, skipped: skipped.length },
        );
      }
      if (rows.length > MAX_BATCH_DEVICES) {
        throw new InputError(
          `${rows.length} devices are selected; one batch takes at most ${MAX_BATCH_DEVICES}. Split it by device group.`,
          { selected: rows.length },
        );
      }
      const now = this.ctx.clock.now();
      await this.ctx.store.actionBatches.insert(trx, {
        id: batchId,
        type: def.id,
        selector: toJson(sel),
        params: toJson(params),
        requested_by: actorName(principal),
        requested_by_id: principal.id,
        request_comment: input.comment ?? null,
        incident_id: input.incidentId ?? null,
        total: rows.length,
        skipped: toJson(skipped),
        created_at: now,
      });
      await this.actions.insertRequested(trx, principal, rows);
      if (input.incidentId) {
        await this.incidents.note(
          trx,
          input.incidentId,
          actorName(principal),
          'action_requested',
          def.title,
          {
            batchId,
            type: def.id,
            devices: rows.length,
          },
        );
      }
      await audit(this.ctx, trx, principal, 'action.batch_requested', batchId, {
        type: def.id,
        devices: rows.length,
        skipped: skipped.length,
      });
      return batchId;
    });
    this.actions.onQueued();
    return this.get(id);
  }

  async get(id: string): Promise<ActionBatch> {
    const row = await this.ctx.store.actionBatches.get(this.ctx.store.db, id);
    if (!row) {
      throw new NotFoundError(`No action batch ${id}. \`quell actions batches\` lists them.`, { id });
    }
    const counts = await this.ctx.store.actionBatches.counts(this.ctx.store.db, [id]);
    return toActionBatch(row, counts.get(id) ?? {});
  }

  async list(q: ActionBatchListQuery): Promise<{ items: ActionBatch[]; nextCursor: string | null }> {
    const page = await this.ctx.store.actionBatches.list(q.limit ?? 50, q.cursor);
    const counts = await this.ctx.store.actionBatches.counts(
      this.ctx.store.db,
      page.items.map((r) => r.id),
    );
    return {
      items: page.items.map((r) => toActionBatch(r, counts.get(r.id) ?? {})),
      nextCursor: page.nextCursor,
    };
  }
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_IN_ERROR).join(', ');
  return names.length > NAMES_IN_ERROR ? `${shown} and ${names.length - NAMES_IN_ERROR} more` : shown;
}
