/**
 * Seeded pseudo-random numbers (mulberry32) so that a simulator run is reproducible for a seed.
 * Never use Math.random in the simulator engine.
 */

/** A source of uniform numbers in [0, 1). */
export type Prng = () => number;

/** mulberry32: tiny, fast, good enough for a random walk; the same seed always gives the same stream. */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from a uniform source. */
export function normal(rand: Prng): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** 32-bit FNV-1a hash of a string, used to derive sub-seeds (per symbol, per request). */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
