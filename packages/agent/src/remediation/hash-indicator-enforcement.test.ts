import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IndicatorStore } from '../indicators/indicator-store.js';
import type { SyncIndicator } from '../indicators/indicator-sync.types.js';
import { silentLogger } from '../log.js';
import type { ExecBlocklist } from '../ports.js';
import { HashIndicatorEnforcement } from './hash-indicator-enforcement.js';

const ind = (id: string, over: Partial<SyncIndicator> = {}): SyncIndicator => ({
  id,
  type: 'sha256',
  value: createHash('sha256').update(id).digest('hex'),
  action: 'block',
  groupScoped: false,
  generateAlert: true,
  severity: 'high',
  title: id,
  expiresAt: null,
  ...over,
});

function setup(opts: { watch?: boolean } = {}) {
  const store = new IndicatorStore();
  const blocklist: ExecBlocklist = { decide: () => null };
  const calls: (ExecBlocklist | null)[] = [];
  const watching = { starts: 0, stops: 0 };
  const e = new HashIndicatorEnforcement({
    store,
    blocklist,
    setBlocklist: async (l) => void calls.push(l),
    watch:
      opts.watch === false
        ? null
        : async () => {
            watching.starts++;
            return () => void watching.stops++;
          },
    log: silentLogger,
  });
  let version = 0;
  const delta = async (upserts: SyncIndicator[], removals: string[] = []) => {
    store.applyDelta({ fromVersion: version, toVersion: version + 1, upserts, removals });
    version++;
    await e.sync();
  };
  store.applySnapshot({ version: 0, indicators: [] });
  return { store, e, calls, watching, delta, blocklist };
}

describe('HashIndicatorEnforcement', () => {
  it('sets nothing while no blocking hash indicator is held (no helper, nothing hashed)', async () => {
    const s = setup();
    await s.e.start();
    await s.delta([ind('a1', { action: 'audit' }), ind('a2', { action: 'allow' })]);
    expect(s.calls).toEqual([]);
    expect(s.e.status).toEqual({ blocking: false, watching: false });
  });

  it('sets the blocklist at the first block indicator, once, and clears it when the last goes', async () => {
    const s = setup();
    await s.e.start();
    await s.delta([ind('b1')]);
    await s.delta([ind('b2', { type: 'md5', value: createHash('md5').update('b2').digest('hex') })]);
    expect(s.calls).toEqual([s.blocklist]);
    await s.delta([], ['b1']);
    expect(s.calls).toHaveLength(1);
    await s.delta([], ['b2']);
    expect(s.calls).toEqual([s.blocklist, null]);
    expect(s.e.status.watching).toBe(false);
  });

  it('watches for new copies only while a block-and-remediate hash indicator is held', async () => {
    const s = setup();
    await s.e.start();
    await s.delta([ind('b1')]);
    expect(s.watching.starts).toBe(0);
    await s.delta([ind('r1', { action: 'block_and_remediate' })]);
    expect(s.e.status).toEqual({ blocking: true, watching: true });
    await s.delta([ind('r1', { action: 'block' })]);
    expect(s.watching).toEqual({ starts: 1, stops: 1 });
    expect(s.e.status).toEqual({ blocking: true, watching: false });
  });

  it('applies what a restarted agent holds at start', async () => {
    const s = setup({ watch: false });
    s.store.applySnapshot({ version: 5, indicators: [ind('r1', { action: 'block_and_remediate' })] });
    await s.e.start();
    expect(s.calls).toEqual([s.blocklist]);
    expect(s.e.status).toEqual({ blocking: true, watching: false });
  });
});
