/**
 * Type tests of the public ops: right programs get exact result shapes, wrong programs fail
 * to compile (each `@ts-expect-error` must meet an error, or tsc fails the suite).
 */
import { describe, expectTypeOf, test } from "vitest";
import * as wg from "../../src/index.js";
import type { ShapeError, Tensor } from "../../src/index.js";

declare const x23: Tensor<[2, 3], "float32">;
declare const x3: Tensor<[3], "float32">;
declare const x4: Tensor<[4], "float32">;
declare const xb: Tensor<["B", 8, 196, 768], "float32">;
declare const i23: Tensor<[2, 3], "int32">;
declare const mask23: Tensor<[2, 3], "bool">;
declare const video: Tensor<["B", 8, 14, 14, 768], "float32">;
declare const dw: Tensor<[768, 3, 3, 3, 1], "float32">;
declare const stem: Tensor<[2, 8, 224, 224, 3], "float32">;
declare const stemW: Tensor<[768, 1, 16, 16, 3], "float32">;

describe("elementwise", () => {
  test("broadcasting", () => {
    expectTypeOf(wg.add(x23, x3)).toEqualTypeOf<Tensor<[2, 3], "float32">>();
    expectTypeOf(wg.mul(x23, 2)).toEqualTypeOf<Tensor<[2, 3], "float32">>();
    expectTypeOf(wg.sub(1, x3)).toEqualTypeOf<Tensor<[3], "float32">>();
    expectTypeOf(wg.add(xb, x23 as unknown as Tensor<[768], "float32">)).toEqualTypeOf<Tensor<["B", 8, 196, 768], "float32">>();
    expectTypeOf(wg.less(x23, x3)).toEqualTypeOf<Tensor<[2, 3], "bool">>();
    expectTypeOf(wg.where(mask23, x23, 0)).toEqualTypeOf<Tensor<[2, 3], "float32">>();
    expectTypeOf(wg.exp(xb)).toEqualTypeOf<Tensor<["B", 8, 196, 768], "float32">>();
    expectTypeOf(wg.cast(i23, "float32")).toEqualTypeOf<Tensor<[2, 3], "float32">>();
  });
  test("mismatches are errors at the argument", () => {
    // @ts-expect-error add: cannot broadcast [2, 3] with [4]
    wg.add(x23, x4);
    // @ts-expect-error a named dim does not broadcast against a different literal
    wg.mul(xb, x4);
    // @ts-expect-error dtypes must agree
    wg.add(x23, i23);
  });
  test("the error type carries the message", () => {
    type Param = Parameters<typeof wg.add<[2, 3], [4], "float32">>[1];
    expectTypeOf<Extract<Param, ShapeError<string>>>().toEqualTypeOf<ShapeError<"add: cannot broadcast [2, 3] with [4]">>();
  });
});

describe("reductions", () => {
  test("axes and keepDims", () => {
    expectTypeOf(wg.sum(x23)).toEqualTypeOf<Tensor<[], "float32">>();
    expectTypeOf(wg.sum(x23, 1)).toEqualTypeOf<Tensor<[2], "float32">>();
    expectTypeOf(wg.mean(xb, -1, true)).toEqualTypeOf<Tensor<["B", 8, 196, 1], "float32">>();
    expectTypeOf(wg.max(xb, [1, 2])).toEqualTypeOf<Tensor<["B", 768], "float32">>();
  });
  test("out-of-range axes", () => {
    // @ts-expect-error reduce: axis 2 is out of range for [2, 3]
    wg.sum(x23, 2);
    // @ts-expect-error repeated axis
    wg.sum(x23, [1, -1]);
  });
});

describe("movement", () => {
  test("reshape keeps the element count, named dims included", () => {
    expectTypeOf(wg.reshape(xb, ["B", 1568, 768])).toEqualTypeOf<Tensor<["B", 1568, 768], "float32">>();
    expectTypeOf(wg.reshape(x23, [6])).toEqualTypeOf<Tensor<[6], "float32">>();
    // @ts-expect-error reshape: cannot reshape [2, 3] (size 6) to [4] (size 4)
    wg.reshape(x23, [4]);
    // @ts-expect-error the named dim B must survive a reshape
    wg.reshape(xb, [8, 196, 768]);
  });
  test("permute, transpose, slice, pad, concat", () => {
    expectTypeOf(wg.permute(xb, [0, 3, 1, 2])).toEqualTypeOf<Tensor<["B", 768, 8, 196], "float32">>();
    expectTypeOf(wg.transpose(x23)).toEqualTypeOf<Tensor<[3, 2], "float32">>();
    expectTypeOf(wg.sliceAxis(xb, 2, 1, 196)).toEqualTypeOf<Tensor<["B", 8, 195, 768], "float32">>();
    expectTypeOf(wg.pad(x23, [[1, 1], [0, 2]])).toEqualTypeOf<Tensor<[4, 5], "float32">>();
    expectTypeOf(wg.concat([x23, x23], 0)).toEqualTypeOf<Tensor<[4, 3], "float32">>();
    // @ts-expect-error permute: not a permutation
    wg.permute(x23, [0, 0]);
    // @ts-expect-error slice past the end of the axis
    wg.sliceAxis(x23, 1, 0, 4);
    // @ts-expect-error pad needs a pair per axis
    wg.pad(x23, [[1, 1]]);
    // @ts-expect-error concat: dims off the axis must agree
    wg.concat([x23, x4], 0);
  });
});

describe("contractions", () => {
  test("matmul", () => {
    const w = wg.zeros([768, 10]);
    expectTypeOf(wg.matmul(xb, w)).toEqualTypeOf<Tensor<["B", 8, 196, 10], "float32">>();
    // @ts-expect-error matmul: inner dims 3 and 4 differ
    wg.matmul(x23, x23 as unknown as Tensor<[4, 5], "float32">);
  });
  test("conv: output sizes from kernel, stride, padding, groups", () => {
    expectTypeOf(wg.conv(video, dw, { padding: 1, groups: 768 })).toEqualTypeOf<Tensor<["B", 8, 14, 14, 768], "float32">>();
    expectTypeOf(wg.conv(stem, stemW, { stride: [1, 16, 16] })).toEqualTypeOf<Tensor<[2, 8, 14, 14, 768], "float32">>();
    // @ts-expect-error channels: weight takes 1 channel per group without groups
    wg.conv(video, dw, { padding: 1 });
    // @ts-expect-error the kernel must have as many spatial dims as the input
    wg.conv(stem, dw as unknown as Tensor<[768, 16, 16, 3], "float32">);
  });
});

describe("creation and transforms", () => {
  test("declared shapes flow into the types", () => {
    expectTypeOf(wg.tensor([1, 2, 3, 4, 5, 6], [2, 3])).toEqualTypeOf<Tensor<[2, 3], "float32">>();
    expectTypeOf(wg.zeros([4, 5], "int32")).toEqualTypeOf<Tensor<[4, 5], "int32">>();
    expectTypeOf(wg.arange(5)).toEqualTypeOf<Tensor<[5], "int32">>();
  });
  test("trace gives the function tensors typed by the specs", () => {
    wg.trace(
      (x, y) => {
        expectTypeOf(x).toEqualTypeOf<Tensor<["B", 3], "float32">>();
        expectTypeOf(y).toEqualTypeOf<Tensor<[3, 4], "float32">>();
        return wg.matmul(x, y);
      },
      [wg.spec(["B", 3]), wg.spec([3, 4])],
      { B: 2 },
    );
  });
  test("grad returns the parameters' structure", () => {
    const params = { w: x23, b: x3 };
    const g = wg.grad((p: typeof params) => wg.sum(wg.add(p.w, p.b)))(params);
    expectTypeOf(g.w).toEqualTypeOf<Tensor<[2, 3], "float32">>();
  });
});
