import type { AutomationLevel } from '../vocab/access.js';

/** The group every device falls into when no rule matches. */
export const UNGROUPED_ID = 'ungrouped';

export interface DeviceGroupRule {
  /** Glob on the hostname: `*` any run, `?` one character; case-insensitive. */
  namePattern?: string | undefined;
  /** The device must carry every one of these tags. */
  tags?: readonly string[] | undefined;
  /** Case-insensitive prefix of the device's OS, e.g. `debian`. */
  os?: string | undefined;
}

export interface DeviceGroup {
  id: string;
  name: string;
  /** Lower ranks are tried first. */
  rank: number;
  rule: DeviceGroupRule;
  automationLevel: AutomationLevel;
}

export interface DeviceFacts {
  hostname: string;
  os?: string | undefined;
  tags?: readonly string[] | undefined;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function ruleMatches(rule: DeviceGroupRule, d: DeviceFacts): boolean {
  if (rule.namePattern && !globToRegExp(rule.namePattern).test(d.hostname)) return false;
  if (rule.tags?.length) {
    const have = new Set((d.tags ?? []).map((t) => t.toLowerCase()));
    if (!rule.tags.every((t) => have.has(t.toLowerCase()))) return false;
  }
  if (rule.os && !(d.os ?? '').toLowerCase().startsWith(rule.os.toLowerCase())) return false;
  return true;
}

/** The first group by rank whose rule matches, else `null` (the device is ungrouped). */
export function matchDeviceGroup<G extends DeviceGroup>(groups: readonly G[], d: DeviceFacts): G | null {
  const ordered = [...groups].sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  return ordered.find((g) => ruleMatches(g.rule, d)) ?? null;
}
