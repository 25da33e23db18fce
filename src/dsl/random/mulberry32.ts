/**
 * @file mulberry32: a small, fast, seeded 32-bit generator, uniform in [0, 1). For host-side
 * one-off draws (parameter initialisation, test inputs) where the counter-based Threefry
 * `random` primitive's reproducibility across backends is not needed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
