import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StoreHashBlocklist } from './hash-blocklist.js';
import { IndicatorStore } from './indicator-store.js';
import type { SyncIndicator } from './indicator-sync.types.js';

const content = 'a dropped payload';
const digests = {
  sha256: createHash('sha256').update(content).digest('hex'),
  sha1: createHash('sha1').update(content).digest('hex'),
  md5: createHash('md5').update(content).digest('hex'),
};
const ind = (id: string, over: Partial<SyncIndicator>): SyncIndicator => ({
  id,
  type: 'sha256',
  value: digests.sha256,
  action: 'block',
  groupScoped: false,
  generateAlert: true,
  severity: 'high',
  title: id,
  expiresAt: null,
  ...over,
});
const listWith = (indicators: SyncIndicator[]) => {
  const store = new IndicatorStore();
  store.applySnapshot({ version: 1, indicators });
  return { store, list: new StoreHashBlocklist(store) };
};

describe('StoreHashBlocklist', () => {
  it('has no verdict for a file no indicator covers, nor for an audit', () => {
    expect(listWith([]).list.decide(digests)).toBeNull();
    expect(listWith([ind('a', { action: 'audit' })]).list.decide(digests)).toBeNull();
  });

  it.each([
    ['sha256', 'block'],
    ['sha1', 'block_and_remediate'],
    ['md5', 'block'],
  ] as const)('blocks by a %s indicator (%s) and names it', (type, action) => {
    const { list } = listWith([ind('x', { type, value: digests[type], action })]);
    expect(list.decide(digests)).toEqual({ verdict: 'block', indicatorId: 'x' });
  });

  it('lets an allow on one digest beat a block on another (same scope)', () => {
    const { list } = listWith([
      ind('block-md5', { type: 'md5', value: digests.md5 }),
      ind('allow-sha256', { action: 'allow' }),
    ]);
    expect(list.decide(digests)).toEqual({ verdict: 'allow', indicatorId: 'allow-sha256' });
  });

  it('lets a group-scoped block beat an all-devices allow', () => {
    const { list } = listWith([
      ind('allow-all', { action: 'allow' }),
      ind('block-group', { type: 'sha1', value: digests.sha1, groupScoped: true }),
    ]);
    expect(list.decide(digests)).toEqual({ verdict: 'block', indicatorId: 'block-group' });
  });

  it('follows the live store: a removal applies to the next decision', () => {
    const { store, list } = listWith([ind('x', {})]);
    expect(list.decide(digests)?.verdict).toBe('block');
    store.applyDelta({ fromVersion: 1, toVersion: 2, upserts: [], removals: ['x'] });
    expect(list.decide(digests)).toBeNull();
  });

  it('finds the winner from the SHA-256 alone (scans know only that)', () => {
    const { list } = listWith([ind('x', { action: 'block_and_remediate' })]);
    expect(list.winner({ sha256: digests.sha256 })).toMatchObject({ id: 'x', action: 'block_and_remediate' });
  });
});
