import { describe, expect, it } from 'vitest';
import { CpuGovernor, type CpuClock } from './cpu-governor.js';

/** A clock the test moves by hand (µs). */
function fakeClock() {
  const t = { now: 1_000_000, self: 500_000, reaped: 0, children: new Map<number, number>() };
  const clock: CpuClock = {
    nowMicros: () => t.now,
    selfMicros: () => t.self,
    reapedChildrenMicros: () => t.reaped,
    childMicros: (pid) => t.children.get(pid) ?? null,
  };
  return { t, clock };
}

describe('CpuGovernor', () => {
  it('owes nothing while average use stays under the limit', () => {
    const { t, clock } = fakeClock();
    const g = new CpuGovernor(0.5, clock);
    t.now += 100_000;
    t.self += 50_000;
    expect(g.debtMs()).toBe(0);
  });

  it('owes the pause that brings the average back to the limit', () => {
    const { t, clock } = fakeClock();
    const g = new CpuGovernor(0.25, clock);
    t.now += 100_000; // 100 ms of wall time…
    t.self += 60_000; // …with 60 ms of CPU: 0.25 allows that over 240 ms.
    expect(g.debtMs()).toBeCloseTo(140);
  });

  it('counts live and reaped children with our own CPU', () => {
    const { t, clock } = fakeClock();
    const g = new CpuGovernor(0.5, clock);
    const release = g.governChild(42);
    t.now += 100_000;
    t.children.set(42, 40_000);
    t.reaped += 30_000;
    t.self += 10_000;
    expect(g.usedMicros()).toBe(80_000);
    expect(g.debtMs()).toBeCloseTo(60);
    release();
    expect(g.usedMicros()).toBe(40_000);
  });

  it('never owes anything without a limit', () => {
    const { t, clock } = fakeClock();
    const g = new CpuGovernor(Infinity, clock);
    t.self += 10_000_000;
    expect(g.debtMs()).toBe(0);
  });
});
