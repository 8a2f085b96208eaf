import type { DeviceQuarantinedFile } from '@quell/contracts';
import { ACTION_STATUSES, type Principal } from '@quell/core';
import { fromJson, type ActionRow } from '@quell/store';
import { QUARANTINE_TYPE, RESTORE_TYPE, quarantineStates } from '../files/quarantine-state.js';
import type { Services } from '../services/services.js';

/** States still worth showing on a device by default: the file is (or is about to be) in the vault. */
const CURRENT = new Set<DeviceQuarantinedFile['state']>(['quarantining', 'quarantined', 'restoring']);

/**
 * The files quarantined on one device, read from its quarantine and restore actions with the same
 * replay the file page uses, so both pages agree. Resolving the device through the device service
 * applies the caller's device-group scope (and its not-found error).
 */
export async function deviceQuarantine(
  s: Services,
  principal: Principal,
  idOrHostname: string,
  all: boolean,
): Promise<DeviceQuarantinedFile[]> {
  const device = await s.devices.get(principal, idOrHostname);
  const rows = await s.ctx.store.transaction((trx) =>
    s.ctx.store.actions.forDevice(trx, { id: device.id, hostname: device.hostname }, ACTION_STATUSES),
  );
  const bySha = new Map<string, ActionRow[]>();
  for (const r of rows) {
    if (r.type !== QUARANTINE_TYPE && r.type !== RESTORE_TYPE) continue;
    const sha = r.target_id.toLowerCase();
    bySha.set(sha, [...(bySha.get(sha) ?? []), r]);
  }
  const out: DeviceQuarantinedFile[] = [];
  for (const [sha256, list] of bySha) {
    const [q] = quarantineStates(list);
    if (!q || (!all && !CURRENT.has(q.state))) continue;
    const action = list.find((r) => r.id === q.actionId);
    const path = action ? fromJson<{ path?: string }>(action.params, {}).path : undefined;
    out.push({
      sha256,
      path: path ?? null,
      state: q.state,
      actionId: q.actionId,
      restoreActionId: q.restoreActionId,
      at: q.at,
    });
  }
  return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}
