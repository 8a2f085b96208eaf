import type { ActionDefinition } from '../actions/action-definition.js';
import type { AutomationLevel } from '../vocab/access.js';
import type { ActionSource } from '../vocab/action.js';

/** An admin rule that overrides the defaults; the first matching rule wins. */
export interface ApprovalRule {
  source?: ActionSource | undefined;
  actionType?: string | undefined;
  deviceGroupId?: string | undefined;
  requireApproval: boolean;
}

export interface ApprovalContext {
  definition: ActionDefinition;
  source: ActionSource;
  deviceGroupId: string | null;
  automationLevel: AutomationLevel;
  /** Path of the file the action touches, for the folder-based semi levels. */
  filePath?: string | undefined;
  rules: readonly ApprovalRule[];
  twoPersonRule: boolean;
}

export interface ApprovalDecision {
  needsApproval: boolean;
  reason: string;
}

/** Core OS folders on Linux: remediation there needs approval under `semi_system_folders`. */
export const SYSTEM_FOLDERS = [
  '/bin/',
  '/sbin/',
  '/usr/',
  '/lib/',
  '/lib64/',
  '/etc/',
  '/boot/',
  '/opt/',
] as const;
/** Temporary folders: remediation there runs automatically under `semi_non_temp_folders`. */
export const TEMP_FOLDERS = ['/tmp/', '/var/tmp/', '/dev/shm/'] as const;

function isUnder(path: string, folders: readonly string[]): boolean {
  return folders.some((f) => path.startsWith(f)) || /^\/home\/[^/]+\/(Downloads|\.cache)\//.test(path);
}

function automatedNeedsApproval(level: AutomationLevel, filePath: string | undefined): ApprovalDecision {
  switch (level) {
    case 'full':
      return { needsApproval: false, reason: 'device group automation level is full' };
    case 'none':
      return { needsApproval: true, reason: 'device group has no automated response' };
    case 'semi_all_folders':
      return { needsApproval: true, reason: 'device group requires approval for any remediation' };
    case 'semi_system_folders':
      if (filePath === undefined || isUnder(filePath, SYSTEM_FOLDERS))
        return { needsApproval: true, reason: 'device group requires approval for core folders' };
      return { needsApproval: false, reason: 'file is outside core folders' };
    case 'semi_non_temp_folders':
      if (filePath !== undefined && isUnder(filePath, TEMP_FOLDERS))
        return { needsApproval: false, reason: 'file is in a temporary folder' };
      return { needsApproval: true, reason: 'device group requires approval outside temporary folders' };
  }
}

/**
 * Whether an action waits for approval. Read-only actions never do. Admin rules come first.
 * Automated investigations follow the device group's automation level; attack disruption acts at
 * once (it exists to be fast); manual, playbook and live-response actions run at once unless the
 * two-person rule is on and the action is destructive.
 */
export function decideApproval(ctx: ApprovalContext): ApprovalDecision {
  const { definition: def, source } = ctx;
  const rule = ctx.rules.find(
    (r) =>
      (r.source === undefined || r.source === source) &&
      (r.actionType === undefined || r.actionType === def.id) &&
      (r.deviceGroupId === undefined || r.deviceGroupId === ctx.deviceGroupId),
  );
  if (rule) {
    return {
      needsApproval: rule.requireApproval,
      reason: rule.requireApproval
        ? 'an approval rule requires approval'
        : 'an approval rule waives approval',
    };
  }
  if (def.readOnly) return { needsApproval: false, reason: 'read-only action' };
  if (ctx.twoPersonRule && def.destructive && source !== 'attack_disruption') {
    return { needsApproval: true, reason: 'two-person rule: destructive actions need a second person' };
  }
  switch (source) {
    case 'automated_investigation':
      return automatedNeedsApproval(ctx.automationLevel, ctx.filePath);
    case 'attack_disruption':
      return { needsApproval: false, reason: 'attack disruption acts immediately' };
    case 'manual':
    case 'playbook':
    case 'live_response':
      return { needsApproval: false, reason: `${source.replace('_', ' ')} actions run on request` };
  }
}
