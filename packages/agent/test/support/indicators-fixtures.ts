import { createHash } from 'node:crypto';
import type { SyncIndicator } from '../../src/indicators/index.js';

/** One indicator with test defaults (an all-devices SHA-256 block); `over` sets the rest. */
export function indicator(id: string, over: Partial<SyncIndicator> = {}): SyncIndicator {
  return {
    id,
    type: 'sha256',
    value: createHash('sha256').update(id).digest('hex'),
    action: 'block',
    groupScoped: false,
    generateAlert: true,
    severity: 'high',
    title: `Test indicator ${id}`,
    expiresAt: null,
    ...over,
  };
}

/** A seeded generator (mulberry32): the same seed gives the same indicators, and no Math.random(). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct IPv4 block indicators in 100.64.0.0/10 (shared address space), seeded. */
export function ipv4Blocks(count: number, seed: number, prefix = 'ip'): SyncIndicator[] {
  const rand = seeded(seed);
  const seen = new Set<number>();
  const out: SyncIndicator[] = [];
  while (out.length < count) {
    const n = (0x64400000 + Math.floor(rand() * 0x400000)) >>> 0;
    if (seen.has(n)) continue;
    seen.add(n);
    const value = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    out.push(indicator(`${prefix}${out.length}`, { type: 'ipv4', value }));
  }
  return out;
}
