import { describe, expect, it } from 'vitest';
import type { IocFirewall, IocReadback, IocReadDepth } from './ioc.firewall.js';
import { IocReconciler } from './ioc-reconciler.js';
import { emptySets, IOC_SET_NAMES, type IocTarget } from './ioc-ruleset.js';

/** A firewall in memory: `table` is what the kernel would hold; tests edit it to tamper. */
class FakeIocFirewall implements IocFirewall {
  table: IocTarget | null = null;
  calls: string[] = [];

  async apply(t: IocTarget) {
    this.calls.push('apply');
    this.table = t;
    return this.back(t, 'full');
  }
  async update(_from: IocTarget, to: IocTarget) {
    this.calls.push('update');
    this.table = to;
    return this.back(to, 'structure');
  }
  async remove() {
    this.calls.push('remove');
    this.table = null;
    return this.back(null, 'structure');
  }
  async read(t: IocTarget | null, depth: IocReadDepth) {
    this.calls.push(`read:${depth}`);
    return this.back(t, depth);
  }
  private back(t: IocTarget | null, depth: IocReadDepth): IocReadback {
    const present = this.table !== null;
    const same =
      t === null
        ? !present
        : present &&
          (t.dnsRedirect?.port ?? null) === (this.table!.dnsRedirect?.port ?? null) &&
          (depth === 'structure' ||
            IOC_SET_NAMES.every((n) => t.sets[n].join() === this.table!.sets[n].join()));
    const counts =
      present && depth === 'full'
        ? Object.fromEntries(IOC_SET_NAMES.map((n) => [n, this.table!.sets[n].length]))
        : null;
    return {
      matches: same,
      present,
      depth,
      counts: counts as never,
      rulesetHash: present && depth === 'full' ? 'h' : null,
    };
  }
}

const target = (...block: string[]): IocTarget => ({
  sets: { ...emptySets(), all_block4: block },
  dnsRedirect: null,
});

describe('IocReconciler', () => {
  it('builds the table once, then changes elements by delta and reads it in full on the next pass', async () => {
    const fw = new FakeIocFirewall();
    let desired: IocTarget | null = target('192.0.2.1');
    const r = new IocReconciler({ firewall: fw, desired: () => desired });
    expect(await r.reconcileOnce()).toMatchObject({
      state: 'on',
      verified: 'full',
      counts: { all_block4: 1 },
    });
    desired = target('192.0.2.1', '192.0.2.2');
    expect(await r.reconcileOnce()).toMatchObject({
      state: 'on',
      verified: 'structure',
      counts: { all_block4: 2 },
    });
    expect(await r.reconcileOnce()).toMatchObject({
      state: 'on',
      verified: 'full',
      counts: { all_block4: 2 },
    });
    expect(fw.calls).toEqual(['apply', 'read:structure', 'update', 'read:structure', 'read:full']);
  });

  it('rebuilds and reports a re-assertion when the table disappears', async () => {
    const fw = new FakeIocFirewall();
    const t = target('192.0.2.1');
    const seen: boolean[] = [];
    const r = new IocReconciler({ firewall: fw, desired: () => t, onChange: (s) => seen.push(s.reasserted) });
    await r.reconcileOnce();
    fw.table = null;
    expect(await r.reconcileOnce()).toMatchObject({ state: 'on', reasserted: true });
    expect(seen).toContain(true);
  });

  it('finds changed elements only at full checks, which it spaces out', async () => {
    const fw = new FakeIocFirewall();
    const t = target('192.0.2.1');
    let now = 0;
    const r = new IocReconciler({
      firewall: fw,
      desired: () => t,
      fullCheckIntervalMs: 60_000,
      now: () => now,
    });
    await r.reconcileOnce();
    fw.table = target();
    now = 30_000;
    expect((await r.reconcileOnce()).reasserted).toBe(false);
    now = 60_000;
    expect(await r.reconcileOnce()).toMatchObject({ state: 'on', reasserted: true });
    expect(fw.table?.sets.all_block4).toEqual(['192.0.2.1']);
  });

  it('removes the table when nothing is desired, and stays off', async () => {
    const fw = new FakeIocFirewall();
    let desired: IocTarget | null = target('192.0.2.1');
    const r = new IocReconciler({ firewall: fw, desired: () => desired });
    await r.reconcileOnce();
    desired = null;
    expect(await r.reconcileOnce()).toMatchObject({ state: 'off', counts: null, rulesetHash: null });
    expect(fw.table).toBeNull();
    fw.calls = [];
    await r.reconcileOnce();
    expect(fw.calls).toEqual(['read:structure']);
  });

  it('reports a failed write and retries it on the next pass', async () => {
    const fw = new FakeIocFirewall();
    const t = target('192.0.2.1');
    let fail = true;
    const apply = fw.apply.bind(fw);
    fw.apply = async (x) =>
      fail
        ? { ...(await fw.read(null, 'structure')), matches: false, error: 'nft -f failed: boom' }
        : apply(x);
    const r = new IocReconciler({ firewall: fw, desired: () => t });
    expect(await r.reconcileOnce()).toMatchObject({ state: 'failed', error: 'nft -f failed: boom' });
    fail = false;
    expect(await r.reconcileOnce()).toMatchObject({ state: 'on', error: null });
  });
});
