/**
 * Type tests of named dims as parameters of compiled functions: `jit`, `gpuJit`, `grad` and
 * `valueAndGrad` of a function typed over names take concrete tensors, bind each name to the
 * size it meets, refuse a conflict at the argument, and substitute the names in the result.
 */
import { describe, expectTypeOf, test } from "vitest";
import * as wg from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

const project = (x: Tensor<["B", 3]>, w: Tensor<[3, 4]>) => wg.matmul(x, w);
declare const x53: Tensor<[5, 3]>;
declare const x63: Tensor<[6, 3]>;
declare const w34: Tensor<[3, 4]>;
declare const w44: Tensor<[4, 4]>;
declare const xWide: Tensor<[number, 3]>;
declare const xNamed: Tensor<["N", 3]>;

describe("jit", () => {
  test("a name binds to the literal it meets; the result has it substituted", () => {
    expectTypeOf(wg.jit(project)(x53, w34)).toEqualTypeOf<Tensor<[5, 4]>>();
    expectTypeOf(wg.jit(project)(wg.zeros([7, 3]), wg.zeros([3, 4]))).toEqualTypeOf<Tensor<[7, 4]>>();
  });
  test("a name binds to number, or to the caller's own name", () => {
    expectTypeOf(wg.jit(project)(xWide, w34)).toEqualTypeOf<Tensor<[number, 4]>>();
    expectTypeOf(wg.jit(project)(xNamed, w34)).toEqualTypeOf<Tensor<["N", 4]>>();
  });
  test("every occurrence must agree", () => {
    const sum = wg.jit((a: Tensor<["B", 3]>, b: Tensor<["B", 3]>) => ({ total: wg.add(a, b), first: [a] as const }));
    const out = sum(x53, x53);
    expectTypeOf(out.total).toEqualTypeOf<Tensor<[5, 3]>>();
    expectTypeOf(out.first[0]).toEqualTypeOf<Tensor<[5, 3]>>();
    // @ts-expect-error jit: B is 5 at argument 1 dim 0 but 6 at argument 2 dim 0
    sum(x53, x63);
    // A wide dim agrees with anything at compile time (the run time checks it).
    expectTypeOf(sum(x53, xWide).total).toEqualTypeOf<Tensor<[5, 3]>>();
  });
  test("declared literals, ranks and dtypes are checked", () => {
    // @ts-expect-error jit: argument 2 dim 0 is 4, the function takes 3
    wg.jit(project)(x53, w44);
    // @ts-expect-error rank 3 for a rank-2 parameter
    wg.jit(project)(wg.zeros([5, 3, 1]), w34);
    // @ts-expect-error int32 for a float32 parameter
    wg.jit(project)(wg.zeros([5, 3], "int32"), w34);
  });
  test("names bind inside pytrees of parameters", () => {
    const layer = wg.jit((p: { w: Tensor<[3, "H"]>; b: Tensor<["H"]> }, x: Tensor<["B", 3]>) => wg.add(wg.matmul(x, p.w), p.b));
    expectTypeOf(layer({ w: wg.zeros([3, 8]), b: wg.zeros([8]) }, x53)).toEqualTypeOf<Tensor<[5, 8]>>();
    // @ts-expect-error jit: H is 8 at argument 1.w dim 1 but 9 at argument 1.b dim 0
    layer({ w: wg.zeros([3, 8]), b: wg.zeros([9]) }, x53);
  });
  test("functions without names keep their signature", () => {
    const plain = wg.jit((a: Tensor<[2, 3]>) => wg.sum(a, 1));
    expectTypeOf(plain(wg.zeros([2, 3]))).toEqualTypeOf<Tensor<[2]>>();
    // @ts-expect-error jit: argument 1 dim 1 is 4, the function takes 3
    plain(wg.zeros([2, 4]));
  });
  test("inputs declare the names for the run time, typed by the function", () => {
    wg.jit(project, { inputs: [wg.spec(["B", 3]), undefined] });
    // @ts-expect-error the spec must be the parameter's declared shape
    wg.jit(project, { inputs: [wg.spec(["B", 4]), undefined] });
  });
});

describe("gpuJit", () => {
  test("resolves to the substituted result, refuses conflicts", () => {
    const run = wg.gpuJit(project);
    expectTypeOf(run(x53, w34)).toEqualTypeOf<Promise<Tensor<[5, 4]>>>();
    // @ts-expect-error gpuJit: argument 2 dim 0 is 4, the function takes 3
    void run(x53, w44);
  });
});

describe("grad and valueAndGrad", () => {
  const loss = (p: { w: Tensor<[3, 4]> }, x: Tensor<["B", 3]>, y: Tensor<["B", 4]>) => wg.mean(wg.square(wg.sub(wg.matmul(x, p.w), y)));
  const params = { w: w34 };
  test("take concrete batches; gradients have the parameters' shapes", () => {
    expectTypeOf(wg.grad(loss)(params, x53, wg.zeros([5, 4])).w).toEqualTypeOf<Tensor<[3, 4]>>();
    const [value, g] = wg.valueAndGrad(loss)(params, x53, wg.zeros([5, 4]));
    expectTypeOf(value).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(g.w).toEqualTypeOf<Tensor<[3, 4]>>();
  });
  test("a batch that disagrees is an error at the argument", () => {
    // @ts-expect-error grad: B is 5 at argument 2 dim 0 but 6 at argument 3 dim 0
    wg.grad(loss)(params, x53, wg.zeros([6, 4]));
    // @ts-expect-error valueAndGrad: argument 1.w dim 1 is 5, the function takes 4
    wg.valueAndGrad(loss)({ w: wg.zeros([3, 5]) }, x53, wg.zeros([5, 4]));
  });
});

describe("errors do not cascade", () => {
  test("the result of a refused op is usable without a second error", () => {
    // @ts-expect-error matmul: inner dims 3 and 4 differ in [5, 3] and [4, 4]
    const bad = wg.matmul(x53, w44);
    const next: Tensor<[5, 4]> = wg.add(bad, 1);
    expectTypeOf(next).toEqualTypeOf<Tensor<[5, 4]>>();
  });
  test("Tensor<S> means float32", () => {
    const a: Tensor<[2, 3]> = wg.zeros([2, 3]);
    expectTypeOf(wg.matmul(a, wg.zeros([3, 1]))).toEqualTypeOf<Tensor<[2, 1]>>();
    expectTypeOf<Tensor<[2]>>().toEqualTypeOf<Tensor<[2], "float32">>();
  });
  test("creation ops take names, bound when traced", () => {
    expectTypeOf(wg.zeros(["B", 3])).toEqualTypeOf<Tensor<["B", 3]>>();
  });
});
