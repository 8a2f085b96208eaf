import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IndicatorVersionError, InvalidIndicatorError } from './indicators.errors.js';
import { IndicatorStore } from './indicator-store.js';
import type { SyncIndicator } from './indicator-sync.types.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ind = (id: string, over: Partial<SyncIndicator> = {}): SyncIndicator => ({
  id,
  type: 'sha256',
  value: sha(id),
  action: 'block',
  groupScoped: false,
  generateAlert: true,
  severity: 'high',
  title: 'Test indicator',
  expiresAt: null,
  ...over,
});

function storeWith(indicators: SyncIndicator[], version = 1, now = () => 1_000_000) {
  const store = new IndicatorStore({ now });
  store.applySnapshot({ version, indicators });
  return store;
}

describe('IndicatorStore: hashes', () => {
  it('finds a hash by hex in any case and by raw bytes, and misses others', () => {
    const store = storeWith([ind('a'), ind('m', { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' })]);
    expect(store.lookupHash('sha256', sha('a').toUpperCase())?.id).toBe('a');
    expect(store.lookupHash('sha256', Buffer.from(sha('a'), 'hex'))).toMatchObject({
      id: 'a',
      type: 'sha256',
      value: sha('a'),
      action: 'block',
      groupScoped: false,
      generateAlert: true,
      severity: 'high',
      title: 'Test indicator',
      expiresAt: null,
    });
    expect(store.lookupHash('sha256', sha('b'))).toBeNull();
    expect(store.lookupHash('md5', 'D41D8CD98F00B204E9800998ECF8427E')?.id).toBe('m');
    expect(store.hashAction('sha256', Buffer.from(sha('a'), 'hex'))).toBe('block');
    expect(store.lookupHash('sha256', 'not-hex')).toBeNull();
  });

  it.each([
    [
      'a group-scoped audit beats an all-devices allow',
      { groupScoped: true, action: 'audit' },
      { action: 'allow' },
      'x',
    ],
    ['allow beats block in the same scope', { action: 'block' }, { action: 'allow' }, 'y'],
    ['block_and_remediate beats block', { action: 'block' }, { action: 'block_and_remediate' }, 'y'],
    ['a group block beats an all-devices allow', { groupScoped: true }, { action: 'allow' }, 'x'],
  ] as const)('resolves precedence at insert: %s', (_, x, y, winner) => {
    const value = sha('same');
    for (const order of [
      [ind('x', { value, ...x }), ind('y', { value, ...y })],
      [ind('y', { value, ...y }), ind('x', { value, ...x })],
    ]) {
      expect(storeWith(order).lookupHash('sha256', value)?.id).toBe(winner);
    }
  });

  it('falls back to the next indicator of a value when the winner is removed', () => {
    const value = sha('v');
    const store = storeWith([ind('allow', { value, action: 'allow' }), ind('block', { value })]);
    expect(store.lookupHash('sha256', value)?.action).toBe('allow');
    store.applyDelta({ fromVersion: 1, toVersion: 2, upserts: [], removals: ['allow'] });
    expect(store.lookupHash('sha256', value)?.action).toBe('block');
    store.applyDelta({ fromVersion: 2, toVersion: 3, upserts: [], removals: ['block'] });
    expect(store.lookupHash('sha256', value)).toBeNull();
    expect(store.size).toBe(0);
  });
});

describe('IndicatorStore: names and addresses', () => {
  const store = storeWith([
    ind('d1', { type: 'domain', value: 'evil.test' }),
    ind('d2', { type: 'domain', value: 'ok.evil.test', action: 'allow' }),
    ind('u1', { type: 'url', value: 'https://files.example/dl.php' }),
    ind('u2', { type: 'url', value: 'https://files.example/x?id=1', action: 'audit' }),
    ind('i1', { type: 'ipv4', value: '198.51.100.0/24' }),
    ind('i2', { type: 'ipv4', value: '198.51.100.7', action: 'allow' }),
    ind('i3', { type: 'ipv6', value: '2001:db8::/32', action: 'audit' }),
  ]);

  it.each([
    ['evil.test', 'd1'],
    ['A.B.Evil.Test.', 'd1'],
    ['x.ok.evil.test', 'd2'],
    ['notevil.test', null],
    ['test', null],
  ])('domain lookup of %s gives %s', (name, id) => {
    expect(store.lookupDomain(name)?.id ?? null).toBe(id);
  });

  it.each([
    ['https://FILES.example:443/dl.php', 'u1'],
    ['https://files.example/dl.php?id=9#frag', 'u1'],
    ['https://files.example/x?id=1', 'u2'],
    ['https://files.example/x?id=2', null],
    ['https://a.evil.test/anything', 'd1'],
    ['ftp://files.example/dl.php', null],
  ])('URL lookup of %s gives %s', (url, id) => {
    expect(store.lookupUrl(url)?.id ?? null).toBe(id);
  });

  it('decides DNS names by covering domains and by URL hosts (the allow-free host blocks)', () => {
    expect(store.lookupDnsName('files.example')?.id).toBe('u1');
    expect(store.lookupDnsName('cdn.files.example')).toBeNull();
    expect(store.lookupDnsName('www.evil.test')?.id).toBe('d1');
    expect(store.counts().blockingNames).toBe(2);
  });

  it.each([
    ['198.51.100.9', 'i1'],
    ['198.51.100.7', 'i2'],
    ['198.51.101.1', null],
    ['2001:db8:1::5', 'i3'],
    ['nonsense', null],
  ])('IP lookup of %s gives %s', (addr, id) => {
    expect(store.lookupIp(addr)?.id ?? null).toBe(id);
  });

  it('sorts IP indicators into enforcement tiers', () => {
    expect(store.ipTierMembers('all_block', 'ip')).toEqual(['198.51.100.0/24']);
    expect(store.ipTierMembers('all_allow', 'ip')).toEqual(['198.51.100.7']);
    expect(store.ipTierMembers('all_block', 'ip6')).toEqual([]);
  });
});

describe('IndicatorStore: sync', () => {
  it('refuses a delta that does not start at the held version, and changes nothing', () => {
    const store = storeWith([ind('a')], 5);
    expect(() =>
      store.applyDelta({ fromVersion: 4, toVersion: 6, upserts: [ind('b')], removals: ['a'] }),
    ).toThrow(IndicatorVersionError);
    expect(store.version).toBe(5);
    expect(store.get('a')).not.toBeNull();
    expect(store.get('b')).toBeNull();
    const fresh = new IndicatorStore();
    expect(() => fresh.applyDelta({ fromVersion: 0, toVersion: 1, upserts: [], removals: [] })).toThrow(
      /no snapshot has been applied yet/,
    );
  });

  it('applies nothing of a delta with one invalid indicator', () => {
    const store = storeWith([ind('a')], 1);
    const bad = ind('bad', { value: 'zz' });
    expect(() =>
      store.applyDelta({ fromVersion: 1, toVersion: 2, upserts: [ind('b'), bad], removals: ['a'] }),
    ).toThrow(InvalidIndicatorError);
    expect(store.version).toBe(1);
    expect(store.get('a')?.id).toBe('a');
    expect(store.get('b')).toBeNull();
  });

  it('keeps the old set when a snapshot has an invalid entry', () => {
    const store = storeWith([ind('a')], 1);
    expect(() =>
      store.applySnapshot({
        version: 9,
        indicators: [ind('b'), ind('c', { type: 'ipv4', value: '300.1.1.1' })],
      }),
    ).toThrow(/indicator #1 \(c\) refused: value "300.1.1.1" is not a valid ipv4/);
    expect(store.version).toBe(1);
    expect(store.get('a')).not.toBeNull();
  });

  it('replaces an upserted id and reports what changed', () => {
    const store = storeWith([ind('a'), ind('b')], 1);
    const result = store.applyDelta({
      fromVersion: 1,
      toVersion: 3,
      upserts: [ind('a', { action: 'allow', title: 'Cleared' }), ind('c')],
      removals: ['b', 'unknown'],
    });
    expect(result).toEqual({ version: 3, total: 2, added: 1, replaced: 1, removed: 1, skippedExpired: 0 });
    expect(store.lookupHash('sha256', sha('a'))).toMatchObject({ action: 'allow', title: 'Cleared' });
    expect(store.get('b')).toBeNull();
  });

  it('stops matching at expiry, purges, and skips upserts that arrive expired', () => {
    let now = 1_000_000;
    const store = storeWith(
      [
        ind('soon', { expiresAt: new Date(1_000_500).toISOString() }),
        ind('later', { expiresAt: new Date(2_000_000).toISOString() }),
      ],
      1,
      () => now,
    );
    expect(store.nextExpiry()).toBe(1_000_500);
    now = 1_000_500;
    expect(store.lookupHash('sha256', sha('soon'))).toBeNull();
    expect(store.lookupHash('sha256', sha('later'))).not.toBeNull();
    const changes: string[] = [];
    store.onChange((c) => changes.push(c.kind));
    expect(store.purgeExpired()).toBe(1);
    expect(store.size).toBe(1);
    expect(store.nextExpiry()).toBe(2_000_000);
    const r = store.applyDelta({
      fromVersion: 1,
      toVersion: 2,
      upserts: [ind('old', { expiresAt: new Date(5).toISOString() })],
      removals: [],
    });
    expect(r.skippedExpired).toBe(1);
    expect(changes).toEqual(['expired', 'delta']);
  });

  it('survives many inserts and removals with consistent lookups', () => {
    const store = storeWith([], 0);
    const alive = new Set<number>();
    let version = 0;
    for (let round = 0; round < 20; round++) {
      const upserts = Array.from({ length: 500 }, (_, i) => ind(`id${round * 500 + i}`));
      const removals = [...alive].filter((n) => n % 3 === round % 3).map((n) => `id${n}`);
      store.applyDelta({ fromVersion: version, toVersion: version + 1, upserts, removals });
      version++;
      for (const id of removals) alive.delete(Number(id.slice(2)));
      for (let i = 0; i < 500; i++) alive.add(round * 500 + i);
    }
    expect(store.size).toBe(alive.size);
    for (let n = 0; n < 10_000; n += 7)
      expect(store.lookupHash('sha256', sha(`id${n}`))?.id ?? null).toBe(alive.has(n) ? `id${n}` : null);
  });
});
