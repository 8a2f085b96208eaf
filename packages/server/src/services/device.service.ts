import type { Device, DeviceDetail, DeviceListQuery } from '@quell/contracts';
import { NotAllowedError, NotFoundError, ConflictError, scopeCovers, type Principal } from '@quell/core';
import { toDevice, toDeviceDetail, type DeviceHealthView, type DeviceRow, type Tx } from '@quell/store';
import { audit, type ServiceContext } from './context.js';
import { Listeners } from './listeners.js';

/** Called after a device's agent is revoked, once the revocation is committed. */
export type RevokedListener = (deviceId: string) => void;

/** Options of the device service. */
export interface DeviceServiceOptions {
  /** A connected agent silent this long is offline. Default 45 000 ms (3 heartbeats of 15 s). */
  offlineAfterMs?: number;
}

/** Devices with their agents: listing with computed health, detail, revocation. */
export class DeviceService {
  private readonly revokedListeners: Listeners<[deviceId: string]>;
  readonly offlineAfterMs: number;

  constructor(
    private readonly ctx: ServiceContext,
    opts: DeviceServiceOptions = {},
  ) {
    this.offlineAfterMs = opts.offlineAfterMs ?? 45_000;
    this.revokedListeners = new Listeners(ctx.log, 'device revocation');
  }

  /**
   * Registers a listener for revocations (the agent gateway closes the socket). Returns the
   * function that removes it.
   */
  onRevoked(listener: RevokedListener): () => void {
    return this.revokedListeners.add(listener);
  }

  /** Devices the principal's scope covers, by hostname; health is computed at call time. */
  async list(principal: Principal, q: DeviceListQuery = {}): Promise<Device[]> {
    const view = this.view();
    const [rows, names] = await Promise.all([
      this.ctx.store.agents.list({
        ...(q.deviceGroupId !== undefined && { deviceGroupId: q.deviceGroupId }),
        ...(q.enrolled !== undefined && { enrolled: q.enrolled }),
        ...(q.q !== undefined && { hostnameContains: q.q }),
        ...(principal.deviceGroupIds.length > 0 && { groupIds: principal.deviceGroupIds }),
      }),
      this.groupNames(),
    ]);
    const items = rows.map((r) => toDevice(r, names.get(r.device_group_id) ?? r.device_group_id, view));
    return q.health ? items.filter((d) => d.health === q.health) : items;
  }

  /** One device by id or hostname; out-of-scope devices are reported as not found. */
  async get(principal: Principal, idOrHostname: string): Promise<DeviceDetail> {
    const row = await this.mustGet(this.ctx.store.db, principal, idOrHostname);
    return this.detail(row);
  }

  /**
   * Revokes the device's agent key: its connection is closed (through the listeners) and refused
   * from then on. Re-enrolling with a new token brings the device back.
   */
  async revoke(principal: Principal, idOrHostname: string, comment?: string): Promise<DeviceDetail> {
    const row = await this.ctx.store.transaction(async (trx) => {
      const d = await this.mustGet(trx, principal, idOrHostname);
      if (!scopeCovers(principal, d.device_group_id)) {
        throw new NotAllowedError(`${d.hostname} is outside the device groups you may act on.`, {
          id: d.id,
        });
      }
      if (d.public_key === null) {
        throw new ConflictError(`${d.hostname} has no Quell agent to revoke; it is only known from alerts.`, {
          id: d.id,
        });
      }
      if (d.revoked_at !== null) {
        throw new ConflictError(`${d.hostname}'s agent is already revoked.`, { id: d.id });
      }
      const now = this.ctx.clock.now();
      await this.ctx.store.agents.revoke(trx, d.id, now);
      await audit(this.ctx, trx, principal, 'device.revoked', d.id, {
        hostname: d.hostname,
        ...(comment !== undefined && { comment }),
      });
      return (await this.ctx.store.agents.byId(trx, d.id)) ?? d;
    });
    // Committed; a failing listener is only logged. The gateway also refuses revoked devices at
    // the next hello, so nothing stays connected long.
    this.revokedListeners.emit(row.id);
    return this.detail(row);
  }

  /** The time and silence limit health is computed with. */
  view(): DeviceHealthView {
    return { now: this.ctx.clock.now(), offlineAfterMs: this.offlineAfterMs };
  }

  private async detail(row: DeviceRow): Promise<DeviceDetail> {
    const names = await this.groupNames();
    return toDeviceDetail(row, names.get(row.device_group_id) ?? row.device_group_id, this.view());
  }

  private async mustGet(trx: Tx, principal: Principal, idOrHostname: string): Promise<DeviceRow> {
    const row = await this.ctx.store.agents.byIdOrHostname(trx, idOrHostname);
    if (!row || (principal.deviceGroupIds.length > 0 && !scopeCovers(principal, row.device_group_id))) {
      throw new NotFoundError(`No device ${idOrHostname}. List them with \`quell devices list\`.`, {
        id: idOrHostname,
      });
    }
    return row;
  }

  private async groupNames(): Promise<Map<string, string>> {
    const groups = await this.ctx.store.devices.groups();
    return new Map(groups.map((g) => [g.id, g.name]));
  }
}
