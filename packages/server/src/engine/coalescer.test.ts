import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Coalescer', () => {
  it('handles items pushed in one turn together, each caller getting its own outcome', async () => {
    const calls: number[][] = [];
    const c = new Coalescer<number, number>(async (items) => {
      calls.push([...items]);
      return items.map((i) => i * 2);
    });
    expect(await Promise.all([1, 2, 3].map((i) => c.push(i)))).toEqual([2, 4, 6]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('retries a failed batch item by item so one bad item does not sink the others', async () => {
    const c = new Coalescer<number, string>(async (items) => {
      if (items.includes(13)) throw new Error('unlucky');
      return items.map(String);
    });
    const out = await Promise.allSettled([12, 13, 14].map((i) => c.push(i)));
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('lets other work run between batches of a long queue', async () => {
    const order: string[] = [];
    const c = new Coalescer<number, void>(
      async (items) => {
        order.push(`batch ${items.length}`);
        return items.map(() => undefined);
      },
      { max: 2 },
    );
    const all = Promise.all([1, 2, 3, 4, 5].map((i) => c.push(i)));
    setImmediate(() => setImmediate(() => order.push('other')));
    await all;
    expect(order.indexOf('other')).toBeGreaterThan(0);
    expect(order.indexOf('other')).toBeLessThan(order.length - 1);
  });

  it('holds items while told to, and lets them go when the hold ends', async () => {
    let busy = true;
    const handled: number[] = [];
    const c = new Coalescer<number, void>(
      async (items) => {
        handled.push(...items);
        return items.map(() => undefined);
      },
      { hold: () => busy, maxHoldMs: 10_000 },
    );
    const p = c.push(1);
    await sleep(100);
    expect(handled).toEqual([]);
    busy = false;
    await p;
    expect(handled).toEqual([1]);
  });

  it('never holds an item longer than maxHoldMs', async () => {
    const c = new Coalescer<number, number>(async (items) => items.map((i) => i), {
      hold: () => true,
      maxHoldMs: 150,
    });
    const t0 = Date.now();
    expect(await c.push(7)).toBe(7);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(2000);
  });
});
