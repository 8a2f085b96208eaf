import type { Role } from '../vocab/access.js';
import { roleRank } from '../vocab/access.js';

/** Permissions named by routes; each needs at least the role given here. */
export const PERMISSIONS = [
  'incidents:read',
  'incidents:write',
  'alerts:ingest',
  'actions:read',
  'actions:request',
  'actions:decide',
  'actions:export',
  'device_groups:read',
  'device_groups:manage',
  'devices:read',
  'devices:manage',
  'users:manage',
  'tokens:manage',
  'audit:read',
  'settings:manage',
  // indicators (issue 4)
  'indicators:read',
  'indicators:manage',
  // files (issue 4)
  'files:read',
  'files:download',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const PERMISSION_MIN_ROLE: Record<Permission, Role> = {
  'incidents:read': 'viewer',
  'incidents:write': 'analyst',
  'alerts:ingest': 'analyst',
  'actions:read': 'viewer',
  'actions:request': 'analyst',
  'actions:decide': 'responder',
  'actions:export': 'viewer',
  'device_groups:read': 'viewer',
  'device_groups:manage': 'admin',
  'devices:read': 'viewer',
  'devices:manage': 'admin',
  'users:manage': 'admin',
  'tokens:manage': 'admin',
  'audit:read': 'admin',
  'settings:manage': 'admin',
  // indicators (issue 4): reading is a viewer's, as for actions; changing them is a responder's,
  // the role the catalog asks for add_indicator / remove_indicator.
  'indicators:read': 'viewer',
  'indicators:manage': 'responder',
  // files (issue 4): the file page is everyone's; a sample leaves the server only for analysts and up.
  'files:read': 'viewer',
  'files:download': 'analyst',
};

export function roleHas(role: Role, permission: Permission): boolean {
  return roleRank[role] >= roleRank[PERMISSION_MIN_ROLE[permission]];
}

/** Who is acting: a user (console or token) or the system itself (engines, timers). */
export interface Principal {
  kind: 'user' | 'token' | 'system';
  id: string;
  /** Shown in the audit log and the Action Center. */
  name: string;
  role: Role;
  /** Device groups this principal may act on; empty means every group. */
  deviceGroupIds: readonly string[];
}

export const SYSTEM_PRINCIPAL: Principal = {
  kind: 'system',
  id: 'system',
  name: 'Quell',
  role: 'admin',
  deviceGroupIds: [],
};

/** Whether the principal's scope covers a device group (`null`: the target has no device group). */
export function scopeCovers(p: Principal, deviceGroupId: string | null): boolean {
  if (p.deviceGroupIds.length === 0) return true;
  // A scoped principal may only act where a device group is known and in its scope: fleet-wide
  // targets (indicators, identities) need an unscoped principal.
  return deviceGroupId !== null && p.deviceGroupIds.includes(deviceGroupId);
}
