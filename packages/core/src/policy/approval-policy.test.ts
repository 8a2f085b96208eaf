import { describe, expect, it } from 'vitest';
import { actionDefinition } from '../actions/catalog.js';
import type { AutomationLevel } from '../vocab/access.js';
import { decideApproval, type ApprovalContext } from './approval-policy.js';

const ctx = (over: Partial<ApprovalContext> = {}): ApprovalContext => ({
  definition: actionDefinition('stop_and_quarantine_file'),
  source: 'automated_investigation',
  deviceGroupId: 'g1',
  automationLevel: 'full',
  rules: [],
  twoPersonRule: false,
  ...over,
});

describe('decideApproval', () => {
  it.each<[AutomationLevel, string | undefined, boolean]>([
    ['full', '/usr/bin/x', false],
    ['none', '/tmp/x', true],
    ['semi_all_folders', '/tmp/x', true],
    ['semi_system_folders', '/usr/bin/x', true],
    ['semi_system_folders', '/home/bob/x', false],
    ['semi_system_folders', undefined, true],
    ['semi_non_temp_folders', '/tmp/x', false],
    ['semi_non_temp_folders', '/home/bob/Downloads/x', false],
    ['semi_non_temp_folders', '/home/bob/x', true],
  ])('automated investigation at %s on %s needs approval: %s', (level, path, expected) => {
    expect(decideApproval(ctx({ automationLevel: level, filePath: path })).needsApproval).toBe(expected);
  });

  it('runs manual actions at once unless the two-person rule covers a destructive one', () => {
    expect(decideApproval(ctx({ source: 'manual', automationLevel: 'none' })).needsApproval).toBe(false);
    expect(decideApproval(ctx({ source: 'manual', twoPersonRule: true })).needsApproval).toBe(true);
    expect(
      decideApproval(
        ctx({ source: 'manual', twoPersonRule: true, definition: actionDefinition('collect_file') }),
      ).needsApproval,
    ).toBe(false);
  });

  it('lets attack disruption act at once even under the two-person rule', () => {
    expect(
      decideApproval(ctx({ source: 'attack_disruption', twoPersonRule: true, automationLevel: 'none' }))
        .needsApproval,
    ).toBe(false);
  });

  it('applies the first matching admin rule before the defaults', () => {
    const rules = [
      { actionType: 'isolate_device', deviceGroupId: 'g2', requireApproval: false },
      { source: 'manual' as const, actionType: 'stop_and_quarantine_file', requireApproval: true },
    ];
    expect(decideApproval(ctx({ source: 'manual', rules })).needsApproval).toBe(true);
    expect(decideApproval(ctx({ source: 'playbook', rules })).needsApproval).toBe(false);
    const iso = ctx({
      definition: actionDefinition('isolate_device'),
      deviceGroupId: 'g2',
      automationLevel: 'none',
      rules,
    });
    expect(decideApproval(iso)).toEqual({ needsApproval: false, reason: 'an approval rule waives approval' });
  });
});
