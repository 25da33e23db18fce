/**
 * Convolutions lowered to matrix products (src/compiler/passes/lower-conv.ts): the patchify
 * conv (kernel = stride) and the "tiling" conv its weight gradient is (stride 1, the kernel's
 * taps cover the input exactly: input = kernel × dilation) compile to a dot kernel and no conv
 * kernel, and the rewritten graph computes what the conv does. Oracle: the CPU interpreter on
 * the original graph. Tolerance 1e-5 relative (both accumulate in f64 and round once; only
 * the order of the sum differs).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGraph } from "../../src/compiler/compile.js";
import * as core from "../../src/dsl/core.js";
import { evaluate } from "../../src/dsl/interpreter.js";
import { materialize } from "../../src/dsl/host/array.js";
import { realize } from "../../src/dsl/realize.js";
import { spec, trace, valueAndGrad } from "../../src/dsl/transforms.js";
import type { AnyTensor } from "../../src/dsl/tensor.js";

const values = (seed: number, shape: number[]) => core.randomUniform(core.constant(new Int32Array([seed, 7]), [2], "int32"), shape);

/** f traced on placeholders (so nothing folds away), compiled, and run both ways on `args`. */
function expectLoweredAndEqual(f: (...xs: AnyTensor[]) => AnyTensor, args: readonly AnyTensor[]): void {
  const program = trace((...xs: AnyTensor[]) => f(...xs), args.map((a) => spec(a.shape as number[])) as never);
  const compiled = compileGraph(program.outputs, { maxStorageBuffers: 8 });
  const kinds = compiled.kernels.map((k) => k.plan.kind);
  expect(kinds).not.toContain("conv");
  expect(kinds).toContain("dot");
  const inputs = new Map(program.inputs.map((n, i) => [n.params.name, realize(args[i]!)] as const));
  const [want] = program.run(args.map(realize));
  const [got] = evaluate(compiled.outputs, { inputs, precision: "f32" });
  const a = materialize(want!);
  const b = materialize(got!);
  expect(b.length).toBe(a.length);
  const scale = Math.max(1, ...Array.from(a, Math.abs));
  a.forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThanOrEqual(1e-5 * scale));
}

describe("conv → matmul", () => {
  it("a patchify conv (video stem) and its weight gradient, random sizes", () => {
    fc.assert(
      fc.property(
        fc.record({ n: fc.integer({ min: 1, max: 3 }), t: fc.integer({ min: 1, max: 3 }), g: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 1, max: 4 }), cin: fc.integer({ min: 1, max: 3 }), cout: fc.integer({ min: 1, max: 5 }), seed: fc.integer({ min: 0, max: 1000 }) }),
        ({ n, t, g, p, cin, cout, seed }) => {
          const x = values(seed, [n, t, g * p, g * p, cin]);
          const w = values(seed + 1, [cout, 1, p, p, cin]);
          const ct = values(seed + 2, [n, t, g, g, cout]);
          const conv = (xs: AnyTensor, weight: AnyTensor) => core.conv(xs, weight, { stride: [1, p, p] });
          expectLoweredAndEqual(conv, [x, w]);
          // The weight gradient is a conv with dilation p whose kernel (the cotangent) tiles x.
          const weightGrad = (xs: AnyTensor, weight: AnyTensor, c: AnyTensor) => valueAndGrad((v: AnyTensor) => core.sum(core.mul(conv(xs, v), c)))(weight)[1];
          expectLoweredAndEqual(weightGrad, [x, w, ct]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("the tiling conv itself: input = kernel × dilation along every spatial dim", () => {
    const x = values(3, [2, 6, 8, 4]); // [N, H, W, Cin]: H = 3 taps × dilation 2, W = 2 × 4
    const w = values(4, [5, 3, 2, 4]); // [Cout, kh, kw, Cin]
    expect(core.conv(x, w, { dilation: [2, 4] }).shape).toEqual([2, 2, 4, 5]);
    expectLoweredAndEqual((a, b) => core.conv(a, b, { dilation: [2, 4] }), [x, w]);
  });

  it("leaves other convolutions alone (padding, strides that are not the kernel)", () => {
    for (const options of [{ padding: 1 }, { stride: [2, 2] }, { dilation: [2, 1] }] as const) {
      const program = trace((a, b) => core.conv(a, b, options), [spec([1, 6, 6, 2]), spec([3, 3, 3, 2])]);
      const kinds = compileGraph(program.outputs).kernels.map((k) => k.plan.kind);
      expect(kinds, JSON.stringify(options)).toContain("conv");
    }
  });
});
