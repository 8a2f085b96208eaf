import { randomBytes } from 'node:crypto';

/** Time, injected so tests can move it (approval timeouts, expiry, correlation windows). */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests set by hand. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Identifiers: a prefix, then time and randomness so ids sort roughly by creation. */
export interface Ids {
  next(prefix: string): string;
}

/** Randomness drawn from a pooled buffer: one system call per 4 KiB instead of one per id. */
function pooledRandom(): (n: number) => Buffer {
  let pool = randomBytes(4096);
  let offset = 0;
  return (n) => {
    if (offset + n > pool.length) {
      pool = randomBytes(Math.max(4096, n));
      offset = 0;
    }
    const out = pool.subarray(offset, offset + n);
    offset += n;
    return out;
  };
}

export function createIds(clock: Clock, random: (n: number) => Buffer = pooledRandom()): Ids {
  // The counter keeps ids made in the same millisecond in creation order.
  let counter = 0;
  return {
    next(prefix) {
      counter = (counter + 1) % 1_679_616;
      return `${prefix}_${clock.now().toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${random(5).toString('hex')}`;
    },
  };
}
