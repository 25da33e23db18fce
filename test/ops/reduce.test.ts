/**
 * sum / max / mean over random axis subsets (keepDims both ways, negative axes) against naive
 * loops over multi-indices.
 *
 * Tolerances: max is exact (it only selects). sum and mean accumulate in f64 and round once, so
 * the result is within one f32 rounding of the exact sum: |got − ref| ≤ 2⁻²³·|ref| + 1e-12·Σ|x|
 * (the second term covers f64 reassociation, ≈ n·2⁻⁵³·Σ|x|), plus one f32 subnormal step 2⁻¹⁴⁹. mean adds one more rounding
 * (the division): 2⁻²²·|ref|.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { bind } from "../../src/dsl/bind.js";
import { data } from "../../src/dsl/realize.js";
import { expectSame, f32, F32_EPS, ft, it32, prod, range, ravel, shapeArb, unravel, valuesArb } from "./helpers.js";

const RUNS = { numRuns: 60 };

/** Naive reduction: for each output index, fold every input index that maps onto it. */
function naiveReduce(
  shape: readonly number[],
  xs: readonly number[],
  axes: readonly number[],
  init: number,
  fold: (acc: number, v: number) => number,
): { out: number[]; abs: number[]; shape: number[] } {
  const kept = shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const out = new Array<number>(prod(kept)).fill(init);
  const abs = new Array<number>(prod(kept)).fill(0);
  for (let i = 0; i < xs.length; i++) {
    const idx = unravel(i, shape).map((v, d) => (axes.includes(d) ? 0 : v));
    const o = ravel(idx, kept);
    out[o] = fold(out[o]!, xs[i]!);
    abs[o]! += Math.abs(xs[i]!);
  }
  return { out, abs, shape: kept };
}

const nanMax = (acc: number, v: number) => (Number.isNaN(acc) || Number.isNaN(v) ? NaN : v > acc ? v : acc);

function expectSumClose(got: ArrayLike<number>, ref: readonly number[], abs: readonly number[], rel = F32_EPS): void {
  expect(got.length).toBe(ref.length);
  ref.forEach((r, i) => {
    const err = Math.abs(got[i]! - r);
    if (!(err <= rel * Math.abs(r) + 1e-12 * abs[i]! + 2 ** -149)) expect.fail(`element ${i}: got ${got[i]}, expected ${r}`);
  });
}

/** Shape, values and a subset of axes given in a random mix of positive and negative forms. */
const caseArb = (elem: fc.Arbitrary<number>) =>
  shapeArb(0, 4, 1, 5).chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      valuesArb(prod(shape), elem),
      fc.subarray(range(shape.length)),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      fc.boolean(),
    ),
  );

function axesArg(axes: readonly number[], negate: readonly boolean[], rank: number): number[] {
  return axes.map((a) => (negate[a] ? a - rank : a));
}

describe("sum", () => {
  it("over random axis subsets, keepDims both ways", () => {
    fc.assert(
      fc.property(caseArb(f32(-1e3, 1e3)), ([shape, xs, axes, negate, keep]) => {
        const y = core.sum(ft(shape, xs), axesArg(axes, negate, shape.length), keep);
        const { out, abs, shape: kept } = naiveReduce(shape, xs, axes, 0, (a, v) => a + v);
        expect(y.shape).toEqual(keep ? kept : shape.filter((_, d) => !axes.includes(d)));
        expectSumClose(data(y), out, abs);
      }),
      RUNS,
    );
  });

  it("over all axes by default, and over none returns the input", () => {
    const x = ft([2, 3], [1, 2, 3, 4, 5, 6]);
    const all = core.sum(x);
    expect(all.shape).toEqual([]);
    expectSame(data(all), [21]);
    expect(core.sum(x, []).shape).toEqual([2, 3]);
    expectSame(data(core.sum(x, [])), [1, 2, 3, 4, 5, 6]);
    expect(core.sum(x, [], true)).toBe(x);
    expect(core.sum(x, undefined, true).shape).toEqual([1, 1]);
  });

  it("int32 sums wrap like int32 addition", () => {
    fc.assert(
      fc.property(caseArb(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), ([shape, xs, axes, negate, keep]) => {
        const y = core.sum(it32(shape, xs), axesArg(axes, negate, shape.length), keep);
        expect(y.dtype).toBe("int32");
        const { out } = naiveReduce(shape, xs, axes, 0, (a, v) => (a + v) | 0);
        expectSame(data(y), out);
      }),
      RUNS,
    );
  });

  it("accumulates in f64 and rounds once (no f32 drift over many terms)", () => {
    // 1 + 4096 · 2⁻²⁴: every f32 partial sum would round back to 1; the exact sum is 1.000244140625.
    const xs = [1, ...new Array<number>(4096).fill(2 ** -24)];
    expectSame(data(core.sum(ft([xs.length], xs))), [1 + 4096 * 2 ** -24]);
  });

  it("of an empty axis is 0; over views (permuted, padded, flipped) equals the reference", () => {
    const x = ft([2, 3], [1, 2, 3, 4, 5, 6]);
    const empty = core.slice(x, [0, 0], [2, 0]);
    expectSame(data(core.sum(empty, 1)), [0, 0]);
    expectSame(data(core.max(empty, 1)), [-Infinity, -Infinity]);
    const v = core.flip(core.pad(core.permute(x, [1, 0]), [[1, 0], [0, 2]], 10), 1); // [4, 4]
    expectSame(data(core.sum(v, 0)), [40, 40, 10 + 4 + 5 + 6, 10 + 1 + 2 + 3]);
    expectSame(data(core.sum(v, 1)), [40, 20 + 1 + 4, 20 + 2 + 5, 20 + 3 + 6]);
  });
});

describe("max", () => {
  it("over random axis subsets, keepDims both ways (with ties, ±∞ and NaN)", () => {
    const elem = fc.oneof(fc.integer({ min: -3, max: 3 }), f32(-1e30, 1e30), fc.constantFrom(-Infinity, Infinity, NaN));
    fc.assert(
      fc.property(caseArb(elem), ([shape, xs, axes, negate, keep]) => {
        const y = core.max(ft(shape, xs), axesArg(axes, negate, shape.length), keep);
        const { out, shape: kept } = naiveReduce(shape, xs, axes, -Infinity, nanMax);
        expect(y.shape).toEqual(keep ? kept : shape.filter((_, d) => !axes.includes(d)));
        expectSame(data(y), out);
      }),
      RUNS,
    );
  });

  it("propagates NaN wherever it appears in the window", () => {
    const x = ft([3, 3], [NaN, 1, 2, 3, NaN, 5, 6, 7, NaN]);
    expectSame(data(core.max(x, 1)), [NaN, NaN, NaN]);
    expectSame(data(core.max(ft([3], [1, 2, NaN]))), [NaN]);
    expectSame(data(core.max(ft([3], [NaN, 2, 1]))), [NaN]);
  });

  it("int32", () => {
    fc.assert(
      fc.property(caseArb(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), ([shape, xs, axes, negate, keep]) => {
        const y = core.max(it32(shape, xs), axesArg(axes, negate, shape.length), keep);
        expect(y.dtype).toBe("int32");
        expectSame(data(y), naiveReduce(shape, xs, axes, -Infinity, Math.max).out);
      }),
      RUNS,
    );
  });
});

describe("mean", () => {
  it("equals sum / count", () => {
    fc.assert(
      fc.property(caseArb(f32(-1e3, 1e3)), ([shape, xs, axes, negate, keep]) => {
        const y = core.mean(ft(shape, xs), axesArg(axes, negate, shape.length), keep);
        const count = axes.reduce((n, a) => n * shape[a]!, 1);
        const { out, abs } = naiveReduce(shape, xs, axes, 0, (a, v) => a + v);
        expectSumClose(data(y), out.map((s) => s / count), abs.map((s) => s / count), 2 * F32_EPS);
      }),
      RUNS,
    );
  });

  it("of int32 averages in float32 (no truncation)", () => {
    const y = core.mean(it32([2, 3], [1, 2, 4, -1, -2, -4]), 1);
    expect(y.dtype).toBe("float32");
    expectSame(data(y), [Math.fround(7 / 3), Math.fround(-7 / 3)]);
  });
});

describe("reduce primitives directly", () => {
  it("keep reduced dims as size 1 and accept unsorted axes", () => {
    const x = ft([2, 3, 2], range(12));
    const s = bind("reduceSum", [x], { axes: [2, 0] });
    expect(s.shape).toEqual([1, 3, 1]);
    expectSame(data(s), [0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11]);
    const m = bind("reduceMax", [x], { axes: [1] });
    expect(m.shape).toEqual([2, 1, 2]);
    expectSame(data(m), [4, 5, 10, 11]);
  });
});
