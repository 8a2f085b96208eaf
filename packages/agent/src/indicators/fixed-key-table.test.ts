import { describe, expect, it } from 'vitest';
import { FixedKeyTable } from './fixed-key-table.js';

/** Seeded xorshift: deterministic keys without Math.random(). */
function keys(seed: number, width: number) {
  let x = seed >>> 0 || 1;
  return () => {
    const k = new Uint8Array(width);
    for (let i = 0; i < width; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      k[i] = x & 0xff;
    }
    return k;
  };
}
const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');

describe('FixedKeyTable', () => {
  it('agrees with a Map through growth, deletions and reuse of entries', () => {
    const table = new FixedKeyTable(16, 4);
    const model = new Map<string, number>();
    const next = keys(7, 16);
    const live: Uint8Array[] = [];
    for (let step = 0; step < 20_000; step++) {
      if (live.length > 0 && step % 3 === 0) {
        const k = live.splice((step * 7919) % live.length, 1)[0]!;
        table.delete(table.find(k, 0));
        model.delete(hex(k));
      } else {
        const k = next();
        const e = table.upsert(k, 0);
        expect(table.inserted).toBe(true);
        table.setPayload(e, step);
        model.set(hex(k), step);
        live.push(k);
      }
    }
    expect(table.size).toBe(model.size);
    for (const k of live) expect(table.getPayload(table.find(k, 0))).toBe(model.get(hex(k)));
    const probe = keys(99, 16);
    for (let i = 0; i < 1000; i++) expect(table.find(probe(), 0)).toBe(-1);
  });

  it('finds a key at an offset inside a larger buffer, and upserting it again changes nothing', () => {
    const table = new FixedKeyTable(20);
    const k = keys(3, 20)();
    const e = table.upsert(k, 0);
    const wrapped = new Uint8Array(40);
    wrapped.set(k, 11);
    expect(table.find(wrapped, 11)).toBe(e);
    expect(table.upsert(wrapped, 11)).toBe(e);
    expect(table.inserted).toBe(false);
    expect(table.size).toBe(1);
  });
});
