import { describe, expect, it } from 'vitest';
import type { IndicatorFeedPage } from './indicator-feed.types.js';
import { IndicatorDeltaCache } from './indicator-delta-cache.js';

const page = (toVersion: number): IndicatorFeedPage => ({
  kind: 'delta',
  delta: { fromVersion: 1, toVersion, upserts: [], removals: [] },
  more: false,
});

/** A computation that counts its calls and finishes when the test says so. */
function computation(result: IndicatorFeedPage | Error) {
  let calls = 0;
  let finish: () => void = () => undefined;
  const gate = new Promise<void>((r) => (finish = r));
  return {
    get calls() {
      return calls;
    },
    finish: () => finish(),
    run: async () => {
      calls++;
      await gate;
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

describe('IndicatorDeltaCache', () => {
  it('answers every agent asking for the same delta at one revision with one computation', async () => {
    const cache = new IndicatorDeltaCache(() => 0);
    const c = computation(page(5));
    const asks = Array.from({ length: 1000 }, () => cache.get(5, 'dg_a', 4, 5000, c.run));
    c.finish();
    const answers = await Promise.all(asks);
    expect(c.calls).toBe(1);
    expect(answers.every((a) => a === answers[0])).toBe(true);
    expect(cache.stats).toEqual({ computed: 1, served: 999 });
  });

  it('computes separately per device group, starting revision and page size', async () => {
    const cache = new IndicatorDeltaCache(() => 0);
    const c = computation(page(5));
    c.finish();
    await cache.get(5, 'dg_a', 4, 5000, c.run);
    await cache.get(5, 'dg_b', 4, 5000, c.run);
    await cache.get(5, 'dg_a', 3, 5000, c.run);
    await cache.get(5, 'dg_a', 4, 100, c.run);
    await cache.get(5, 'dg_a', 4, 5000, c.run);
    expect(c.calls).toBe(4);
  });

  it('computes again once the feed moved to another revision', async () => {
    const cache = new IndicatorDeltaCache(() => 0);
    const before = computation(page(5));
    const after = computation(page(6));
    before.finish();
    after.finish();
    expect((await cache.get(5, 'dg_a', 4, 5000, before.run)).kind).toBe('delta');
    const moved = await cache.get(6, 'dg_a', 4, 5000, after.run);
    expect(moved.kind === 'delta' && moved.delta.toVersion).toBe(6);
    expect(after.calls).toBe(1);
  });

  it('computes again after the time to live, so an expiry is judged afresh', async () => {
    let now = 0;
    const cache = new IndicatorDeltaCache(() => now, 10_000);
    const c = computation(page(5));
    c.finish();
    await cache.get(5, 'dg_a', 4, 5000, c.run);
    now = 10_000;
    await cache.get(5, 'dg_a', 4, 5000, c.run);
    expect(c.calls).toBe(1);
    now = 10_001;
    await cache.get(5, 'dg_a', 4, 5000, c.run);
    expect(c.calls).toBe(2);
  });

  it('never keeps a failed computation', async () => {
    const cache = new IndicatorDeltaCache(() => 0);
    const failing = computation(new Error('database gone'));
    const first = cache.get(5, 'dg_a', 4, 5000, failing.run);
    const second = cache.get(5, 'dg_a', 4, 5000, failing.run);
    failing.finish();
    await expect(first).rejects.toThrow('database gone');
    await expect(second).rejects.toThrow('database gone');
    const ok = computation(page(5));
    ok.finish();
    expect((await cache.get(5, 'dg_a', 4, 5000, ok.run)).kind).toBe('delta');
    expect(ok.calls).toBe(1);
  });

  it('stays bounded in indicators held: past the limit it starts over', async () => {
    const cache = new IndicatorDeltaCache(() => 0, 10_000, 100, 10);
    const upserts = Array.from({ length: 6 }, (_, i) => ({
      id: `ind_${i}`,
      type: 'domain' as const,
      value: `d${i}.example`,
      action: 'block' as const,
      groupScoped: false,
      generateAlert: true,
      severity: 'medium' as const,
      title: 't',
      expiresAt: null,
    }));
    const big: IndicatorFeedPage = {
      kind: 'delta',
      delta: { fromVersion: 1, toVersion: 5, upserts, removals: [] },
      more: false,
    };
    const c = computation(big);
    c.finish();
    await cache.get(5, 'a', 1, 5000, c.run); // 6 held
    await cache.get(5, 'b', 1, 5000, c.run); // 12 held: over the limit of 10
    await cache.get(5, 'a', 1, 5000, c.run); // still served, the limit acts on the next computation
    expect(c.calls).toBe(2);
    await cache.get(5, 'c', 1, 5000, c.run); // starts over
    await cache.get(5, 'a', 1, 5000, c.run);
    expect(c.calls).toBe(4);
  });

  it('stays bounded: past the limit it starts over', async () => {
    const cache = new IndicatorDeltaCache(() => 0, 10_000, 3);
    const c = computation(page(5));
    c.finish();
    for (const g of ['a', 'b', 'c', 'd', 'a']) await cache.get(5, g, 4, 5000, c.run);
    // 'd' cleared a, b and c; 'a' is computed again.
    expect(c.calls).toBe(5);
  });
});
