/**
 * @file Named dims at run time: jit, gpuJit and grad bind a function's names to the sizes its
 * arguments carry (declared with `inputs`, or solved by a reshape), every op that takes a
 * shape sees the bindings, and a disagreement or a size that does not divide is a
 * ShapeMismatch naming the dim. Results are compared with the same function run eagerly.
 */
import { describe, expect, it } from "vitest";
import * as wg from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { describeGpu } from "../gpu/harness.js";

const iota = <const S extends readonly number[]>(shape: S) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return wg.tensor(Float32Array.from({ length: n }, (_, i) => i / n), shape);
};

/** [B, 6] → [B, 2, 3] → sum over the 2 → [B, 3]: one name, solved by the reshape. */
const fold = (x: Tensor<["B", 6]>) => wg.sum(wg.reshape(x, ["B", 2, 3]), 1);
/** Two names: needs both bound before the reshape. */
const split = (x: Tensor<["B", 12]>) => wg.reshape(x, ["B", "T", 3]);
const splitSpecs = [wg.spec(["B", 12])] as const;

describe("jit", () => {
  it("a reshape to one name solves it from the element count", () => {
    const x = iota([5, 6]);
    const got = wg.jit(fold)(x);
    expect(got.shape).toEqual([5, 3]);
    expect(wg.toNested(got)).toEqual(wg.toNested(fold(x)));
  });
  it("a size that does not divide is a ShapeMismatch naming the dim, not a fractional shape", () => {
    const bad = (x: Tensor<[10]>) => wg.reshape(x, ["B", 3]);
    expect(() => wg.jit(bad)(iota([10]))).toThrow(/reshape: \[10\] has 10 elements; \[B, 3\] would need named dim B = 10 \/ 3, not a whole number/);
    expect(() => wg.jit((x: Tensor<[10]>) => wg.reshape(x, [-1, 3]))(iota([10]))).toThrow(/would need -1 = 10 \/ 3/);
  });
  it("two unbound names are a ShapeMismatch saying how to bind them", () => {
    expect(() => wg.jit(split)(iota([2, 12]))).toThrow(wg.ShapeMismatch);
    expect(() => wg.jit(split)(iota([2, 12]))).toThrow(/named dims B, T in \[B, T, 3\] are not bound: declare them/);
  });
  it("declared inputs bind the names for every op; a name solved once keeps its size", () => {
    const f = (x: Tensor<["B", 12]>) => {
      const y = wg.reshape(x, ["B", "T", 3]); // T solved: 4
      return wg.add(y, wg.ones(["B", "T", 1])); // both names bound for zeros/ones too
    };
    const got = wg.jit(f, { inputs: splitSpecs })(iota([2, 12]));
    expect(got.shape).toEqual([2, 4, 3]);
    expect(wg.toNested(got)).toEqual(wg.toNested(wg.add(wg.reshape(iota([2, 12]), [2, 4, 3]), 1)));
    // A name solved once keeps its size: T is 4 here, so [T, B, 3] is a transpose-free regrouping.
    const regroup = (x: Tensor<["B", 12]>) => wg.reshape(wg.reshape(x, ["B", "T", 3]), ["T", "B", 3]);
    expect(wg.jit(regroup, { inputs: splitSpecs })(iota([2, 12])).shape).toEqual([4, 2, 3]);
    const tooMany = (x: Tensor<["B", 12]>) => wg.reshape(wg.concat([wg.reshape(x, ["B", "T", 3]), wg.reshape(x, ["B", "T", 3])], 1), ["B", "T", 3]);
    expect(() => wg.jit(tooMany, { inputs: splitSpecs })(iota([2, 12]))).toThrow(/reshape: cannot reshape 48 elements to \[2, 4, 3\]/);
  });
  it("arguments that disagree on a declared name are a ShapeMismatch naming it and both places", () => {
    const add = wg.jit((a: Tensor<["B", 3]>, b: Tensor<["B", 3]>) => wg.add(a, b), { inputs: [wg.spec(["B", 3]), wg.spec(["B", 3])] });
    const wide = (shape: readonly [number, 3]): Tensor<[number, 3]> => wg.zeros(shape);
    expect(add(wide([4, 3]), wide([4, 3])).shape).toEqual([4, 3]);
    // Broadcasting would accept [1, 3] against [4, 3]; the declared name does not.
    expect(() => add(wide([4, 3]), wide([1, 3]))).toThrow(/jit: named dim B is 4 at argument 1 dim 0 but 1 at argument 2 dim 0/);
  });
  it("each binding traces its own program", () => {
    const f = wg.jit(fold);
    f(iota([2, 6]));
    f(iota([3, 6]));
    f(iota([2, 6]));
    expect(f.traces).toBe(2);
  });
  it("trace's bindings reach the ops", () => {
    const program = wg.trace((x) => wg.reshape(x, ["B", "T", 3]), [wg.spec(["B", 12])], { B: 2, T: 4 });
    expect(program.outputs[0]!.shape).toEqual([2, 4, 3]);
    expect(() => wg.trace((x) => wg.reshape(x, ["B", "T", 3]), [wg.spec(["B", 12])], { B: 2, T: 5 })).toThrow(/\[2, 12\] has 24 elements|cannot reshape|24/);
  });
});

describe("grad", () => {
  const loss = (p: { w: Tensor<[3, 1]> }, x: Tensor<["B", 3]>) => wg.mean(wg.reshape(wg.matmul(x, p.w), ["B"]));
  it("a name in the loss binds to the batch passed; the gradient matches the eager one", () => {
    const x = iota([4, 3]);
    const g = wg.grad(loss)({ w: wg.ones([3, 1]) }, x);
    expect(g.w.shape).toEqual([3, 1]);
    // d mean(x·w)/dw = column means of x
    const means = wg.toNested(wg.mean(x, 0)) as number[];
    (wg.toNested(g.w) as number[][]).forEach((row, i) => expect(row[0]).toBeCloseTo(means[i]!, 6));
  });
  it("declared inputs check the batch against every name", () => {
    const pair = (p: { w: Tensor<[3, 1]> }, x: Tensor<["B", 3]>, y: Tensor<["B", 1]>) => wg.mean(wg.square(wg.sub(wg.matmul(x, p.w), y)));
    const vg = wg.valueAndGrad(pair, { inputs: [undefined, wg.spec(["B", 3]), wg.spec(["B", 1])] });
    const wide = <const S extends readonly number[]>(s: S): Tensor<{ [K in keyof S]: number }> => wg.zeros(s);
    expect(vg({ w: wg.ones([3, 1]) }, wide([4, 3]), wide([4, 1]))[0].shape).toEqual([]);
    expect(() => vg({ w: wg.ones([3, 1]) }, wide([4, 3]), wide([1, 1]))).toThrow(/valueAndGrad: named dim B is 4 at argument 2 dim 0 but 1 at argument 3 dim 0/);
  });
});

describeGpu("gpuJit", () => {
  it("binds names like jit and agrees with the interpreter", async () => {
    const x = iota([5, 6]);
    const run = wg.gpuJit(fold);
    const got = await run(x);
    expect(got.shape).toEqual([5, 3]);
    const want = wg.data(wg.jit(fold)(x));
    wg.data(got).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    run.dispose();
  });
  it("declared inputs bind two names; a size that does not divide is a ShapeMismatch", async () => {
    const run = wg.gpuJit(split, { inputs: splitSpecs });
    expect((await run(iota([2, 12]))).shape).toEqual([2, 4, 3]);
    const bad = wg.gpuJit((x: Tensor<[10]>) => wg.reshape(x, ["B", 3]));
    await expect(bad(iota([10]))).rejects.toThrow(/B = 10 \/ 3, not a whole number/);
    run.dispose();
    bad.dispose();
  });
});
