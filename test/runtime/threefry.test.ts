/**
 * Threefry-2x32 (20 rounds) known-answer vectors from Random123, JAX-compatible key splitting,
 * the JAX bit-stream layout (checked against an independent re-implementation of
 * `threefry_random_bits`), and the `random` primitive's statistical and determinism properties.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { data } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { jit, spec, trace } from "../../src/dsl/transforms.js";
import { fromFlat, materialize } from "../../src/dsl/host/array.js";
import { Key, randomBitsAt, threefry2x32, uniformFromBits } from "../../src/dsl/random/threefry.js";

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const keyTensor = (k0: number, k1: number): AnyTensor => core.constant(new Int32Array([k0 | 0, k1 | 0]), [2], "int32");

describe("threefry2x32 (20 rounds)", () => {
  it("matches the Random123 known-answer vectors", () => {
    // kat_vectors: threefry2x32_20  ctr, key → out  (argument order here: k0, k1, c0, c1)
    expect(threefry2x32(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it("returns uint32 words and treats negative (int32) inputs as their uint32 bit patterns", () => {
    fc.assert(
      fc.property(u32, u32, u32, u32, (k0, k1, c0, c1) => {
        const out = threefry2x32(k0, k1, c0, c1);
        for (const w of out) expect(Number.isInteger(w) && w >= 0 && w <= 0xffffffff).toBe(true);
        expect(threefry2x32(k0 | 0, k1 | 0, c0 | 0, c1 | 0)).toEqual(out);
      }),
      { numRuns: 50 },
    );
  });

  it("changes about half the output bits when one input bit flips (avalanche)", () => {
    const popcount = (x: number) => {
      let n = 0;
      for (; x; x >>>= 1) n += x & 1;
      return n;
    };
    let flipped = 0;
    let trials = 0;
    for (let bit = 0; bit < 32; bit++) {
      for (const which of [0, 1, 2, 3]) {
        const args: [number, number, number, number] = [0x01234567, 0x89abcdef, 7, 11];
        const base = threefry2x32(...args);
        args[which] = (args[which]! ^ (1 << bit)) >>> 0;
        const out = threefry2x32(...args);
        flipped += popcount((out[0] ^ base[0]) >>> 0) + popcount((out[1] ^ base[1]) >>> 0);
        trials += 64;
      }
    }
    expect(flipped / trials).toBeGreaterThan(0.45);
    expect(flipped / trials).toBeLessThan(0.55);
  });
});

describe("keys (JAX-compatible)", () => {
  it("PRNGKey(0).split(2) equals JAX's", () => {
    expect(Key.fromSeed(0).split(2).map((k) => [k.k0, k.k1])).toEqual([
      [4146024105, 967050713],
      [2718843009, 1272950319],
    ]);
  });

  it("fromSeed puts the seed in the low word ([0, seed] for 32-bit seeds, high word for larger)", () => {
    expect([Key.fromSeed(42).k0, Key.fromSeed(42).k1]).toEqual([0, 42]);
    expect([Key.fromSeed(2 ** 32 + 5).k0, Key.fromSeed(2 ** 32 + 5).k1]).toEqual([1, 5]);
    expect([Key.fromSeed(-1).k0, Key.fromSeed(-1).k1]).toEqual([0xffffffff, 0xffffffff]);
    expect(() => Key.fromSeed(1.5)).toThrow(/must be an integer/);
  });

  it("split(n) hashes counters 0..2n−1 (JAX _threefry_split) and foldIn hashes (0, data)", () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 1, max: 5 }), u32, (k0, k1, n, d) => {
        const key = new Key(k0, k1);
        const words = jaxRandomBits(k0, k1, 2 * n);
        expect(key.split(n).map((k) => [k.k0, k.k1])).toEqual(Array.from({ length: n }, (_, j) => [words[2 * j], words[2 * j + 1]]));
        const f = key.foldIn(d);
        expect([f.k0, f.k1]).toEqual(threefry2x32(k0, k1, 0, d));
      }),
      { numRuns: 30 },
    );
  });

  it("split keys are distinct from each other and from the parent", () => {
    const keys = Key.fromSeed(123).split(8);
    const all = new Set([...keys, Key.fromSeed(123)].map(String));
    expect(all.size).toBe(9);
  });
});

/**
 * JAX's threefry_random_bits for n 32-bit words, written from its definition: counters
 * iota(n), padded with one 0 when n is odd, split into halves x0 | x1; the block outputs y0 | y1
 * are concatenated and truncated to n.
 */
function jaxRandomBits(k0: number, k1: number, n: number): number[] {
  const counts = Array.from({ length: n }, (_, i) => i);
  if (n % 2 === 1) counts.push(0);
  const h = counts.length / 2;
  const y0: number[] = [];
  const y1: number[] = [];
  for (let j = 0; j < h; j++) {
    const [a, b] = threefry2x32(k0, k1, counts[j]!, counts[j + h]!);
    y0.push(a);
    y1.push(b);
  }
  return [...y0, ...y1].slice(0, n);
}

describe("random bit stream", () => {
  it("randomBitsAt(key, i, n) equals JAX's threefry_random_bits layout", () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 1, max: 33 }), (k0, k1, n) => {
        const ref = jaxRandomBits(k0, k1, n);
        expect(Array.from({ length: n }, (_, i) => randomBitsAt(k0, k1, i, n))).toEqual(ref);
      }),
      { numRuns: 40 },
    );
  });

  it("uniformFromBits keeps the top 23 bits: [0, 1) exactly representable in f32", () => {
    expect(uniformFromBits(0)).toBe(0);
    expect(uniformFromBits(0x1ff)).toBe(0);
    expect(uniformFromBits(0xffffffff)).toBe(1 - 2 ** -23);
    expect(uniformFromBits(0x80000000)).toBe(0.5);
    fc.assert(
      fc.property(u32, (b) => {
        const v = uniformFromBits(b);
        expect(v).toBe(Math.fround(v));
        // JAX: bitcast((b >> 9) | 0x3f800000) − 1
        const f = new Float32Array(new Uint32Array([((b >>> 9) | 0x3f800000) >>> 0]).buffer)[0]! - 1;
        expect(v).toBe(f);
      }),
      { numRuns: 100 },
    );
  });
});

describe("the random primitive", () => {
  const sample = (k0: number, k1: number, shape: readonly number[]) => Array.from(data(core.randomUniform(keyTensor(k0, k1), shape)));

  it("is float32 in [0, 1), with element i = uniform(bits(key, i, n))", () => {
    fc.assert(
      fc.property(u32, u32, fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }), (k0, k1, shape) => {
        const t = core.randomUniform(keyTensor(k0, k1), shape);
        expect([t.shape, t.dtype]).toEqual([shape, "float32"]);
        const xs = data(t);
        expect(xs).toBeInstanceOf(Float32Array);
        const n = xs.length;
        for (let i = 0; i < n; i++) {
          expect(xs[i]).toBeGreaterThanOrEqual(0);
          expect(xs[i]).toBeLessThan(1);
          expect(xs[i]).toBe(uniformFromBits(jaxRandomBits(k0, k1, n)[i]!));
        }
      }),
      { numRuns: 30 },
    );
  });

  it("is deterministic for a key and differs across keys", () => {
    const a = sample(0, 42, [64]);
    expect(sample(0, 42, [64])).toEqual(a);
    const b = sample(0, 43, [64]);
    const c = sample(1, 42, [64]);
    const same = (x: number[], y: number[]) => x.filter((v, i) => v === y[i]).length;
    expect(same(a, b)).toBeLessThan(3);
    expect(same(a, c)).toBeLessThan(3);
    const [s0, s1] = Key.fromSeed(7).split(2);
    expect(same(sample(s0!.k0, s0!.k1, [64]), sample(s1!.k0, s1!.k1, [64]))).toBeLessThan(3);
  });

  it("is roughly uniform: mean ≈ 0.5 ± 0.02, variance ≈ 1/12, and a loose χ² over 20 buckets (10k samples)", () => {
    for (const [k0, k1] of [
      [0, 0],
      [0, 1],
      [0xdeadbeef, 0x12345678],
    ] as const) {
      const xs = sample(k0, k1, [100, 100]);
      const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
      const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
      expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.005);
      const buckets = new Array<number>(20).fill(0);
      for (const v of xs) buckets[Math.floor(v * 20)]!++;
      const expected = xs.length / 20;
      const chi2 = buckets.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
      // 19 degrees of freedom: P(χ² > 50) ≈ 1e-4. Deterministic for these keys, so not flaky.
      expect(chi2).toBeLessThan(50);
      // consecutive elements are uncorrelated
      let cov = 0;
      for (let i = 1; i < xs.length; i++) cov += (xs[i]! - mean) * (xs[i - 1]! - mean);
      expect(Math.abs(cov / (xs.length - 1) / variance)).toBeLessThan(0.05);
    }
  });

  it("element i depends only on (key, i, n): not on shape, graph, key provenance, or trace/jit", () => {
    const [k0, k1] = [0x0badf00d, 0x00c0ffee];
    const flat = sample(k0, k1, [24]);
    expect(sample(k0, k1, [2, 3, 4])).toEqual(flat);
    expect(sample(k0, k1, [4, 6])).toEqual(flat);
    // a different total length n gives a different stream layout
    expect(sample(k0, k1, [25]).slice(0, 24)).not.toEqual(flat);
    // the key computed by other ops
    const computed = core.add(keyTensor(k0 - 1, k1 - 5), core.constant(new Int32Array([1, 5]), [2], "int32"));
    expect(Array.from(data(core.randomUniform(computed, [24])))).toEqual(flat);
    // inside a larger graph, sliced afterwards
    const big = core.sliceAxis(core.mul(core.randomUniform(keyTensor(k0, k1), [24]), 1), 0, 5, 9);
    expect(Array.from(data(big))).toEqual(flat.slice(5, 9));
    // jit with the key as an argument, and a traced program with the key as an input
    const j = jit((key: AnyTensor) => core.randomUniform(key, [24]));
    expect(Array.from(data(j(keyTensor(k0, k1))))).toEqual(flat);
    const program = trace((key: AnyTensor) => core.randomUniform(key, [6, 4]), [spec([2], "int32")]);
    const [out] = program.run([fromFlat(new Int32Array([k0 | 0, k1 | 0]), "int32", [2])]);
    expect(Array.from(materialize(out!))).toEqual(flat);
    // f64 evaluation gives the same values (they are exact in f32)
    const [out64] = program.run([fromFlat(new Int32Array([k0 | 0, k1 | 0]), "int32", [2])], "f64");
    expect(Array.from(materialize(out64!))).toEqual(flat);
  });
});
