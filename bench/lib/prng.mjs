/**
 * Deterministic randomness for benchmark fixtures (STYLE §10: no Math.random()). mulberry32 is
 * tiny, fast and good enough to spread synthetic data; it is not for anything secret.
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Helpers over one seeded generator, so a run with the same seed produces the same data. */
export function createRandom(seed) {
  const next = mulberry32(seed);
  const r = {
    next,
    /** Integer in [min, max]. */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    /** Picks from `[[value, weight], ...]`. */
    weighted: (pairs) => {
      const total = pairs.reduce((s, [, w]) => s + w, 0);
      let x = next() * total;
      for (const [v, w] of pairs) {
        x -= w;
        if (x < 0) return v;
      }
      return pairs[pairs.length - 1][0];
    },
    hex: (chars) => {
      let s = '';
      while (s.length < chars) s += ((next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
      return s.slice(0, chars);
    },
    /** Exponentially distributed delay with the given mean (Poisson arrivals). */
    exp: (mean) => -Math.log(1 - next()) * mean,
  };
  return r;
}
