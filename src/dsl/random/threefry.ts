/**
 * @file Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", 2011), the counter-based generator JAX uses. Pure 32-bit integer arithmetic, so a
 * WGSL kernel computes the very same bits. Keys are two uint32 words.
 */

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24] as const;
const KS_PARITY = 0x1bd11bda;

const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;

/** One block: (key, counter) → two uint32 words. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (KS_PARITY ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]!) >>> 0;
  let x1 = (c1 + ks[1]!) >>> 0;
  for (let block = 0; block < 5; block++) {
    for (let i = 0; i < 4; i++) {
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, ROTATIONS[(block % 2) * 4 + i]!) ^ x0;
    }
    // Key injection after every 4 rounds.
    const s = block + 1;
    x0 = (x0 + ks[s % 3]!) >>> 0;
    x1 = (x1 + ks[(s + 1) % 3]! + s) >>> 0;
  }
  return [x0, x1];
}

/**
 * Word i of an n-word random stream, as JAX's `threefry_random_bits` lays it out: counters
 * 0..n−1 (padded with one 0 when n is odd) are split in halves h, and block j hashes the pair
 * (counter j, counter j + h): its first word is element j, its second element j + h.
 */
export function randomBitsAt(k0: number, k1: number, i: number, n: number): number {
  const h = Math.ceil(n / 2);
  if (i < h) {
    const partner = i + h < n ? i + h : 0;
    return threefry2x32(k0, k1, i, partner)[0];
  }
  return threefry2x32(k0, k1, i - h, i)[1];
}

/** 23 random mantissa bits as a float in [0, 1): exact in f32, same as JAX's `uniform`. */
export function uniformFromBits(bits: number): number {
  return (bits >>> 9) * 2 ** -23;
}

/** A PRNG key: two uint32 words. Pure values; split and foldIn derive new keys. */
export class Key {
  constructor(
    readonly k0: number,
    readonly k1: number,
  ) {
    this.k0 = k0 >>> 0;
    this.k1 = k1 >>> 0;
  }

  /** As `jax.random.PRNGKey(seed)` for 32-bit seeds: [0, seed]. */
  static fromSeed(seed: number): Key {
    if (!Number.isInteger(seed)) throw new Error(`Key.fromSeed: seed ${seed} must be an integer`);
    return new Key(Math.floor(seed / 2 ** 32) >>> 0, seed >>> 0);
  }

  /** n new independent keys (JAX's `split`). */
  split(n = 2): Key[] {
    const words = Array.from({ length: 2 * n }, (_, i) => randomBitsAt(this.k0, this.k1, i, 2 * n));
    return Array.from({ length: n }, (_, j) => new Key(words[2 * j]!, words[2 * j + 1]!));
  }

  /** A key derived from this one and an integer (JAX's `fold_in`). */
  foldIn(data: number): Key {
    const [a, b] = threefry2x32(this.k0, this.k1, 0, data >>> 0);
    return new Key(a, b);
  }

  toString(): string {
    return `Key(${this.k0}, ${this.k1})`;
  }
}
