/**
 * @file Named dims at run time: jit, gpuJit and grad bind a function's names to the sizes its
 * arguments carry (declared with `inputs`, or solved by a reshape), every op that takes a
 * shape sees the bindings, and a disagreement or a size that does not divide is a
 * ShapeMismatch naming the dim. Results are compared with the same computation done eagerly.
 * Every function here type-checks: where the types cannot see a mistake (dims typed `number`),
 * the run time must.
 */
import { describe, expect, it } from "vitest";
import * as wg from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { describeGpu } from "../gpu/harness.js";

/** Values i / n in a [rows, cols] tensor whose sizes the types see as `number`. */
const grid = (rows: number, cols: number) => wg.tensor(Float32Array.from({ length: rows * cols }, (_, i) => i / (rows * cols)), [rows, cols]);
const line = (n: number) => wg.tensor(Float32Array.from({ length: n }, (_, i) => i), [n]);
const cube = (b: number, t: number) => wg.reshape(grid(b, t * 3), [b, t, 3]);

/** [B, 6] → [B, 2, 3] → sum over the 2 → [B, 3]: one name, solved by the reshape. */
const fold = (x: Tensor<["B", 6]>) => wg.sum(wg.reshape(x, ["B", 2, 3]), 1);
/** Frames flattened, then regrouped: needs B and T bound (declared below). */
const regroup = (x: Tensor<["B", "T", 3]>) => wg.add(wg.reshape(wg.reshape(x, ["B", -1]), ["B", "T", 3]), wg.ones(["B", "T", 1]));
const framesSpec = [wg.spec(["B", "T", 3])] as const;

describe("jit", () => {
  it("a reshape to one name solves it from the element count", () => {
    const x = grid(5, 6);
    const got = wg.jit(fold)(x);
    expect(got.shape).toEqual([5, 3]);
    expect(wg.toNested(got)).toEqual(wg.toNested(wg.sum(wg.reshape(x, [5, 2, 3]), 1)));
  });
  it("a size that does not divide is a ShapeMismatch naming the dim, not a fractional shape", () => {
    const rows = (x: Tensor<[number]>) => wg.reshape(x, ["B", 3]);
    expect(() => wg.jit(rows)(line(10))).toThrow(wg.ShapeMismatch);
    expect(() => wg.jit(rows)(line(10))).toThrow(/reshape: \[10\] has 10 elements; \[B, 3\] would need named dim B = 10 \/ 3, not a whole number/);
    expect(() => wg.jit((x: Tensor<[number]>) => wg.reshape(x, [-1, 3]))(line(10))).toThrow(/would need -1 = 10 \/ 3/);
  });
  it("unbound names are a ShapeMismatch saying how to bind them", () => {
    const split = (x: Tensor<[number, 12]>) => wg.reshape(x, ["B", "T", 3]);
    expect(() => wg.jit(split)(grid(2, 12))).toThrow(/named dims B, T in \[B, T, 3\] are not bound: declare them/);
    expect(() => wg.jit(regroup)(cube(2, 4))).toThrow(/named dim B in \[B, -1\] is not bound/);
  });
  it("declared inputs bind the names for every op that takes a shape", () => {
    const x = cube(2, 4);
    const got = wg.jit(regroup, { inputs: framesSpec })(x);
    expect(got.shape).toEqual([2, 4, 3]);
    expect(wg.toNested(got)).toEqual(wg.toNested(wg.add(x, 1)));
    const swap = (v: Tensor<["B", "T", 3]>) => wg.reshape(v, ["T", "B", 3]);
    expect(wg.jit(swap, { inputs: framesSpec })(x).shape).toEqual([4, 2, 3]);
    // A count that no longer fits the bound names is the reshape's own error.
    const doubled = (v: Tensor<["B", "T", 3]>) => wg.reshape(wg.concat([v, v], 1), ["B", "T", 3]);
    expect(() => wg.jit(doubled, { inputs: framesSpec })(x)).toThrow(/reshape: cannot reshape 48 elements to \[2, 4, 3\]/);
  });
  it("arguments that disagree on a declared name are a ShapeMismatch naming it and both places", () => {
    const add = wg.jit((a: Tensor<["B", 3]>, b: Tensor<["B", 3]>) => wg.add(a, b), { inputs: [wg.spec(["B", 3]), wg.spec(["B", 3])] });
    expect(add(grid(4, 3), grid(4, 3)).shape).toEqual([4, 3]);
    // Broadcasting would accept [1, 3] against [4, 3]; the declared name does not.
    expect(() => add(grid(4, 3), grid(1, 3))).toThrow(/jit: named dim B is 4 at argument 1 dim 0 but 1 at argument 2 dim 0/);
    expect(() => add(grid(4, 3), grid(4, 2))).toThrow(/jit: argument 2 dim 1 is 2, declared 3/);
  });
  it("each binding traces its own program", () => {
    const f = wg.jit(fold);
    f(grid(2, 6));
    f(grid(3, 6));
    f(grid(2, 6));
    expect(f.traces).toBe(2);
  });
  it("trace's bindings reach the ops", () => {
    const program = wg.trace((x) => wg.reshape(x, ["T", "B", 3]), [wg.spec(["B", "T", 3])], { B: 2, T: 4 });
    expect(program.outputs[0]!.shape).toEqual([4, 2, 3]);
  });
});

describe("grad", () => {
  const loss = (p: { w: Tensor<[3, 1]> }, x: Tensor<["B", 3]>) => wg.mean(wg.reshape(wg.matmul(x, p.w), ["B"]));
  it("a name in the loss binds to the batch passed; the gradient is the eager one", () => {
    const x = grid(4, 3);
    const g = wg.grad(loss)({ w: wg.ones([3, 1]) }, x);
    expect(g.w.shape).toEqual([3, 1]);
    // d mean(x·w)/dw = the column means of x
    const means = wg.toNested(wg.mean(x, 0)) as number[];
    (wg.toNested(g.w) as number[][]).forEach((row, i) => expect(row[0]).toBeCloseTo(means[i]!, 6));
  });
  it("declared inputs check the batch against every name", () => {
    const pair = (p: { w: Tensor<[3, 1]> }, x: Tensor<["B", 3]>, y: Tensor<["B", 1]>) => wg.mean(wg.square(wg.sub(wg.matmul(x, p.w), y)));
    const vg = wg.valueAndGrad(pair, { inputs: [undefined, wg.spec(["B", 3]), wg.spec(["B", 1])] });
    expect(vg({ w: wg.ones([3, 1]) }, grid(4, 3), grid(4, 1))[0].shape).toEqual([]);
    expect(() => vg({ w: wg.ones([3, 1]) }, grid(4, 3), grid(1, 1))).toThrow(/valueAndGrad: named dim B is 4 at argument 2 dim 0 but 1 at argument 3 dim 0/);
  });
});

describeGpu("gpuJit", () => {
  it("binds names like jit and agrees with the interpreter", async () => {
    const x = grid(5, 6);
    const run = wg.gpuJit(fold);
    const got = await run(x);
    expect(got.shape).toEqual([5, 3]);
    const want = wg.data(wg.jit(fold)(x));
    wg.data(got).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    run.dispose();
  });
  it("declared inputs bind two names; a size that does not divide is a ShapeMismatch", async () => {
    const run = wg.gpuJit(regroup, { inputs: framesSpec });
    const x = cube(2, 4);
    const got = await run(x);
    expect(got.shape).toEqual([2, 4, 3]);
    const want = wg.data(wg.add(x, 1));
    wg.data(got).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const bad = wg.gpuJit((v: Tensor<[number]>) => wg.reshape(v, ["B", 3]));
    await expect(bad(line(10))).rejects.toThrow(/B = 10 \/ 3, not a whole number/);
    run.dispose();
    bad.dispose();
  });
});
