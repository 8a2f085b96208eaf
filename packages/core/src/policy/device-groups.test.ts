import { describe, expect, it } from 'vitest';
import { matchDeviceGroup, ruleMatches, type DeviceGroup } from './device-groups.js';

const g = (id: string, rank: number, rule: DeviceGroup['rule']): DeviceGroup => ({
  id,
  name: id,
  rank,
  rule,
  automationLevel: 'full',
});

describe('device group matching', () => {
  it('matches hostname globs case-insensitively, all tags, and an OS prefix', () => {
    expect(ruleMatches({ namePattern: 'FIN-*.corp' }, { hostname: 'fin-01.corp' })).toBe(true);
    expect(ruleMatches({ namePattern: 'fin-??' }, { hostname: 'fin-001' })).toBe(false);
    expect(ruleMatches({ namePattern: 'a.b' }, { hostname: 'axb' })).toBe(false);
    expect(ruleMatches({ tags: ['pci', 'prod'] }, { hostname: 'h', tags: ['PROD', 'pci', 'x'] })).toBe(true);
    expect(ruleMatches({ tags: ['pci', 'prod'] }, { hostname: 'h', tags: ['pci'] })).toBe(false);
    expect(ruleMatches({ os: 'debian' }, { hostname: 'h', os: 'Debian 12' })).toBe(true);
    expect(ruleMatches({ os: 'debian' }, { hostname: 'h' })).toBe(false);
    expect(ruleMatches({ namePattern: 'web*', os: 'ubuntu' }, { hostname: 'web1', os: 'Debian' })).toBe(
      false,
    );
  });

  it('takes the lowest-ranked matching group, and none when nothing matches', () => {
    const groups = [g('broad', 20, { namePattern: '*' }), g('narrow', 10, { namePattern: 'db-*' })];
    expect(matchDeviceGroup(groups, { hostname: 'db-1' })?.id).toBe('narrow');
    expect(matchDeviceGroup(groups, { hostname: 'web-1' })?.id).toBe('broad');
    expect(matchDeviceGroup([groups[1]!], { hostname: 'web-1' })).toBeNull();
  });
});
