/**
 * Movement primitives (views on the CPU) against a naive nested-array reference (helpers.ts `ref`,
 * which knows nothing of strides, offsets or masks). All comparisons are exact: movement ops
 * only move values. Inputs hold distinct values (1, 2, 3, …) so a misplaced element shows.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import type { DType } from "../../src/dsl/dtype.js";
import { data, toNested } from "../../src/dsl/realize.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import {
  distinct,
  expectSame,
  factorShape,
  flatOf,
  ft,
  nestedFromFlat,
  prod,
  range,
  ref,
  shapeArb,
  tensorOf,
  type Nested,
} from "./helpers.js";

const RUNS = { numRuns: 60 };

/** A tensor with distinct values and its nested reference. */
function source(shape: readonly number[], dtype: DType = "float32", scale = 1): { t: AnyTensor; n: Nested } {
  const vals = distinct(prod(shape)).map((v) => v * scale);
  return { t: tensorOf(dtype, shape, vals), n: nestedFromFlat(vals, shape) };
}

/** Check a tensor against the reference three ways: nested read-back, flat data, and after a copy. */
function expectMatches(t: AnyTensor, n: Nested, shape: readonly number[]): void {
  expect(t.shape).toEqual(shape);
  expect(toNested(t)).toEqual(n);
  const flat = flatOf(n);
  // reshape to 1-D: copies masked / strided views (or re-views contiguous ones)
  expectSame(data(core.reshape(t, [-1])), flat, "reshape(-1)");
  // an elementwise consumer materialises the view through another path
  expectSame(data(t.dtype === "float32" ? core.mul(t, 1) : core.add(t, 0)), flat, "elementwise copy");
}

const permArb = (rank: number) =>
  fc.array(fc.nat(), { minLength: rank, maxLength: rank }).map((seeds) => {
    const perm = range(rank);
    for (let i = rank - 1; i > 0; i--) {
      const j = seeds[i]! % (i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return perm;
  });

describe("permute", () => {
  it("equals the reference, and permuting back by the inverse is the identity", () => {
    const arb = shapeArb(0, 5, 1, 4).chain((shape) => fc.tuple(fc.constant(shape), permArb(shape.length)));
    fc.assert(
      fc.property(arb, ([shape, perm]) => {
        const { t, n } = source(shape);
        const y = core.permute(t, perm);
        expectMatches(y, ref.permute(n, shape, perm), perm.map((p) => shape[p]!));
        const inverse = new Array<number>(perm.length);
        perm.forEach((p, i) => (inverse[p] = i));
        expectMatches(core.permute(y, inverse), n, shape);
      }),
      RUNS,
    );
  });

  it("negative axes and transpose", () => {
    const { t, n } = source([2, 3, 4]);
    expectMatches(core.permute(t, [-1, 0, -2]), ref.permute(n, [2, 3, 4], [2, 0, 1]), [4, 2, 3]);
    expectMatches(core.transpose(t), ref.permute(n, [2, 3, 4], [0, 2, 1]), [2, 4, 3]);
  });
});

describe("reshape", () => {
  it("round trips and preserves row-major order (-1 inferred)", () => {
    const arb = shapeArb(0, 4, 1, 5).chain((shape) => fc.tuple(fc.constant(shape), fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), fc.nat()));
    fc.assert(
      fc.property(arb, ([shape, seeds, hole]) => {
        const { t, n } = source(shape, "int32");
        const target = factorShape(prod(shape), seeds);
        const withHole = target.length > 0 ? target.map((d, i) => (i === hole % target.length ? -1 : d)) : target;
        const y = core.reshape(t, withHole);
        expectMatches(y, ref.reshape(n, target), target);
        expectMatches(core.reshape(y, shape), n, shape);
      }),
      RUNS,
    );
  });

  it("of a permuted (non-contiguous) view copies in logical order", () => {
    const { t, n } = source([3, 4]);
    const p = core.permute(t, [1, 0]);
    expectMatches(core.reshape(p, [2, 6]), ref.reshape(ref.permute(n, [3, 4], [1, 0]), [2, 6]), [2, 6]);
  });
});

describe("expand", () => {
  it("equals explicit tiling", () => {
    const arb = shapeArb(0, 4, 1, 4).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: shape.length, maxLength: shape.length })),
    );
    fc.assert(
      fc.property(arb, ([full, ones, sizes]) => {
        const from = full.map((d, i) => (ones[i] ? 1 : d));
        const to = from.map((d, i) => (d === 1 ? sizes[i]! : d));
        const { t, n } = source(from);
        expectMatches(core.expand(t, to), ref.expand(n, from, to), to);
        // broadcasting through core.broadcastTo (adds leading dims) agrees
        expectMatches(core.broadcastTo(t, [2, ...to]), ref.expand([n] as Nested, [1, ...from], [2, ...to]), [2, ...to]);
      }),
      RUNS,
    );
  });
});

const sliceArb = (shape: readonly number[]) =>
  fc.tuple(
    ...shape.map((n) =>
      fc
        .tuple(fc.integer({ min: 0, max: n - 1 }), fc.nat(), fc.integer({ min: 1, max: 4 }))
        .map(([s, e, k]) => [s, s + 1 + (e % (n - s)), k] as const),
    ),
  );

describe("slice", () => {
  it("with steps equals a naive JS slice", () => {
    const arb = shapeArb(0, 4, 1, 6).chain((shape) => fc.tuple(fc.constant(shape), sliceArb(shape)));
    fc.assert(
      fc.property(arb, ([shape, spec]) => {
        const { t, n } = source(shape);
        const [starts, ends, steps] = [spec.map((s) => s[0]), spec.map((s) => s[1]), spec.map((s) => s[2])];
        const y = core.slice(t, starts, ends, steps);
        const counts = spec.map(([s, e, k]) => Math.ceil((e - s) / k));
        expectMatches(y, ref.slice(n, starts, ends, steps), counts);
      }),
      RUNS,
    );
  });

  it("empty slices, sliceAxis with negative axis, and default steps", () => {
    const { t, n } = source([2, 3]);
    const empty = core.slice(t, [1, 0], [1, 3]);
    expect(empty.shape).toEqual([0, 3]);
    expect(Array.from(data(empty))).toEqual([]);
    expectMatches(core.sliceAxis(t, -1, 1, 3), ref.slice(n, [0, 1], [2, 3], [1, 1]), [2, 2]);
    expectMatches(core.sliceAxis(t, 1, 0, 3, 2), ref.slice(n, [0, 0], [2, 3], [1, 2]), [2, 2]);
    // empty, padded, expanded: every element is padding
    const pe = core.expand(core.pad(core.slice(t, [0, 0], [1, 0]), [[0, 0], [1, 0]], 4), [3, 1]);
    expect(toNested(pe)).toEqual([[4], [4], [4]]);
  });
});

const padsArb = (rank: number) => fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: rank, maxLength: rank });
const padValueArb = fc.constantFrom(0, -1.5, 7, NaN, -Infinity);

describe("pad", () => {
  it("equals naive padding with the value", () => {
    const arb = shapeArb(0, 4, 1, 4).chain((shape) => fc.tuple(fc.constant(shape), padsArb(shape.length), padValueArb));
    fc.assert(
      fc.property(arb, ([shape, pads, value]) => {
        const { t, n } = source(shape);
        const out = shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
        expectMatches(core.pad(t, pads, value), ref.pad(n, shape, pads, value), out);
      }),
      RUNS,
    );
  });

  it("padOrCrop pads where positive and crops where negative", () => {
    const { t, n } = source([4, 5]);
    const y = core.padOrCrop(t, [
      [-1, 2],
      [1, -2],
    ]);
    const cropped = ref.slice(n, [1, 0], [4, 3], [1, 1]);
    expectMatches(y, ref.pad(cropped, [3, 3], [[0, 2], [1, 0]], 0), [5, 4]);
  });
});

describe("flip", () => {
  it("equals reversal; flipping twice is the identity", () => {
    const arb = shapeArb(1, 4, 1, 5).chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(range(shape.length), { minLength: 1 })));
    fc.assert(
      fc.property(arb, ([shape, axes]) => {
        const { t, n } = source(shape);
        const y = core.flip(t, axes);
        expectMatches(y, ref.flip(n, axes), shape);
        expectMatches(core.flip(y, axes), n, shape);
        // negative axes normalise
        expectMatches(core.flip(t, axes.map((a) => a - shape.length)), ref.flip(n, axes), shape);
      }),
      RUNS,
    );
  });
});

describe("concat and stack", () => {
  it("concat equals naive concatenation (1–4 inputs, any axis, empty pieces)", () => {
    const arb = shapeArb(1, 4, 1, 4).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 })),
    );
    fc.assert(
      fc.property(arb, ([shape, axis, sizes]) => {
        let offset = 0;
        const parts = sizes.map((k) => {
          const s = shape.map((d, i) => (i === axis ? k : d));
          const vals = distinct(prod(s)).map((v) => v + offset);
          offset += prod(s);
          return { t: ft(s, vals), n: nestedFromFlat(vals, s) };
        });
        const total = sizes.reduce((a, b) => a + b, 0);
        const out = shape.map((d, i) => (i === axis ? total : d));
        const y = core.concat(parts.map((p) => p.t), axis - shape.length);
        expectMatches(y, ref.concat(parts.map((p) => p.n), axis), out);
      }),
      RUNS,
    );
  });

  it("concat of views (flipped, padded, sliced) and stack", () => {
    const { t, n } = source([2, 3]);
    const a = core.flip(t, 1);
    const b = core.pad(t, [[0, 0], [1, 0]], -1);
    const c = core.slice(t, [0, 0], [2, 3], [1, 2]);
    const y = core.concat([a, b, c], 1);
    const expected = ref.concat([ref.flip(n, [1]), ref.pad(n, [2, 3], [[0, 0], [1, 0]], -1), ref.slice(n, [0, 0], [2, 3], [1, 2])], 1);
    expectMatches(y, expected, [2, 9]);
    expect(toNested(core.stack([t, a], 1))).toEqual([
      [
        [1, 2, 3],
        [3, 2, 1],
      ],
      [
        [4, 5, 6],
        [6, 5, 4],
      ],
    ]);
  });
});

// ---------------------------------------------------------------- compositions of views

describe("compositions of views", () => {
  it("pad of slice of padded", () => {
    const { t, n } = source([3, 4]);
    const p1: [number, number][] = [[1, 2], [2, 1]];
    const padded = core.pad(t, p1, 5);
    const sl = core.slice(padded, [1, 1], [6, 7], [2, 3]);
    const nSl = ref.slice(ref.pad(n, [3, 4], p1, 5), [1, 1], [6, 7], [2, 3]);
    expectMatches(sl, nSl, [3, 2]);
    // same pad value: stays one masked view; different value: copies first
    for (const v of [5, 9]) {
      const p2: [number, number][] = [[2, 0], [1, 1]];
      expectMatches(core.pad(sl, p2, v), ref.pad(nSl, [3, 2], p2, v), [5, 4]);
    }
  });

  it("slice of flipped padded (negative strides through a mask)", () => {
    const { t, n } = source([4, 3]);
    const pads: [number, number][] = [[2, 1], [0, 3]];
    const fl = core.flip(core.pad(t, pads, -2), [0, 1]);
    const nFl = ref.flip(ref.pad(n, [4, 3], pads, -2), [0, 1]);
    expectMatches(fl, nFl, [7, 6]);
    for (const [starts, ends, steps] of [
      [[0, 0], [7, 6], [2, 2]],
      [[1, 2], [7, 5], [3, 1]],
      [[6, 5], [7, 6], [1, 1]],
      [[0, 1], [5, 6], [4, 4]],
    ] as const) {
      const sl = core.slice(fl, starts, ends, steps);
      const counts = starts.map((s, d) => Math.ceil((ends[d]! - s) / steps[d]!));
      expectMatches(sl, ref.slice(nFl, starts, ends, steps), counts);
      expectMatches(core.flip(sl, [1]), ref.flip(ref.slice(nFl, starts, ends, steps), [1]), counts);
    }
  });

  it("expand of padded size-1 dims, then permute", () => {
    const { t, n } = source([1, 3]);
    const padded = core.pad(t, [[0, 0], [1, 1]], 0.5);
    const nP = ref.pad(n, [1, 3], [[0, 0], [1, 1]], 0.5);
    const ex = core.expand(padded, [4, 5]);
    const nEx = ref.expand(nP, [1, 5], [4, 5]);
    expectMatches(ex, nEx, [4, 5]);
    expectMatches(core.permute(ex, [1, 0]), ref.permute(nEx, [4, 5], [1, 0]), [5, 4]);
    expectMatches(core.flip(core.slice(ex, [1, 0], [4, 5], [2, 2]), [0, 1]), ref.flip(ref.slice(nEx, [1, 0], [4, 5], [2, 2]), [0, 1]), [2, 3]);
  });

  type Kind = "permute" | "slice" | "pad" | "flip" | "expand" | "reshape" | "concat";
  const KINDS: readonly Kind[] = ["permute", "slice", "pad", "flip", "expand", "reshape", "concat"];
  const MAX_SIZE = 3000;

  interface State {
    t: AnyTensor;
    n: Nested;
    shape: number[];
  }

  /** Apply one step with parameters drawn from `s` (seeds); returns the state unchanged if it does not apply. */
  function step(st: State, kind: Kind, s: readonly number[], dtype: DType): State {
    const { t, n, shape } = st;
    const rank = shape.length;
    const seed = (i: number) => s[i % s.length]!;
    switch (kind) {
      case "permute": {
        const perm = range(rank);
        for (let i = rank - 1; i > 0; i--) {
          const j = seed(i) % (i + 1);
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        return { t: core.permute(t, perm), n: ref.permute(n, shape, perm), shape: perm.map((p) => shape[p]!) };
      }
      case "slice": {
        const starts = shape.map((d, i) => seed(3 * i) % d);
        const ends = shape.map((d, i) => starts[i]! + 1 + (seed(3 * i + 1) % (d - starts[i]!)));
        const steps = shape.map((_, i) => 1 + (seed(3 * i + 2) % 3));
        const counts = starts.map((a, i) => Math.ceil((ends[i]! - a) / steps[i]!));
        return { t: core.slice(t, starts, ends, steps), n: ref.slice(n, starts, ends, steps), shape: counts };
      }
      case "pad": {
        const pads = shape.map((_, i): [number, number] => [seed(2 * i) % 3, seed(2 * i + 1) % 3]);
        const out = shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
        if (prod(out) > MAX_SIZE) return st;
        const values = dtype === "float32" ? [0, -0.5, 9, -Infinity] : [0, -1, 9];
        const value = values[seed(11) % values.length]!;
        return { t: core.pad(t, pads, value), n: ref.pad(n, shape, pads, value), shape: out };
      }
      case "flip": {
        const axes = range(rank).filter((i) => (seed(0) >> i) & 1);
        if (axes.length === 0) return st;
        return { t: core.flip(t, axes), n: ref.flip(n, axes), shape };
      }
      case "expand": {
        const to = shape.map((d, i) => (d === 1 ? 1 + (seed(i) % 3) : d));
        if (prod(to) > MAX_SIZE) return st;
        return { t: core.expand(t, to), n: ref.expand(n, shape, to), shape: to };
      }
      case "reshape": {
        const to = factorShape(prod(shape), s);
        return { t: core.reshape(t, to), n: ref.reshape(n, to), shape: to };
      }
      case "concat": {
        if (rank === 0 || 2 * prod(shape) > MAX_SIZE) return st;
        const axis = seed(0) % rank;
        const other = core.flip(t, [axis]);
        const out = shape.map((d, i) => (i === axis ? 2 * d : d));
        return { t: core.concat([t, other], axis), n: ref.concat([n, ref.flip(n, [axis])], axis), shape: out };
      }
    }
  }

  it("random pipelines of permute/slice/pad/flip/expand/reshape/concat equal the nested reference", () => {
    const arb = fc.tuple(
      shapeArb(0, 4, 1, 5),
      fc.constantFrom<DType>("float32", "int32"),
      fc.array(fc.tuple(fc.constantFrom(...KINDS), fc.array(fc.nat({ max: 1000 }), { minLength: 12, maxLength: 12 })), { minLength: 1, maxLength: 7 }),
    );
    fc.assert(
      fc.property(arb, ([shape, dtype, steps]) => {
        let st: State = { ...source(shape, dtype), shape };
        for (const [kind, seeds] of steps) {
          st = step(st, kind, seeds, dtype);
          expect(st.t.shape).toEqual(st.shape);
        }
        expectMatches(st.t, st.n, st.shape);
        // reductions read views through a permuted materialisation
        if (dtype === "float32" && st.shape.length > 0) {
          const sums = flatOf(st.n);
          const total = sums.reduce((a, b) => a + b, 0);
          const got = data(core.sum(st.t))[0]!;
          if (Number.isFinite(total)) expect(Math.abs(got - total)).toBeLessThanOrEqual(Math.abs(total) * 2 ** -22 + 1e-6);
          else expect(got).toBe(total);
        }
      }),
      { numRuns: 300 },
    );
  });
});
