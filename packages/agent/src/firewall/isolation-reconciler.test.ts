import { describe, expect, it, vi } from 'vitest';
import type { IsolationTarget } from '../ports.js';
import { InMemoryFirewall } from './in-memory.firewall.js';
import { IsolationReconciler, type IsolationStatus } from './isolation-reconciler.js';

const target: IsolationTarget = {
  spec: { mode: 'full', exclusions: [], allowDns: false, allowDhcp: false },
  management: [{ address: '192.0.2.10', port: 8443 }],
};

function setup(initial: IsolationTarget | null = target, intervalMs = 2000) {
  const fw = new InMemoryFirewall();
  const events: IsolationStatus[] = [];
  let desired = initial;
  const rec = new IsolationReconciler({
    firewall: fw,
    desired: () => desired,
    intervalMs,
    onChange: (s) => events.push(s),
    now: () => 1_000,
  });
  return { fw, events, rec, setDesired: (t: IsolationTarget | null) => (desired = t) };
}

describe('IsolationReconciler', () => {
  it('applies the desired isolation and reports applying then on with the read-back hash', async () => {
    const { fw, events, rec } = setup();
    const status = await rec.reconcileOnce();
    expect(status).toEqual({
      state: 'on',
      rulesetHash: `hash:${fw.table}`,
      error: null,
      checkedAt: 1_000,
      reasserted: false,
    });
    expect(events.map((e) => e.state)).toEqual(['applying', 'on']);
  });

  it('costs one read and reports nothing while nothing changes', async () => {
    const { fw, events, rec } = setup();
    await rec.reconcileOnce();
    const before = { ...fw.calls };
    await rec.reconcileOnce();
    await rec.reconcileOnce();
    expect(fw.calls).toEqual({ ...before, read: before.read + 2 });
    expect(events).toHaveLength(2);
  });

  it.each([
    ['deleted', null],
    ['altered', 'someone else’s rules'],
  ])('puts back a table someone %s and flags the re-assertion', async (_how, tampered) => {
    const { fw, events, rec } = setup();
    await rec.reconcileOnce();
    fw.table = tampered;
    const status = await rec.reconcileOnce();
    expect(status).toMatchObject({ state: 'on', reasserted: true });
    expect(events.slice(2).map((e) => [e.state, e.reasserted])).toEqual([
      ['applying', true],
      ['on', true],
    ]);
    expect(fw.calls.apply).toBe(2);
  });

  it('does not call a change of desired target a re-assertion', async () => {
    const { rec, setDesired } = setup();
    await rec.reconcileOnce();
    setDesired({ ...target, spec: { ...target.spec, allowDns: true } });
    expect(await rec.reconcileOnce()).toMatchObject({ state: 'on', reasserted: false });
  });

  it('removes the table when no isolation is desired and reports off', async () => {
    const { fw, events, rec, setDesired } = setup();
    await rec.reconcileOnce();
    setDesired(null);
    expect(await rec.reconcileOnce()).toMatchObject({ state: 'off', rulesetHash: null });
    expect(fw.table).toBeNull();
    expect(events.at(-1)?.state).toBe('off');
  });

  it('reports failed with the error when applying fails, and retries on the next pass', async () => {
    const { fw, rec } = setup();
    fw.failApply = 'nft -f failed: Operation not permitted';
    expect(await rec.reconcileOnce()).toMatchObject({ state: 'failed', error: fw.failApply });
    fw.failApply = null;
    expect(await rec.reconcileOnce()).toMatchObject({ state: 'on', error: null });
  });

  it('reports an invalid desired target as failed instead of throwing', async () => {
    const { rec } = setup({ ...target, management: [{ address: 'not-an-ip', port: 1 }] });
    const status = await rec.reconcileOnce();
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/not-an-ip/);
  });

  it('re-asserts on its own within one interval once started, and stops cleanly', async () => {
    const { fw, rec } = setup(target, 20);
    await rec.reconcileOnce();
    rec.start();
    fw.table = null;
    await vi.waitFor(() => expect(fw.table).not.toBeNull(), { timeout: 1000, interval: 5 });
    await rec.stop();
    fw.table = null;
    await new Promise((r) => setTimeout(r, 80));
    expect(fw.table).toBeNull();
  });
});
