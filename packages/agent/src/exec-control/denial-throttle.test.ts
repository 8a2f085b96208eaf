import { describe, expect, it } from 'vitest';
import { DenialThrottle } from './denial-throttle.js';

describe('DenialThrottle', () => {
  it('reports a file once per window however often it is denied', () => {
    let t = 0;
    const th = new DenialThrottle({ windowMs: 1000, now: () => t });
    const results = Array.from({ length: 100 }, () => th.admit('/tmp/x', 'aa'));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(th.suppressed).toBe(99);
    t = 1000;
    expect(th.admit('/tmp/x', 'aa')).toBe(true);
  });

  it('caps reports across different files per window', () => {
    const th = new DenialThrottle({ maxPerWindow: 3, now: () => 5 });
    const admitted = Array.from({ length: 10 }, (_, i) => th.admit(`/tmp/f${i}`, null)).filter(Boolean);
    expect(admitted).toHaveLength(3);
  });
});
