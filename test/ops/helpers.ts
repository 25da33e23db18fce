/**
 * @file Shared test helpers: tensor construction, fast-check arbitraries, element comparisons,
 * and a naive nested-array reference for movement ops. The reference is written without any of
 * the library's view arithmetic (no strides, offsets or masks): every op is a recursive
 * construction or an index-tuple lookup, so it is an independent oracle for src/dsl/host/view.ts.
 */
import fc from "fast-check";
import { expect } from "vitest";
import * as core from "../../src/dsl/core.js";
import type { DType } from "../../src/dsl/dtype.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";

// ---------------------------------------------------------------- shapes and indices

export const prod = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);

/** Row-major multi-index of flat position `i`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = i % n;
    i = Math.floor(i / n);
  }
  return idx;
}

/** Row-major flat position of a multi-index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d]! + idx[d]!;
  return p;
}

export function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
}

/** A random shape of `size` elements with rank in [0, 4] (rank 0 only for size 1). */
export function factorShape(size: number, seeds: readonly number[]): number[] {
  const factors = primeFactors(size);
  const rank = Math.max(Math.min(seeds[0]! % 5, 4), factors.length === 0 ? 0 : 1);
  const dims = new Array<number>(rank).fill(1);
  factors.forEach((f, i) => {
    const d = seeds[(i + 1) % seeds.length]! % rank;
    dims[d]! *= f;
  });
  return dims;
}

// ---------------------------------------------------------------- tensors

export function ft(shape: readonly number[], values: ArrayLike<number>): AnyTensor {
  return core.constant(Float32Array.from(values as ArrayLike<number>), shape, "float32");
}
export function it32(shape: readonly number[], values: ArrayLike<number>): AnyTensor {
  return core.constant(Int32Array.from(values as ArrayLike<number>), shape, "int32");
}
export function bt(shape: readonly number[], values: ArrayLike<number>): AnyTensor {
  return core.constant(Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0)), shape, "bool");
}
export function tensorOf(dtype: DType, shape: readonly number[], values: ArrayLike<number>): AnyTensor {
  return dtype === "float32" ? ft(shape, values) : dtype === "int32" ? it32(shape, values) : bt(shape, values);
}

/** 1, 2, 3, … : distinct values make any misplaced element visible. */
export function distinct(n: number): number[] {
  return range(n, 1);
}

// ---------------------------------------------------------------- arbitraries

export function shapeArb(minRank = 0, maxRank = 4, minDim = 1, maxDim = 5): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** float32 values (fc.float only produces f32-representable numbers). */
export function f32(min = -100, max = 100, noZero = false): fc.Arbitrary<number> {
  const arb = fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });
  return noZero ? arb.filter((v) => v !== 0) : arb;
}

export function int32(): fc.Arbitrary<number> {
  return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
}

export function valuesArb<T = number>(n: number, elem: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.array(elem, { minLength: n, maxLength: n });
}

export interface Sample {
  readonly shape: number[];
  readonly data: number[];
}

export function sampleArb(shape: fc.Arbitrary<number[]>, elem: fc.Arbitrary<number>): fc.Arbitrary<Sample> {
  return shape.chain((s) => valuesArb(prod(s), elem).map((data) => ({ shape: s, data })));
}

/** A shape and another that broadcasts against it (numpy rules), plus their broadcast result. */
export function broadcastPairArb(maxRank = 4, maxDim = 4): fc.Arbitrary<{ a: number[]; b: number[]; out: number[] }> {
  return shapeArb(0, maxRank, 1, maxDim).chain((out) =>
    fc
      .tuple(
        fc.integer({ min: 0, max: out.length }),
        fc.integer({ min: 0, max: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      )
      .map(([ra, rb, ma, mb]) => {
        // Each operand takes a suffix of `out`, with some dims squeezed to 1.
        const a = out.slice(out.length - ra).map((n, i) => (ma[i + out.length - ra] ? 1 : n));
        const b = out.slice(out.length - rb).map((n, i) => (mb[i + out.length - rb] ? 1 : n));
        // The true broadcast shape: a dim squeezed in both operands (or absent) is 1.
        const rank = Math.max(a.length, b.length);
        const res = range(rank).map((d) => {
          const da = a[d - (rank - a.length)] ?? 1;
          const db = b[d - (rank - b.length)] ?? 1;
          return Math.max(da, db);
        });
        return { a, b, out: res };
      }),
  );
}

// ---------------------------------------------------------------- comparisons

const sameNumber = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Element-for-element equality (NaN equals NaN; +0 equals −0). */
export function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ""): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!sameNumber(actual[i]!, expected[i]!)) {
      expect.fail(`${what} element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** |actual − expected| ≤ atol + rtol·|expected| per element; NaN and ±∞ must match exactly. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 0, atol = 0 }: { rtol?: number; atol?: number },
  what = "",
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (sameNumber(a, e)) continue;
    if (!Number.isFinite(e) || !(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`${what} element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** The largest float32 ulp-relative gap used in sum-like comparisons: 2⁻²³. */
export const F32_EPS = 2 ** -23;

// ---------------------------------------------------------------- nested-array reference

export type Nested = number | Nested[];

export function nestedFromFlat(flat: readonly number[], shape: readonly number[]): Nested {
  const build = (d: number, at: number): Nested => {
    if (d === shape.length) return flat[at]!;
    const inner = prod(shape.slice(d + 1));
    return range(shape[d]!).map((i) => build(d + 1, at + i * inner));
  };
  return build(0, 0);
}

export function flatOf(n: Nested): number[] {
  return typeof n === "number" ? [n] : n.flatMap(flatOf);
}

export function get(n: Nested, idx: readonly number[]): number {
  let cur = n;
  for (const i of idx) {
    if (typeof cur === "number") throw new Error("reference: index too long");
    cur = cur[i]!;
  }
  if (typeof cur !== "number") throw new Error("reference: index too short");
  return cur;
}

/** Build a nested array of `shape` from a function of the multi-index. */
export function tabulate(shape: readonly number[], fn: (idx: number[]) => number): Nested {
  const build = (prefix: number[]): Nested =>
    prefix.length === shape.length ? fn(prefix) : range(shape[prefix.length]!).map((i) => build([...prefix, i]));
  return build([]);
}

export function fullNested(shape: readonly number[], value: number): Nested {
  return tabulate(shape, () => value);
}

export const ref = {
  permute(n: Nested, shape: readonly number[], perm: readonly number[]): Nested {
    return tabulate(
      perm.map((p) => shape[p]!),
      (idx) => {
        const src = new Array<number>(perm.length);
        perm.forEach((p, i) => (src[p] = idx[i]!));
        return get(n, src);
      },
    );
  },
  reshape(n: Nested, shape: readonly number[]): Nested {
    return nestedFromFlat(flatOf(n), shape);
  },
  expand(n: Nested, from: readonly number[], to: readonly number[]): Nested {
    return tabulate(to, (idx) => get(n, idx.map((i, d) => (from[d] === 1 ? 0 : i))));
  },
  slice(n: Nested, starts: readonly number[], ends: readonly number[], steps: readonly number[], d = 0): Nested {
    if (typeof n === "number") return n;
    const picked: Nested[] = [];
    for (let i = starts[d]!; i < ends[d]!; i += steps[d]!) picked.push(ref.slice(n[i]!, starts, ends, steps, d + 1));
    return picked;
  },
  pad(n: Nested, shape: readonly number[], pads: readonly (readonly [number, number])[], value: number, d = 0): Nested {
    if (typeof n === "number") return n;
    const [lo, hi] = pads[d]!;
    const padded = shape.slice(d + 1).map((s, k) => s + pads[d + 1 + k]![0] + pads[d + 1 + k]![1]);
    const filler = () => fullNested(padded, value);
    return [
      ...range(lo).map(filler),
      ...n.map((row) => ref.pad(row, shape, pads, value, d + 1)),
      ...range(hi).map(filler),
    ];
  },
  flip(n: Nested, axes: readonly number[], d = 0): Nested {
    if (typeof n === "number") return n;
    const inner = n.map((row) => ref.flip(row, axes, d + 1));
    return axes.includes(d) ? inner.reverse() : inner;
  },
  concat(ns: readonly Nested[], axis: number, d = 0): Nested {
    if (d === axis) return ns.flatMap((n) => n as Nested[]);
    const first = ns[0] as Nested[];
    return first.map((_, i) => ref.concat(ns.map((n) => (n as Nested[])[i]!), axis, d + 1));
  },
};
