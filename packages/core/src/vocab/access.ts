/** Roles, least privileged first; each includes the permissions of those before it. */
export const ROLES = ['viewer', 'analyst', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const roleRank: Record<Role, number> = { viewer: 0, analyst: 1, responder: 2, admin: 3 };

/** Automation levels per device group (ARCHITECTURE §1, Defender XDR's levels). */
export const AUTOMATION_LEVELS = [
  'full',
  'semi_all_folders',
  'semi_system_folders',
  'semi_non_temp_folders',
  'none',
] as const;
export type AutomationLevel = (typeof AUTOMATION_LEVELS)[number];

export const AUTOMATION_LEVEL_TITLES: Record<AutomationLevel, string> = {
  full: 'Full - remediate threats automatically',
  semi_all_folders: 'Semi - require approval for any remediation',
  semi_system_folders: 'Semi - require approval for core folders remediation',
  semi_non_temp_folders: 'Semi - require approval for non-temporary folders remediation',
  none: 'No automated response',
};
