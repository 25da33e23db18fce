/** @file Deterministic uniform data in [−scale, scale) (xorshift32), the same for every framework. */
export function randomData(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (((s >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}
