/**
 * Invalid shapes raise ShapeMismatch (or DTypeMismatch) whose message names the op, the shapes
 * involved, and the caller's site in this file (line included). Shapes come from fast-check.
 *
 * Each failing call is written on the same line as `here()`, which reads this file's line from a
 * stack trace, so the asserted call site is exact.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as core from "../../src/dsl/core.js";
import { DTypeMismatch, ShapeMismatch, showShape } from "../../src/dsl/errors.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";
import { jit } from "../../src/dsl/transforms.js";
import { bt, ft, it32, prod, range, shapeArb } from "./helpers.js";

const RUNS = { numRuns: 25 };
const zeros = (shape: readonly number[]) => ft(shape, new Array<number>(prod(shape)).fill(0));

/** This file's line number at the caller. */
function here(): number {
  const line = new Error().stack!.split("\n").find((l, i) => i > 1 && l.includes("errors.test.ts"));
  const m = /errors\.test\.ts:(\d+):\d+/.exec(line ?? "");
  if (!m) throw new Error(`no call site in stack: ${new Error().stack}`);
  return Number(m[1]);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error is a ShapeMismatch for `op`, names each shape, and points at `line` of this file. */
function expectShapeError(e: unknown, op: string, shapes: readonly (readonly number[])[], line: number, detail?: RegExp): void {
  expect(e).toBeInstanceOf(ShapeMismatch);
  const err = e as ShapeMismatch;
  expect(err.name).toBe("ShapeMismatch");
  expect(err.op).toBe(op);
  expect(err.message.startsWith(`${op}: `)).toBe(true);
  expect(err.shapes.map((s) => [...s])).toEqual(shapes.map((s) => [...s]));
  expect(err.message).toContain(`(shapes ${shapes.map(showShape).join(", ")})`);
  expect(err.site).toMatch(/(^|\/)test\/ops\/errors\.test\.ts:\d+:\d+$/);
  expect(err.site).toContain(`errors.test.ts:${line}:`);
  expect(err.message.endsWith(` at ${err.site}`)).toBe(true);
  if (detail) expect(err.detail).toMatch(detail);
}

describe("shape errors name the op, the shapes and the call site", () => {
  it("matmul: inner dims differ", () => {
    const arb = fc.tuple(shapeArb(0, 2, 1, 3), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).filter(([, , k1, k2]) => k1 !== k2);
    fc.assert(
      fc.property(arb, ([batch, m, k1, k2, n]) => {
        const [a, b] = [[...batch, m, k1], [...batch, k2, n]];
        const [e, line] = [thrown(() => core.matmul(zeros(a), zeros(b))), here()];
        expectShapeError(e, "matmul", [a, b], line, new RegExp(`inner dims ${k1} and ${k2} differ`));
      }),
      RUNS,
    );
  });

  it("matmul: batch dims do not broadcast; rank < 2", () => {
    const [e, line] = [thrown(() => core.matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))), here()];
    expectShapeError(e, "matmul", [[2], [3]], line, /cannot broadcast/);
    const [e2, line2] = [thrown(() => core.matmul(zeros([3]), zeros([3, 2]))), here()];
    expectShapeError(e2, "matmul", [[3], [3, 2]], line2, /rank >= 2/);
  });

  it("dot: batch dims differ (dot does not broadcast)", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })).filter(([b1, b2]) => b1 !== b2);
    fc.assert(
      fc.property(arb, ([b1, b2, k]) => {
        const [a, b] = [[b1, 2, k], [b2, k, 3]];
        const [e, line] = [thrown(() => core.dot(zeros(a), zeros(b))), here()];
        expectShapeError(e, "dot", [a, b], line, /batch dims differ/);
      }),
      RUNS,
    );
  });

  it("add / sub / maximum / less / where: shapes that do not broadcast", () => {
    // Two shapes of equal rank that differ (both ≠ 1) in at least one dim.
    const arb = shapeArb(1, 4, 2, 4).chain((s) =>
      fc.tuple(fc.constant(s), fc.nat(s.length - 1), fc.integer({ min: 2, max: 5 })).filter(([sh, d, n]) => sh[d] !== n).map(([sh, d, n]) => [sh, sh.map((v, i) => (i === d ? n : v))] as const),
    );
    fc.assert(
      fc.property(arb, ([a, b]) => {
        const [e1, l1] = [thrown(() => core.add(zeros(a), zeros(b))), here()];
        expectShapeError(e1, "add", [a, b], l1, /cannot broadcast/);
        const [e2, l2] = [thrown(() => core.sub(zeros([1, ...a]), zeros(b))), here()];
        expectShapeError(e2, "sub", [[1, ...a], b], l2, /cannot broadcast/);
        const [e3, l3] = [thrown(() => core.maximum(zeros(a), zeros(b))), here()];
        expectShapeError(e3, "maximum", [a, b], l3);
        const [e4, l4] = [thrown(() => core.less(zeros(a), zeros(b))), here()];
        expectShapeError(e4, "less", [a, b], l4);
        const [e5, l5] = [thrown(() => core.where(bt(a, new Array<number>(prod(a)).fill(1)), zeros(a), zeros(b))), here()];
        expectShapeError(e5, "where", [a, a, b], l5);
      }),
      RUNS,
    );
  });

  it("reshape: wrong element count (with and without -1)", () => {
    const arb = fc.tuple(shapeArb(1, 3, 1, 4), shapeArb(1, 3, 1, 4)).filter(([a, b]) => prod(a) !== prod(b));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        const [e, line] = [thrown(() => core.reshape(zeros(a), b)), here()];
        expectShapeError(e, "reshape", [a], line, new RegExp(`cannot reshape ${prod(a)} elements to \\[${b.join(", ")}\\] \\(${prod(b)} elements\\)`));
      }),
      RUNS,
    );
    const [e, line] = [thrown(() => core.reshape(zeros([2, 3]), [-1, 4])), here()];
    expectShapeError(e, "reshape", [[2, 3]], line, /\[2, 3\] has 6 elements; \[-1, 4\] would need -1 = 6 \/ 4, not a whole number/);
  });

  it("permute: not a permutation", () => {
    const arb = shapeArb(1, 4, 1, 3).chain((s) =>
      fc
        .constantFrom(
          [...range(s.length), 0], // too long
          range(s.length).slice(1), // too short
          range(s.length).map((i) => (i === 0 ? s.length : i)), // out of range
          ...(s.length > 1 ? [range(s.length).map(() => 0)] : []), // repeated
        )
        .map((perm) => [s, perm] as const),
    );
    fc.assert(
      fc.property(arb, ([s, perm]) => {
        const [e, line] = [thrown(() => core.permute(zeros(s), perm)), here()];
        expectShapeError(e, "permute", [s], line, /is not a permutation/);
      }),
      RUNS,
    );
  });

  it("concat: shapes differ off the axis; rank differs", () => {
    const arb = shapeArb(2, 3, 1, 3).chain((s) =>
      fc.tuple(fc.constant(s), fc.nat(s.length - 1), fc.nat(s.length - 1), fc.integer({ min: 1, max: 4 })).filter(([sh, axis, d, n]) => d !== axis && sh[d] !== n),
    );
    fc.assert(
      fc.property(arb, ([s, axis, d, n]) => {
        const b = s.map((v, i) => (i === d ? n : v));
        const [e, line] = [thrown(() => core.concat([zeros(s), zeros(s), zeros(b)], axis)), here()];
        expectShapeError(e, "concat", [s, s, b], line, new RegExp(`shapes differ off axis ${axis}`));
      }),
      RUNS,
    );
    const [e, line] = [thrown(() => core.concat([zeros([2, 2]), zeros([2])], 0)), here()];
    expectShapeError(e, "concat", [[2, 2], [2]], line);
  });

  it("slice: out of range, reversed bounds, bad steps", () => {
    const arb = shapeArb(1, 3, 1, 4).chain((s) =>
      fc.tuple(fc.constant(s), fc.nat(s.length - 1), fc.constantFrom("end", "start", "reversed", "step")),
    );
    fc.assert(
      fc.property(arb, ([s, d, kind]) => {
        const starts = s.map(() => 0);
        const ends = [...s];
        const steps = s.map(() => 1);
        if (kind === "end") ends[d] = s[d]! + 1;
        if (kind === "start") starts[d] = -1;
        if (kind === "reversed") [starts[d], ends[d]] = [s[d]!, 0];
        if (kind === "step") steps[d] = 0;
        if (kind === "reversed" && s[d] === 0) return;
        const [e, line] = [thrown(() => core.slice(zeros(s), starts, ends, steps)), here()];
        expectShapeError(e, "slice", [s], line, kind === "step" ? /step 0 on dim/ : /is not within dim/);
      }),
      RUNS,
    );
    const [e, line] = [thrown(() => core.sliceAxis(zeros([2, 3]), 2, 0, 1)), here()];
    expectShapeError(e, "sliceAxis", [[2, 3]], line, /axis 2 is out of range for rank 2/);
  });

  it("pad, expand, flip: invalid parameters", () => {
    const [e1, l1] = [thrown(() => core.pad(zeros([2, 3]), [[0, -1], [0, 0]])), here()];
    expectShapeError(e1, "pad", [[2, 3]], l1, /must be non-negative/);
    const [e2, l2] = [thrown(() => core.pad(zeros([2, 3]), [[1, 1]])), here()];
    expectShapeError(e2, "pad", [[2, 3]], l2, /pads has 1 entries for rank 2/);
    const [e3, l3] = [thrown(() => core.expand(zeros([2, 3]), [4, 3])), here()];
    expectShapeError(e3, "expand", [[2, 3]], l3, /dim 0 of size 2 cannot expand to 4/);
    const [e4, l4] = [thrown(() => core.flip(zeros([2, 3]), [0, -2])), here()];
    expectShapeError(e4, "flip", [[2, 3]], l4, /repeated axis/);
  });

  it("conv: channel / groups mismatch", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 })).filter(([cin, wc, g]) => wc * g !== cin);
    fc.assert(
      fc.property(arb, ([cin, wc, g]) => {
        const [x, w] = [[1, 5, cin], [g * 2, 3, wc]];
        const [e, line] = [thrown(() => core.conv(zeros(x), zeros(w), { groups: g })), here()];
        expectShapeError(e, "conv", [x, w], line, /groups|channels per group/);
      }),
      RUNS,
    );
    // groups that divide Cin but not Cout
    const [e, line] = [thrown(() => core.conv(zeros([1, 5, 4]), zeros([3, 1, 2]), { groups: 2 })), here()];
    expectShapeError(e, "conv", [[1, 5, 4], [3, 1, 2]], line, /groups 2 must divide Cin 4 and Cout 3/);
  });

  it("conv: window larger than the padded input", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.nat(1), fc.nat(1)).filter(([, s, dil, lo, hi]) => s + lo + hi < dil * 2 + 1);
    fc.assert(
      fc.property(arb, ([r, s, dil, lo, hi]) => {
        const x = [1, ...new Array<number>(r).fill(s), 2];
        const w = [2, ...new Array<number>(r).fill(3), 2];
        const [e, line] = [thrown(() => core.conv(zeros(x), zeros(w), { dilation: dil, padding: new Array(r).fill([lo, hi]) })), here()];
        expectShapeError(e, "conv", [x, w], line, /is larger than the padded input/);
      }),
      RUNS,
    );
  });

  it("conv: option lengths and ranks", () => {
    const [e1, l1] = [thrown(() => core.conv(zeros([1, 5, 5, 2]), zeros([2, 3, 3, 2]), { stride: [1, 1, 1] })), here()];
    expectShapeError(e1, "conv", [[1, 5, 5, 2], [2, 3, 3, 2]], l1, /stride has 3 entries for 2 spatial dims/);
    const [e2, l2] = [thrown(() => core.conv(zeros([1, 5, 2]), zeros([2, 3, 3, 2]))), here()];
    expectShapeError(e2, "conv", [[1, 5, 2], [2, 3, 3, 2]], l2, /weight rank 4 must equal input rank 3/);
  });

  it("sum / max / mean: axis out of range or repeated", () => {
    fc.assert(
      fc.property(shapeArb(0, 4, 1, 3), fc.integer({ min: 0, max: 3 }), fc.boolean(), (s, extra, negative) => {
        const axis = negative ? -(s.length + 1 + extra) : s.length + extra;
        const [e, line] = [thrown(() => core.sum(zeros(s), axis)), here()];
        expectShapeError(e, "sum", [s], line, new RegExp(`axis ${axis} is out of range for rank ${s.length}`));
        const [e2, line2] = [thrown(() => core.max(zeros(s), [axis])), here()];
        expectShapeError(e2, "max", [s], line2);
        const [e3, line3] = [thrown(() => core.mean(zeros(s), axis, true)), here()];
        expectShapeError(e3, "mean", [s], line3);
      }),
      RUNS,
    );
    const [e, line] = [thrown(() => core.sum(zeros([2, 3]), [1, -1])), here()];
    expectShapeError(e, "sum", [[2, 3]], line, /repeated axis/);
  });
});

describe("dtype errors", () => {
  const f = ft([2], [1, 2]);
  const n = it32([2], [1, 2]);
  const b = bt([2], [1, 0]);

  function expectDTypeError(e: unknown, op: string, line: number, detail: RegExp): void {
    expect(e).toBeInstanceOf(DTypeMismatch);
    const err = e as DTypeMismatch;
    expect(err.message.startsWith(`${op}: `)).toBe(true);
    expect(err.message).toMatch(detail);
    expect(err.site).toContain(`errors.test.ts:${line}:`);
    expect(err.message.endsWith(` at ${err.site}`)).toBe(true);
  }

  it("float32 + int32", () => {
    const [e, line] = [thrown(() => core.add(f, n)), here()];
    expectDTypeError(e, "add", line, /dtype float32 and int32 differ/);
    const [e2, line2] = [thrown(() => core.mul(n, f)), here()];
    expectDTypeError(e2, "mul", line2, /dtype int32 and float32 differ/);
  });

  it("unsupported dtypes and non-bool conditions", () => {
    const [e1, l1] = [thrown(() => core.pow(n, n)), here()];
    expectDTypeError(e1, "pow", l1, /dtype int32 is not supported/);
    const [e2, l2] = [thrown(() => core.where(f, f, f)), here()];
    expectDTypeError(e2, "where", l2, /condition must be bool, got float32/);
    const [e3, l3] = [thrown(() => core.where(b, f, n)), here()];
    expectDTypeError(e3, "where", l3, /float32 and int32 of the branches differ/);
    const [e4, l4] = [thrown(() => core.sum(b)), here()];
    expectDTypeError(e4, "sum", l4, /dtype bool is not supported/);
    const [e5, l5] = [thrown(() => core.matmul(core.reshape(n, [1, 2]), core.reshape(f, [2, 1]))), here()];
    expectDTypeError(e5, "matmul", l5, /dtype int32 and float32 must be equal numeric types/);
    // The key rule checks dtype and shape together; it reports a ShapeMismatch naming the key's shape.
    const [e6, l6] = [thrown(() => core.randomUniform(f, [3])), here()];
    expectShapeError(e6, "random", [[2]], l6, /the key must be int32 \[2\]/);
  });
});

describe("errors raised under trace point at the traced function", () => {
  it("a shape error inside jit names the line inside the user's function", () => {
    let line = 0;
    const g = jit((x: AnyTensor) => {
      line = here(); return core.matmul(x, x); // prettier-ignore
    });
    const e = thrown(() => g(zeros([2, 3])));
    expectShapeError(e, "matmul", [[2, 3], [2, 3]], line);
  });
});
