import type {
  ActionTarget,
  DeviceGroup,
  DeviceGroupInput,
  DeviceGroupPatch,
  DeviceGroupPreviewInput,
} from '@quell/contracts';
import {
  ConflictError,
  InputError,
  NotFoundError,
  UNGROUPED_ID,
  matchDeviceGroup,
  type AutomationLevel,
  type DeviceEntity,
  type DeviceFacts,
  type DeviceGroup as CoreDeviceGroup,
  type DeviceGroupRule,
  type Principal,
} from '@quell/core';
import {
  fromJson,
  toDeviceGroup,
  toJson,
  type DeviceGroupRow,
  type SeenDeviceRow,
  type Tx,
} from '@quell/store';
import { audit, type ServiceContext } from './context.js';
import { Listeners } from './listeners.js';

const UNGROUPED_RANK = 1_000_000;
const DEFAULT_UNGROUPED_LEVEL: AutomationLevel = 'semi_all_folders';

function asCore(r: DeviceGroupRow): CoreDeviceGroup {
  return {
    id: r.id,
    name: r.name,
    rank: r.rank,
    rule: fromJson<DeviceGroupRule>(r.rule, {}),
    automationLevel: r.automation_level as AutomationLevel,
  };
}

/** Device groups: ranked matching rules, an automation level each, and the ungrouped default. */
export class DeviceGroupService {
  private readonly regroupedListeners: Listeners<[deviceIds: readonly string[]]>;

  constructor(private readonly ctx: ServiceContext) {
    this.regroupedListeners = new Listeners(ctx.log, 'device regroup');
  }

  /**
   * Called after a change of groups (create, rule or rank change, delete) has committed with the
   * devices it moved to another group (the agent gateway resyncs their indicators).
   */
  onRegrouped(listener: (deviceIds: readonly string[]) => void): () => void {
    return this.regroupedListeners.add(listener);
  }

  private regrouped(deviceIds: readonly string[]): void {
    if (deviceIds.length > 0) this.regroupedListeners.emit(deviceIds);
  }

  /** Creates the built-in ungrouped group on first start. */
  async ensureDefaults(): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      if (await this.ctx.store.devices.group(trx, UNGROUPED_ID)) return;
      await this.ctx.store.devices.insertGroup(trx, {
        id: UNGROUPED_ID,
        name: 'Ungrouped devices (default)',
        description: 'Devices that match no other group.',
        rank: UNGROUPED_RANK,
        rule: toJson({}),
        automation_level: DEFAULT_UNGROUPED_LEVEL,
        built_in: 1,
        created_at: this.ctx.clock.now(),
      });
    });
  }

  async list(): Promise<DeviceGroup[]> {
    const [rows, counts] = await Promise.all([
      this.ctx.store.devices.groups(),
      this.ctx.store.devices.deviceCounts(),
    ]);
    return rows.map((r) => toDeviceGroup(r, counts.get(r.id) ?? 0));
  }

  /** The group a device with these facts falls into (the ungrouped row when none matches). */
  async groupFor(trx: Tx, facts: DeviceFacts, rows?: DeviceGroupRow[]): Promise<DeviceGroupRow> {
    const all = rows ?? (await this.ctx.store.devices.groups(trx));
    const custom = all.filter((r) => r.built_in === 0);
    const match = matchDeviceGroup(custom.map(asCore), facts);
    const row = all.find((r) => r.id === (match?.id ?? UNGROUPED_ID));
    if (!row) throw new Error('The ungrouped device group is missing; restart the server to recreate it.');
    return row;
  }

  async preview(input: DeviceGroupPreviewInput): Promise<DeviceGroup> {
    const row = await this.groupFor(this.ctx.store.db, input);
    return toDeviceGroup(row, 0);
  }

  /** Records devices seen in alerts, each placed in its group. */
  async upsertFromEntities(trx: Tx, entities: readonly DeviceEntity[], now: number): Promise<void> {
    if (entities.length === 0) return;
    const groups = await this.ctx.store.devices.groups(trx);
    const byHost = new Map<string, DeviceEntity>();
    for (const e of entities)
      byHost.set(e.hostname.toLowerCase(), { ...byHost.get(e.hostname.toLowerCase()), ...e });
    const existing = new Map(
      (await this.ctx.store.devices.devicesByHostname(trx, [...byHost.keys()])).map((d) => [d.hostname, d]),
    );
    const rows: SeenDeviceRow[] = [];
    for (const [host, e] of byHost) {
      const old = existing.get(host);
      const tags = e.tags ?? fromJson<string[]>(old?.tags, []);
      const os = e.os ?? old?.os ?? null;
      const group = await this.groupFor(trx, { hostname: host, os: os ?? undefined, tags }, groups);
      rows.push({
        id: old?.id ?? this.ctx.ids.next('dev'),
        hostname: host,
        os,
        tags: toJson(tags),
        device_group_id: group.id,
        first_seen_at: old?.first_seen_at ?? now,
        last_seen_at: Math.max(now, old?.last_seen_at ?? 0),
      });
    }
    await this.ctx.store.devices.upsertDevices(trx, rows);
  }

  /**
   * The device group an action's target belongs to: the device's own, the file's device, or
   * `null` for targets that are not on one device (identities, mailboxes, fleet-wide indicators).
   */
  async groupOfTarget(trx: Tx, target: ActionTarget): Promise<DeviceGroupRow | null> {
    const hostname =
      target.kind === 'device' ? target.id : target.kind === 'file' ? target.deviceHostname : undefined;
    if (!hostname) return null;
    const device = await this.ctx.store.devices.deviceByHostname(trx, hostname);
    if (device) return (await this.ctx.store.devices.group(trx, device.device_group_id)) ?? null;
    return this.groupFor(trx, { hostname });
  }

  async create(principal: Principal, input: DeviceGroupInput): Promise<DeviceGroup> {
    this.checkRule(input.rule);
    const id = this.ctx.ids.next('dg');
    const moved = await this.ctx.store.transaction(async (trx) => {
      if (await this.ctx.store.devices.groupByName(trx, input.name)) {
        throw new ConflictError(`A device group named "${input.name}" already exists; pick another name.`, {
          name: input.name,
        });
      }
      await this.ctx.store.devices.insertGroup(trx, {
        id,
        name: input.name,
        description: input.description ?? '',
        rank: input.rank,
        rule: toJson(input.rule),
        automation_level: input.automationLevel,
        built_in: 0,
        created_at: this.ctx.clock.now(),
      });
      const ids = await this.regroupDevices(trx);
      await audit(this.ctx, trx, principal, 'device_group.created', id, { ...input });
      return ids;
    });
    this.regrouped(moved);
    return this.get(id);
  }

  async patch(principal: Principal, id: string, patch: DeviceGroupPatch): Promise<DeviceGroup> {
    const moved = await this.ctx.store.transaction(async (trx) => {
      const row = await this.mustGet(trx, id);
      if (
        row.built_in === 1 &&
        (patch.rule !== undefined || patch.rank !== undefined || patch.name !== undefined)
      ) {
        throw new InputError(
          'The ungrouped default group can only change its automation level and description.',
          { id },
        );
      }
      if (patch.rule) this.checkRule(patch.rule);
      if (
        patch.name &&
        patch.name !== row.name &&
        (await this.ctx.store.devices.groupByName(trx, patch.name))
      ) {
        throw new ConflictError(`A device group named "${patch.name}" already exists; pick another name.`, {
          name: patch.name,
        });
      }
      await this.ctx.store.devices.updateGroup(trx, id, {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.rank !== undefined && { rank: patch.rank }),
        ...(patch.rule !== undefined && { rule: toJson(patch.rule) }),
        ...(patch.automationLevel !== undefined && { automation_level: patch.automationLevel }),
      });
      const ids = patch.rule !== undefined || patch.rank !== undefined ? await this.regroupDevices(trx) : [];
      await audit(this.ctx, trx, principal, 'device_group.changed', id, { ...patch });
      return ids;
    });
    this.regrouped(moved);
    return this.get(id);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const moved = await this.ctx.store.transaction(async (trx) => {
      const row = await this.mustGet(trx, id);
      if (row.built_in === 1) throw new InputError('The ungrouped default group cannot be deleted.', { id });
      await this.ctx.store.devices.deleteGroup(trx, id);
      const ids = await this.regroupDevices(trx);
      await audit(this.ctx, trx, principal, 'device_group.deleted', id, { name: row.name });
      return ids;
    });
    this.regrouped(moved);
  }

  async get(id: string): Promise<DeviceGroup> {
    const row = await this.mustGet(this.ctx.store.db, id);
    const counts = await this.ctx.store.devices.deviceCounts();
    return toDeviceGroup(row, counts.get(id) ?? 0);
  }

  async mustGet(trx: Tx, id: string): Promise<DeviceGroupRow> {
    const row = await this.ctx.store.devices.group(trx, id);
    if (!row)
      throw new NotFoundError(`No device group ${id}. List them with \`quell device-groups list\`.`, { id });
    return row;
  }

  async assertExist(trx: Tx, ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.mustGet(trx, id);
  }

  private checkRule(rule: DeviceGroupRule): void {
    if (!rule.namePattern && !rule.tags?.length && !rule.os) {
      throw new InputError('A device group needs at least one matching rule: namePattern, tags or os.', {
        rule,
      });
    }
  }

  /** Rules or ranks changed: every device is matched again, in the same transaction. Returns the moved devices. */
  private async regroupDevices(trx: Tx): Promise<string[]> {
    const moved: string[] = [];
    const groups = await this.ctx.store.devices.groups(trx);
    for (const d of await this.ctx.store.devices.devices(trx)) {
      // A group pinned by the enrollment token wins over the rules while it exists.
      const g =
        groups.find((x) => x.id === d.pinned_group_id) ??
        (await this.groupFor(
          trx,
          { hostname: d.hostname, os: d.os ?? undefined, tags: fromJson<string[]>(d.tags, []) },
          groups,
        ));
      if (g.id !== d.device_group_id) {
        await this.ctx.store.devices.setDeviceGroup(trx, d.id, g.id);
        moved.push(d.id);
      }
    }
    return moved;
  }
}
