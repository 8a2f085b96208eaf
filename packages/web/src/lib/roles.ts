import { roleRank, type Role } from '@quell/core';

/** Whether `role` is `min` or more privileged (viewer < analyst < responder < admin). */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && roleRank[role] >= roleRank[min];
}

/** Whether a role is listed in a catalog entry's roles (request or approve). */
export function roleIn(role: Role | undefined, roles: readonly string[]): boolean {
  return role !== undefined && roles.includes(role);
}
