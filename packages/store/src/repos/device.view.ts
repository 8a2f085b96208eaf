import type { AgentState, Device, DeviceDetail, EnforcementView, VerifiedState } from '@quell/contracts';
import type { DeviceHealth } from '@quell/core';
import type { DeviceRow } from './device.repo.js';
import { fromJson, iso, isoOrNull } from '../json.js';

/** What health depends on besides the row: the time now and how long silence may last. */
export interface DeviceHealthView {
  now: number;
  /** A connected agent silent for longer than this is offline. */
  offlineAfterMs: number;
}

const UNKNOWN: EnforcementView = {
  state: 'unknown',
  checkedAt: null,
  actionId: null,
  evidence: null,
  error: null,
};

function enforcement(v: VerifiedState | undefined): EnforcementView {
  if (!v) return UNKNOWN;
  return {
    state: v.state,
    // An agent that never read its state back sends 0: show "never", not 1970.
    checkedAt: v.checkedAt > 0 ? iso(v.checkedAt) : null,
    actionId: v.actionId,
    evidence: v.evidence,
    error: v.error,
    ...(v.isolation && { isolation: v.isolation }),
  };
}

/**
 * Health of a device's agent, or null when it has none. A revoked agent is offline whatever
 * its socket says (the gateway closes it within seconds). A connected agent is online until it
 * has been silent for `offlineAfterMs`, and degraded while it reports issues or an enforcement
 * it could not verify.
 */
export function deviceHealth(
  r: DeviceRow,
  state: AgentState | null,
  v: DeviceHealthView,
): DeviceHealth | null {
  if (r.public_key === null) return null;
  if (r.revoked_at !== null) return 'offline';
  if (r.connected_at === null || v.now - r.last_seen_at > v.offlineAfterMs) return 'offline';
  if (
    state &&
    (state.issues.length > 0 || state.isolation.state === 'failed' || state.restriction.state === 'failed')
  )
    return 'degraded';
  return 'online';
}

export function toDevice(r: DeviceRow, groupName: string, v: DeviceHealthView): Device {
  const state = fromJson<AgentState | null>(r.agent_state, null);
  return {
    id: r.id,
    hostname: r.hostname,
    os: r.os,
    tags: fromJson<string[]>(r.tags, []),
    deviceGroupId: r.device_group_id,
    deviceGroupName: groupName,
    lastSeenAt: iso(r.last_seen_at),
    enrolled: r.public_key !== null,
    health: deviceHealth(r, state, v),
    osVersion: r.os_version,
    kernel: r.kernel,
    addresses: fromJson<string[]>(r.addresses, []),
    agentVersion: r.agent_version,
    enrolledAt: isoOrNull(r.enrolled_at),
    revokedAt: isoOrNull(r.revoked_at),
    isolation: enforcement(state?.isolation),
    restriction: enforcement(state?.restriction),
    issues: state?.issues ?? [],
  };
}

export function toDeviceDetail(r: DeviceRow, groupName: string, v: DeviceHealthView): DeviceDetail {
  return {
    ...toDevice(r, groupName, v),
    capabilities: fromJson<string[]>(r.capabilities, []),
    machineId: r.machine_id,
    connectedAt: isoOrNull(r.connected_at),
  };
}
